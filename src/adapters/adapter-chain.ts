/**
 * The adapters that apply to one call, in application order (bot config adapters, runtime bot
 * activations, session activations). Built per call by `AdapterManager.chainFor`; it holds the
 * activation's adapter instances, so options changed after it was built do not affect the call.
 */
import { AdapterError } from '../core/errors.js';
import { checkMessages, checkResponseFormat, checkTools } from '../core/request-rules.js';
import type { ChatRequest } from '../core/types.js';
import type { ActiveAdapter, AdapterContext, StreamPipeline } from './adapter.js';
import { callAsyncHook } from './adapter-guard.js';
import { AdapterStreamPipeline, applyToWholeText } from './stream-pipeline.js';

/** True when an adapter's `transformRequest` may change the request (and so the response-cache key). */
export function changesRequest(entry: ActiveAdapter): boolean {
  if (typeof entry.adapter.transformRequest !== 'function') return false;
  return entry.adapter.changesRequest !== false;
}

/** JSON with sorted keys; functions and other non-data values become a marker, so the text is stable. */
export function stableStringify(value: unknown, depth = 0): string {
  if (depth > 8) return '"[deep]"';
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => stableStringify(item, depth + 1)).join(',')}]`;
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).filter((key) => record[key] !== undefined).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${stableStringify(record[key], depth + 1)}`).join(',')}}`;
  }
  return JSON.stringify(`[${typeof value}]`);
}

function isChatRequest(value: unknown): value is ChatRequest {
  if (typeof value !== 'object' || value === null) return false;
  const request = value as Partial<ChatRequest>;
  return Array.isArray(request.messages) && typeof request.params === 'object' && request.params !== null && (request.operation === 'chat' || request.operation === 'text_completion');
}

/** Copy deep enough that an adapter editing messages (or their parts) in place cannot change the caller's objects. */
function copyRequest(request: ChatRequest): ChatRequest {
  const messages = request.messages.map((message) => (Array.isArray(message.content) ? { ...message, content: message.content.map((part) => ({ ...part })) } : { ...message })) as ChatRequest['messages'];
  return { ...request, messages, params: { ...request.params } };
}

/**
 * What an adapter returns goes to a provider as is, so it obeys the request rules the caller's request
 * did: messages are checked again, and tools / response format when the adapter replaced them.
 */
function checkedRequest(name: string, before: ChatRequest, after: ChatRequest): ChatRequest {
  const problems = [
    checkMessages(after.messages),
    after.tools !== before.tools && after.tools !== undefined ? checkTools(after.tools) : undefined,
    after.responseFormat !== before.responseFormat && after.responseFormat !== undefined ? checkResponseFormat(after.responseFormat) : undefined,
  ];
  for (const checked of problems) {
    if (checked?.problem) throw new AdapterError(name, `transformRequest returned a request whose ${checked.problem.path} ${checked.problem.message}`);
  }
  return after;
}

/** The ordered adapters of one call: request and output transforms, and the stream pipeline. */
export class AdapterChain {
  /** Adapter names in application order (what `GenerateResult.adapters` reports). */
  readonly names: string[];
  /**
   * Stable description of the request-changing adapters and their `cacheKey` (or, lacking one,
   * their options); '' when no adapter changes the request. Part of the response-cache key.
   */
  readonly requestKey: string;

  constructor(private readonly entries: readonly ActiveAdapter[]) {
    this.names = entries.map((entry) => entry.name);
    const changing = entries.filter(changesRequest);
    this.requestKey = changing.length === 0 ? '' : stableStringify(changing.map((entry) => [entry.name, entry.adapter.cacheKey ?? stableStringify(entry.options)]));
  }

  /** True when no adapter applies. */
  get isEmpty(): boolean {
    return this.entries.length === 0;
  }

  /** Run every `transformRequest` in order; the caller's request object is never modified. */
  async transformRequest(request: ChatRequest, context: AdapterContext): Promise<ChatRequest> {
    let current = request;
    let copied = false;
    for (const { name, adapter } of this.entries) {
      if (typeof adapter.transformRequest !== 'function') continue;
      if (!copied) {
        current = copyRequest(current);
        copied = true;
      }
      const input = current;
      const next = await callAsyncHook(name, 'transformRequest', () => adapter.transformRequest!(input, context));
      if (!isChatRequest(next)) throw new AdapterError(name, 'transformRequest must return a request with messages, params and operation');
      current = checkedRequest(name, input, next);
    }
    return current;
  }

  /** Run every output transform in order on a whole text (a plain call, or a cached answer). */
  async transformOutput(text: string, context: AdapterContext): Promise<string> {
    let current = text;
    for (const entry of this.entries) current = await applyToWholeText(entry, current, context);
    return current;
  }

  /** A fresh stream pipeline (fresh stream transformers) for one stream. */
  createStreamPipeline(context: AdapterContext): StreamPipeline {
    return new AdapterStreamPipeline(this.entries, context);
  }
}

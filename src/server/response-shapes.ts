/**
 * OpenAI's response objects built from a switchboard result: `chat.completion` and `text_completion`,
 * their stream chunks, usage, finish reasons, plus the `x_switchboard` extension and `x-switchboard-*`
 * headers that tell a caller what the switchboard did (model that answered, cost, attempts, cache, adapters).
 */
import type { FinishReason, GenerateResult, Usage } from '../core/types.js';

/** OpenAI's finish reasons. */
export type OpenAIFinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls';

/** What every object of one response shares. */
export interface ResponseMeta {
  /** `chatcmpl-...` / `cmpl-...`, the same on every chunk of a stream. */
  id: string;
  /** Unix seconds. */
  created: number;
  /** The model as the client named it (`bot:support` or `provider:model`). */
  model: string;
  /** The session the call ran in, when there was one. */
  sessionId?: string;
}

/**
 * The switchboard's finish reasons in OpenAI's words. `error` and `other` have no OpenAI
 * counterpart; they become `stop` and the original stays in `x_switchboard.finish_reason`.
 */
export function openAIFinishReason(reason: FinishReason): OpenAIFinishReason {
  switch (reason) {
    case 'length':
      return 'length';
    case 'content-filter':
      return 'content_filter';
    case 'tool-calls':
      return 'tool_calls';
    default:
      return 'stop';
  }
}

/** OpenAI's usage object (cached prompt tokens and reasoning tokens in their details). */
export function openAIUsage(usage: Usage): Record<string, unknown> {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens,
    prompt_tokens_details: { cached_tokens: usage.cacheReadTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
  };
}

/** The `x_switchboard` extension: what the switchboard did for this answer. */
export function switchboardExtension(result: GenerateResult, sessionId?: string): Record<string, unknown> {
  const extension: Record<string, unknown> = {
    model: result.model,
    cost_usd: result.costUsd,
    cached: result.cached,
    attempts: result.attempts,
    adapters: result.adapters,
    latency_ms: Math.round(result.latencyMs),
    finish_reason: result.finishReason,
  };
  if (result.responseModel !== undefined) extension.response_model = result.responseModel;
  if (sessionId !== undefined) extension.session_id = sessionId;
  return extension;
}

/** Printable ASCII only: anything else (a model name the client chose) would make Node throw on write. */
const PLAIN_HEADER_VALUE = /^[\x20-\x7e]*$/;

/** A header value as given, or percent-encoded when it holds characters a header cannot carry. */
export function headerSafe(value: string): string {
  return PLAIN_HEADER_VALUE.test(value) ? value : encodeURIComponent(value);
}

/**
 * The same facts as headers, for clients that only look at headers (JSON answers only). A value
 * with characters outside printable ASCII (a model the client named in Unicode) is percent-encoded.
 */
export function switchboardHeaders(result: GenerateResult): Record<string, string> {
  const headers: Record<string, string> = {
    'x-switchboard-model': headerSafe(result.model),
    'x-switchboard-cached': String(result.cached),
    'x-switchboard-attempts': String(result.attempts),
    'x-switchboard-adapters': headerSafe(result.adapters.join(',')),
  };
  if (result.costUsd !== null) headers['x-switchboard-cost-usd'] = String(result.costUsd);
  return headers;
}

/** One endpoint's wire format: the JSON answer and the stream chunks. */
export interface WireFormat {
  /** The whole answer as one JSON object. */
  json(result: GenerateResult): Record<string, unknown>;
  /** Chunks sent before the first text (the chat role chunk). */
  opening(): Array<Record<string, unknown>>;
  /** One text delta. */
  delta(text: string): Record<string, unknown>;
  /** The chunk carrying the finish reason (and the extension). */
  finish(result: GenerateResult): Record<string, unknown>;
  /** The usage chunk with empty `choices` (when `stream_options.include_usage`). */
  usage(result: GenerateResult): Record<string, unknown>;
}

/** `/v1/chat/completions`: `chat.completion` and `chat.completion.chunk` objects. */
export function chatWire(meta: ResponseMeta, includeUsage: boolean): WireFormat {
  const head = (object: string) => ({ id: meta.id, object, created: meta.created, model: meta.model });
  // With include_usage, OpenAI puts `usage: null` on every chunk but the last.
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({ ...head('chat.completion.chunk'), choices, ...(includeUsage ? { usage: null } : {}), ...extra });
  const choice = (delta: Record<string, unknown>, finish: OpenAIFinishReason | null) => ({ index: 0, delta, logprobs: null, finish_reason: finish });
  return {
    json: (result) => ({
      ...head('chat.completion'),
      choices: [{ index: 0, message: { role: 'assistant', content: result.text, refusal: null }, logprobs: null, finish_reason: openAIFinishReason(result.finishReason) }],
      usage: openAIUsage(result.usage),
      x_switchboard: switchboardExtension(result, meta.sessionId),
    }),
    opening: () => [chunk([choice({ role: 'assistant', content: '' }, null)])],
    delta: (text) => chunk([choice({ content: text }, null)]),
    finish: (result) => chunk([choice({}, openAIFinishReason(result.finishReason))], { x_switchboard: switchboardExtension(result, meta.sessionId) }),
    usage: (result) => ({ ...head('chat.completion.chunk'), choices: [], usage: openAIUsage(result.usage) }),
  };
}

/** `/v1/completions`: `text_completion` objects, streamed as `text_completion` chunks too (as OpenAI does). */
export function completionWire(meta: ResponseMeta, includeUsage: boolean): WireFormat {
  const head = { id: meta.id, object: 'text_completion', created: meta.created, model: meta.model };
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({ ...head, choices, ...(includeUsage ? { usage: null } : {}), ...extra });
  const choice = (text: string, finish: OpenAIFinishReason | null) => ({ text, index: 0, logprobs: null, finish_reason: finish });
  return {
    json: (result) => ({
      ...head,
      choices: [choice(result.text, openAIFinishReason(result.finishReason))],
      usage: openAIUsage(result.usage),
      x_switchboard: switchboardExtension(result, meta.sessionId),
    }),
    opening: () => [],
    delta: (text) => chunk([choice(text, null)]),
    finish: (result) => chunk([choice('', openAIFinishReason(result.finishReason))], { x_switchboard: switchboardExtension(result, meta.sessionId) }),
    usage: (result) => ({ ...head, choices: [], usage: openAIUsage(result.usage) }),
  };
}

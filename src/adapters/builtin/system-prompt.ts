/**
 * `system-prompt` (request side): puts a system instruction in front of the conversation.
 * `prepend` (default) joins it before the first system message (or adds one); `replace` removes
 * every system message and puts only this one first. It changes the request, so its `cacheKey`
 * (mode and a hash of the text) is part of the response-cache key.
 */
import { createHash } from 'node:crypto';
import type { ChatRequest } from '../../core/types.js';
import type { Adapter, AdapterFactory } from '../adapter.js';
import { checkOptionKeys, optionError, optionalString } from './adapter-options.js';

/** Options of `system-prompt`. */
export interface SystemPromptOptions {
  text: string;
  mode?: 'prepend' | 'replace';
}

const NAME = 'system-prompt';
const MODES = ['prepend', 'replace'] as const;

/** The `system-prompt` adapter. */
export class SystemPromptAdapter implements Adapter {
  /** Always `system-prompt`. */
  readonly name = NAME;
  /** It changes the request, so the response-cache key includes `cacheKey`. */
  readonly changesRequest = true;
  /** `<mode>:<sha256 of text>`. */
  readonly cacheKey: string;
  /** The system instruction. */
  readonly text: string;
  /** Join before the first system message, or replace all of them. */
  readonly mode: 'prepend' | 'replace';

  constructor(options: Record<string, unknown> = {}) {
    checkOptionKeys(NAME, options, ['text', 'mode']);
    const text = optionalString(NAME, options, 'text');
    if (text === undefined || text.trim() === '') throw optionError(NAME, 'text', 'must be a non-empty string, like { "text": "Answer in French." }');
    const mode = options.mode ?? 'prepend';
    if (!MODES.includes(mode as (typeof MODES)[number])) throw optionError(NAME, 'mode', 'must be "prepend" or "replace"');
    this.text = text;
    this.mode = mode as 'prepend' | 'replace';
    this.cacheKey = `${this.mode}:${createHash('sha256').update(text).digest('hex')}`;
  }

  /** A new request with the system instruction in place; the given one is not modified. */
  transformRequest(request: ChatRequest): ChatRequest {
    if (this.mode === 'replace') {
      return { ...request, messages: [{ role: 'system', content: this.text }, ...request.messages.filter((message) => message.role !== 'system')] };
    }
    const [first, ...rest] = request.messages;
    // One leading system message, because several providers accept only one.
    if (first?.role === 'system') return { ...request, messages: [{ role: 'system', content: `${this.text}\n\n${first.content}` }, ...rest] };
    return { ...request, messages: [{ role: 'system', content: this.text }, ...request.messages] };
  }
}

/** Factory registered as `system-prompt`. */
export const createSystemPromptAdapter: AdapterFactory = (options) => new SystemPromptAdapter(options);

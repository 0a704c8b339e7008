/**
 * Input checks made before any network call (RELIABILITY.md "Limits"): message shape, message count,
 * total characters, and a prompt estimated larger than the model's context window minus `maxTokens`.
 * Each failure says which limit was hit and what to change.
 */
import { ContextLengthError, InvalidRequestError } from '../core/errors.js';
import type { ChatMessage, ChatRequest, ModelInfo } from '../core/types.js';

/** Config `limits`; a value of 0 (or below) means no limit. */
export interface InputLimits {
  maxMessages: number;
  maxInputChars: number;
}

/** Tokens a chat format adds around each message (role markers, separators). */
export const MESSAGE_OVERHEAD_TOKENS = 4;

const ROLES: ReadonlySet<string> = new Set(['system', 'user', 'assistant']);

/**
 * A rough token count: characters / 4, rounded up. Close for English; low for CJK text, where a
 * provider's own context-length error (mapped to ContextLengthError) still catches what slips by.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Estimated prompt tokens of a conversation: each message's text plus MESSAGE_OVERHEAD_TOKENS. */
export function estimatePromptTokens(messages: readonly ChatMessage[]): number {
  let total = 0;
  for (const message of messages) total += estimateTokens(message.content) + MESSAGE_OVERHEAD_TOKENS;
  return total;
}

/** What kind of value was sent; never the value itself (it is caller text). */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return 'a string';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function checkShape(messages: unknown): asserts messages is ChatMessage[] {
  if (!Array.isArray(messages)) throw new InvalidRequestError(`messages must be an array of { role, content } (got ${describeValue(messages)}).`);
  if (messages.length === 0) throw new InvalidRequestError('messages is empty; send at least one message (or use a prompt).');
  messages.forEach((message: unknown, i) => {
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      throw new InvalidRequestError(`messages[${i}] must be an object { role, content } (got ${describeValue(message)}).`);
    }
    const { role, content } = message as { role?: unknown; content?: unknown };
    if (typeof role !== 'string' || !ROLES.has(role)) {
      throw new InvalidRequestError(`messages[${i}].role must be "system", "user" or "assistant".`);
    }
    if (typeof content !== 'string') {
      throw new InvalidRequestError(`messages[${i}].content must be a string (got ${describeValue(content)}); send the text as one string.`);
    }
  });
}

/**
 * Throw InvalidRequestError for a malformed conversation or one over `limits`, and ContextLengthError
 * when the estimated prompt plus `maxTokens` does not fit `info.contextWindow` (skipped when the
 * window is unknown). `modelId` (`provider:model`) names the model in messages. Returns the prompt
 * estimate so callers need not count twice.
 */
export function checkInputLimits(request: ChatRequest, info: ModelInfo, limits: InputLimits, modelId: string): number {
  const messages: unknown = request.messages;
  checkShape(messages);
  if (limits.maxMessages > 0 && messages.length > limits.maxMessages) {
    throw new InvalidRequestError(
      `The conversation has ${messages.length} messages; the limit is ${limits.maxMessages} (config limits.maxMessages). Send fewer messages (trim old history) or raise limits.maxMessages.`,
    );
  }
  let chars = 0;
  for (const message of messages) chars += message.content.length;
  if (limits.maxInputChars > 0 && chars > limits.maxInputChars) {
    throw new InvalidRequestError(
      `The input has ${chars} characters; the limit is ${limits.maxInputChars} (config limits.maxInputChars). Shorten the messages or raise limits.maxInputChars.`,
    );
  }
  const estimate = estimatePromptTokens(messages);
  const window = info.contextWindow;
  if (window !== undefined && window > 0) {
    const requested = request.params?.maxTokens;
    const maxTokens = typeof requested === 'number' && Number.isFinite(requested) && requested > 0 ? requested : 0;
    if (estimate > window - maxTokens) {
      const room = maxTokens > 0 ? ` plus maxTokens ${maxTokens} (${estimate + maxTokens} in all)` : '';
      throw new ContextLengthError(
        `${modelId}: the prompt is about ${estimate} tokens (estimated)${room}, more than the model's context window of ${window} tokens. ` +
          `Shorten the conversation${maxTokens > 0 ? ' or lower maxTokens' : ''}, or use a model with a larger window.`,
        { provider: info.provider, model: info.model },
      );
    }
  }
  return estimate;
}

/**
 * Anthropic message -> our ProviderResult. Anthropic's `input_tokens` excludes cache reads and
 * cache writes, so normalised input is their sum; thinking tokens are already inside
 * `output_tokens` and become `reasoningTokens`.
 */
import type { Message } from '@anthropic-ai/sdk/resources/messages';
import { malformedAnswer, type AnswerOrigin } from '../../core/answer-errors.js';
import type { FinishReason, ProviderResult, Usage } from '../../core/types.js';
import { makeUsage } from '../../core/usage.js';

/** The usage fields we read, as the API reports them (any of them may be missing or null). */
export interface AnthropicUsageFields {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  output_tokens_details?: { thinking_tokens?: number | null } | null;
}

/** Anthropic stop_reason -> ours. */
export function mapStopReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool-calls';
    case 'refusal':
      return 'content-filter';
    default:
      return 'other';
  }
}

/** Anthropic usage -> ours; undefined when the server reported neither input nor output. */
export function mapUsage(usage: AnthropicUsageFields | null | undefined): Usage | undefined {
  if (!usage || (usage.input_tokens == null && usage.output_tokens == null)) return undefined;
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  return makeUsage({
    inputTokens: (usage.input_tokens ?? 0) + cacheRead + cacheWrite,
    outputTokens: usage.output_tokens ?? 0,
    cacheReadTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
    reasoningTokens: usage.output_tokens_details?.thinking_tokens,
  });
}

/**
 * Stream usage: message_start reports input and cache counts (and a placeholder output count);
 * message_delta reports the final output count and, on newer API versions, final input counts too.
 * A field the delta carries wins.
 */
export function mergeStreamUsage(start: AnthropicUsageFields | undefined, delta: AnthropicUsageFields | undefined): Usage | undefined {
  if (!start && !delta) return undefined;
  const pick = <K extends keyof AnthropicUsageFields>(key: K): AnthropicUsageFields[K] => delta?.[key] ?? start?.[key];
  return mapUsage({
    input_tokens: pick('input_tokens'),
    output_tokens: pick('output_tokens'),
    cache_read_input_tokens: pick('cache_read_input_tokens'),
    cache_creation_input_tokens: pick('cache_creation_input_tokens'),
    output_tokens_details: pick('output_tokens_details'),
  });
}

/**
 * A complete message -> ProviderResult (the text blocks joined; other blocks carry no text for us).
 * `body` is what the SDK returned: a string when a 200 was not JSON, so it is checked to be a
 * message whose `content` is a list and whose text blocks hold text (typeof checks only).
 */
export function mapMessage(body: unknown, origin: AnswerOrigin): ProviderResult {
  if (typeof body !== 'object' || body === null) throw malformedAnswer(origin, 'the body is not a JSON object');
  const message = body as Message;
  const content: unknown = message.content;
  if (!Array.isArray(content)) throw malformedAnswer(origin, 'its content is not a list of blocks');
  let text = '';
  for (const block of content as unknown[]) {
    if (typeof block !== 'object' || block === null) throw malformedAnswer(origin, 'a content block is not an object');
    const { type, text: blockText } = block as { type?: unknown; text?: unknown };
    if (type !== 'text') continue;
    if (typeof blockText !== 'string') throw malformedAnswer(origin, 'a text block does not hold text');
    text += blockText;
  }
  const result: ProviderResult = { id: message.id, text, finishReason: mapStopReason(message.stop_reason), responseModel: message.model };
  const usage = mapUsage(message.usage);
  if (usage) result.usage = usage;
  return result;
}

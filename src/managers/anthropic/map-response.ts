/**
 * Anthropic message -> our ProviderResult: text blocks join to the text, `tool_use` blocks become
 * tool calls (arguments = the JSON text of `input`), `thinking` / `redacted_thinking` blocks become
 * reasoning blocks with what Anthropic needs back (signature, encrypted data); a `stop_sequence` stop
 * names the sequence that ended the answer (`stopSequence`). With a structured
 * answer through the answer tool (structured-output.ts), that tool's input is the text instead.
 * Anthropic's `input_tokens` excludes cache reads and cache writes, so normalised input is their
 * sum; thinking tokens are already inside `output_tokens` and become `reasoningTokens`.
 */
import type { Message } from '@anthropic-ai/sdk/resources/messages';
import { malformedAnswer, type AnswerOrigin } from '../../core/answer-errors.js';
import type { FinishReason, ProviderResult, ReasoningBlock, ToolCall, Usage } from '../../core/types.js';
import { makeUsage } from '../../core/usage.js';

/** The usage fields we read, as the API reports them (any of them may be missing or null). */
export interface AnthropicUsageFields {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  output_tokens_details?: { thinking_tokens?: number | null } | null;
}

/**
 * Anthropic stop_reason -> ours. A `tool_use` stop of an answer through the answer tool (`answerTool`
 * set) is a finished answer, not a request for tools.
 */
export function mapStopReason(reason: string | null | undefined, answerTool?: string): FinishReason {
  if (reason === 'tool_use' && answerTool !== undefined) return 'stop';
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

/**
 * The stop sequence that ended the answer: Anthropic names it (`stop_sequence`) with `stop_reason:
 * 'stop_sequence'`; undefined otherwise (finishReason says `stop` either way).
 */
export function mapStopSequence(reason: string | null | undefined, sequence: unknown): string | undefined {
  return reason === 'stop_sequence' && typeof sequence === 'string' && sequence !== '' ? sequence : undefined;
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

/** What one answer carries besides usage, gathered block by block. */
interface Gathered {
  text: string;
  toolCalls: ToolCall[];
  reasoning: ReasoningBlock[];
}

/** One content block into `into`; other block types (server tools we never enable) carry nothing for us. */
function gatherBlock(block: Record<string, unknown>, into: Gathered, origin: AnswerOrigin, answerTool: string | undefined): void {
  switch (block.type) {
    case 'text':
      if (typeof block.text !== 'string') throw malformedAnswer(origin, 'a text block does not hold text');
      into.text += block.text;
      return;
    case 'tool_use': {
      if (typeof block.id !== 'string' || typeof block.name !== 'string') throw malformedAnswer(origin, 'a tool_use block has no id or name');
      const args = JSON.stringify(block.input ?? {});
      if (block.name === answerTool) into.text += args;
      else into.toolCalls.push({ id: block.id, name: block.name, arguments: args });
      return;
    }
    case 'thinking': {
      if (typeof block.thinking !== 'string') throw malformedAnswer(origin, 'a thinking block does not hold text');
      const reasoning: ReasoningBlock = { text: block.thinking };
      if (typeof block.signature === 'string' && block.signature !== '') reasoning.signature = block.signature;
      into.reasoning.push(reasoning);
      return;
    }
    case 'redacted_thinking':
      if (typeof block.data !== 'string') throw malformedAnswer(origin, 'a redacted_thinking block holds no data');
      into.reasoning.push({ text: '', redacted: block.data });
      return;
    default:
      return;
  }
}

/**
 * A complete message -> ProviderResult. `body` is what the SDK returned: a string when a 200 was not
 * JSON, so it is checked to be a message whose `content` is a list of blocks, each well formed
 * (typeof checks only). An answer of tool_use blocks alone is an answer. `answerTool`: see
 * structured-output.ts.
 */
export function mapMessage(body: unknown, origin: AnswerOrigin, answerTool?: string): ProviderResult {
  if (typeof body !== 'object' || body === null) throw malformedAnswer(origin, 'the body is not a JSON object');
  const message = body as Message;
  const content: unknown = message.content;
  if (!Array.isArray(content)) throw malformedAnswer(origin, 'its content is not a list of blocks');
  const gathered: Gathered = { text: '', toolCalls: [], reasoning: [] };
  for (const block of content as unknown[]) {
    if (typeof block !== 'object' || block === null) throw malformedAnswer(origin, 'a content block is not an object');
    gatherBlock(block as Record<string, unknown>, gathered, origin, answerTool);
  }
  const result: ProviderResult = { id: message.id, text: gathered.text, finishReason: mapStopReason(message.stop_reason, answerTool), responseModel: message.model };
  if (gathered.toolCalls.length > 0) result.toolCalls = gathered.toolCalls;
  if (gathered.reasoning.length > 0) result.reasoning = gathered.reasoning;
  const stopSequence = mapStopSequence(message.stop_reason, message.stop_sequence);
  if (stopSequence !== undefined) result.stopSequence = stopSequence;
  const usage = mapUsage(message.usage);
  if (usage) result.usage = usage;
  return result;
}

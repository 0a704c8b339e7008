/**
 * `/v1/messages` answers in Anthropic's shapes, built from a switchboard result:
 * - JSON: `{ id: 'msg_…', type: 'message', role: 'assistant', model, content, stop_reason,
 *   stop_sequence, usage }` with content blocks in Anthropic's order: thinking (with its signature) and
 *   redacted thinking, the text, then one `tool_use` per call (its input as an object);
 * - a stream: `message_start` (the message with empty content), the content block events
 *   (messages-stream.ts), `message_delta` (stop reason and the whole usage), `message_stop`, each as
 *   `event: <type>` + `data:`; a failure after the stream opened is an `error` event.
 * Both carry `x_switchboard` (the model that answered, cost, attempts ...: response-shapes.ts), on the
 * message and on `message_delta`. A stop sequence that ended the answer is `stop_reason:
 * 'stop_sequence'` with that `stop_sequence` where the provider says which one did (the result's
 * `stopSequence`: Anthropic); providers that do not say (OpenAI's among them) read as `end_turn`, null.
 */
import { InvalidOutputError } from '../core/errors.js';
import type { FinishReason, GenerateResult, ToolCall, Usage } from '../core/types.js';
import { anthropicStreamError } from './messages-errors.js';
import { MessageBlocks } from './messages-stream.js';
import { switchboardExtension, type ResponseMeta, type StreamWire, type WireFormat } from './response-shapes.js';

/** Anthropic's stop reasons the gateway reports. */
export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal';

/**
 * The switchboard's finish reason in Anthropic's words (`error` and `other` read as `end_turn`;
 * `x_switchboard.finish_reason` keeps them); a `stop` ended by a known stop sequence is `stop_sequence`.
 */
export function anthropicStopReason(reason: FinishReason, stopSequence?: string): AnthropicStopReason {
  if (reason === 'stop' && stopSequence !== undefined) return 'stop_sequence';
  switch (reason) {
    case 'length':
      return 'max_tokens';
    case 'tool-calls':
      return 'tool_use';
    case 'content-filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

/** An answer's `stop_reason` and `stop_sequence` (the sequence only with `stop_sequence`). */
function stopOf(result: GenerateResult): { reason: AnthropicStopReason; sequence: string | null } {
  const reason = anthropicStopReason(result.finishReason, result.stopSequence);
  return { reason, sequence: reason === 'stop_sequence' ? result.stopSequence! : null };
}

/** Anthropic's usage: its `input_tokens` excludes cache reads and writes, which the switchboard counts in. */
export function anthropicUsage(usage: Usage): Record<string, number> {
  const cacheRead = usage.cacheReadTokens ?? 0;
  const cacheWrite = usage.cacheWriteTokens ?? 0;
  return {
    input_tokens: Math.max(0, usage.inputTokens - cacheRead - cacheWrite),
    output_tokens: usage.outputTokens,
    cache_read_input_tokens: cacheRead,
    cache_creation_input_tokens: cacheWrite,
  };
}

/**
 * A tool call's arguments as the object `tool_use.input` is. A model that wrote no arguments called
 * it with none; arguments that are not a JSON object have no place in the Messages API, so such an
 * answer is refused (502) rather than sent with made-up input.
 */
function toolInput(call: ToolCall): Record<string, unknown> {
  if (call.arguments.trim() === '') return {};
  let input: unknown;
  try {
    input = JSON.parse(call.arguments);
  } catch {
    input = undefined;
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidOutputError('The model called a tool with arguments that are not a JSON object, which a Messages API tool_use cannot carry', { text: '' });
  }
  return input as Record<string, unknown>;
}

/** The content blocks of a whole answer. */
function contentBlocks(result: GenerateResult): Array<Record<string, unknown>> {
  const blocks: Array<Record<string, unknown>> = [];
  const reasoning = result.message.reasoning ?? (result.reasoning ? [{ text: result.reasoning }] : []);
  for (const block of reasoning) {
    blocks.push(block.redacted !== undefined ? { type: 'redacted_thinking', data: block.redacted } : { type: 'thinking', thinking: block.text, signature: block.signature ?? '' });
  }
  if (result.text !== '' || result.toolCalls.length === 0) blocks.push({ type: 'text', text: result.text, citations: null });
  for (const call of result.toolCalls) blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: toolInput(call) });
  return blocks;
}

/** `/v1/messages`: the `message` object and its event stream. */
export function messagesWire(meta: ResponseMeta): WireFormat {
  const message = (content: unknown[], stopReason: AnthropicStopReason | null, stopSequence: string | null, usage: Record<string, number>) => ({
    id: meta.id,
    type: 'message',
    role: 'assistant',
    model: meta.model,
    content,
    stop_reason: stopReason,
    stop_sequence: stopSequence,
    usage,
  });
  // The whole usage rides on message_delta: the stream starts before the input is counted, and the
  // SDK's accumulator takes message_delta's counts over message_start's.
  const messageDelta = (result: GenerateResult) => {
    const stop = stopOf(result);
    return { type: 'message_delta', delta: { stop_reason: stop.reason, stop_sequence: stop.sequence }, usage: anthropicUsage(result.usage), x_switchboard: switchboardExtension(result, meta.sessionId) };
  };
  return {
    framing: 'typed',
    json: (result) => {
      const stop = stopOf(result);
      return { ...message(contentBlocks(result), stop.reason, stop.sequence, anthropicUsage(result.usage)), x_switchboard: switchboardExtension(result, meta.sessionId) };
    },
    stream: (): StreamWire => {
      const blocks = new MessageBlocks();
      return {
        opening: () => [{ type: 'message_start', message: message([], null, null, { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 }) }],
        delta: (text) => blocks.text(text),
        rich: (part) => blocks.rich(part),
        finish: (result) => [...blocks.finish(result), messageDelta(result), { type: 'message_stop' }],
        failure: (failure) => [anthropicStreamError(failure)],
      };
    },
  };
}

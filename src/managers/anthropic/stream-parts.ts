/**
 * Anthropic stream events -> our provider stream parts. Each content block is announced by a
 * content_block_start and filled by deltas: `text_delta` -> text deltas; a `tool_use` block's
 * `input_json_delta`s -> tool-call deltas (index = the call's ordinal among the answer's tool
 * calls, not the block index) joined by ToolCallAssembly; `thinking_delta` -> reasoning deltas, and
 * `signature_delta` signs that block (a `reasoning-signature` part, where it arrives: just before the
 * block stops); a `redacted_thinking` block -> a `reasoning-redacted` part in its place. An answer
 * through the answer tool (structured-output.ts) streams its input as text deltas instead. The stop
 * reason, the stop sequence that ended the answer and the final usage come from `message_delta`; `finish` (with the tool calls and reasoning blocks) is yielded only after
 * `message_stop` was seen and the SDK's iterator has ended (it ends quietly when the connection
 * closes early, which must read as an interruption, not a finish). An event that is not an object,
 * a message_start without its message, a delta whose text is not text, or a message_stop with no
 * message_start before it is a malformed answer.
 */
import type { RawContentBlockStartEvent, RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import { abortReason } from '../../core/abort.js';
import { malformedAnswer, type AnswerOrigin } from '../../core/answer-errors.js';
import type { ProviderStreamPart, ReasoningBlock } from '../../core/types.js';
import { ToolCallAssembly } from '../tool-call-assembly.js';
import { mapStopReason, mapStopSequence, mergeStreamUsage, type AnthropicUsageFields } from './map-response.js';

/** What an open content block is, by its index. */
type OpenBlock =
  | { kind: 'text' }
  | { kind: 'thinking'; block: ReasoningBlock }
  | { kind: 'tool'; ordinal: number }
  | { kind: 'answer'; streamed: boolean }
  | { kind: 'other' };

/** The answer's blocks as they stream: what each index is, the tool calls and the reasoning so far. */
class StreamedBlocks {
  private readonly open = new Map<number, OpenBlock>();
  readonly calls = new ToolCallAssembly();
  readonly reasoning: ReasoningBlock[] = [];
  private toolCount = 0;

  constructor(
    private readonly origin: AnswerOrigin,
    private readonly answerTool: string | undefined,
  ) {}

  /** A content_block_start: remember the block; the first part it carries, if any. */
  start(event: RawContentBlockStartEvent): ProviderStreamPart | undefined {
    const block = event.content_block as unknown as Record<string, unknown> | null;
    if (typeof block !== 'object' || block === null) throw malformedAnswer(this.origin, 'a content_block_start carries no block');
    switch (block.type) {
      case 'text':
        this.open.set(event.index, { kind: 'text' });
        return typeof block.text === 'string' && block.text !== '' ? { type: 'text-delta', text: block.text } : undefined;
      case 'thinking': {
        const reasoning: ReasoningBlock = { text: typeof block.thinking === 'string' ? block.thinking : '' };
        if (typeof block.signature === 'string' && block.signature !== '') reasoning.signature = block.signature;
        this.reasoning.push(reasoning);
        this.open.set(event.index, { kind: 'thinking', block: reasoning });
        return reasoning.text !== '' ? { type: 'reasoning-delta', text: reasoning.text } : undefined;
      }
      case 'redacted_thinking':
        if (typeof block.data !== 'string') throw malformedAnswer(this.origin, 'a redacted_thinking block holds no data');
        this.reasoning.push({ text: '', redacted: block.data });
        this.open.set(event.index, { kind: 'other' });
        return { type: 'reasoning-redacted', redacted: block.data };
      case 'tool_use': {
        if (typeof block.id !== 'string' || typeof block.name !== 'string') throw malformedAnswer(this.origin, 'a tool_use block has no id or name');
        if (block.name === this.answerTool) {
          this.open.set(event.index, { kind: 'answer', streamed: false });
          return undefined;
        }
        const ordinal = this.toolCount++;
        this.open.set(event.index, { kind: 'tool', ordinal });
        return { type: 'tool-call-delta', ...this.calls.add({ index: ordinal, id: block.id, name: block.name, argumentsDelta: '' }) };
      }
      default:
        this.open.set(event.index, { kind: 'other' });
        return undefined;
    }
  }

  /** A content_block_delta: the part it stands for, if any (text first: by far the most frequent). */
  delta(index: number, delta: { type?: unknown; text?: unknown; partial_json?: unknown; thinking?: unknown; signature?: unknown }): ProviderStreamPart | undefined {
    if (delta.type === 'text_delta') {
      if (typeof delta.text !== 'string') throw malformedAnswer(this.origin, 'a text delta does not hold text');
      return delta.text ? { type: 'text-delta', text: delta.text } : undefined;
    }
    const open = this.open.get(index);
    switch (delta.type) {
      case 'input_json_delta': {
        if (typeof delta.partial_json !== 'string') throw malformedAnswer(this.origin, 'an input_json_delta does not hold text');
        if (delta.partial_json === '') return undefined;
        if (open?.kind === 'tool') return { type: 'tool-call-delta', ...this.calls.add({ index: open.ordinal, argumentsDelta: delta.partial_json }) };
        if (open?.kind !== 'answer') return undefined;
        open.streamed = true;
        return { type: 'text-delta', text: delta.partial_json };
      }
      case 'thinking_delta':
        if (typeof delta.thinking !== 'string') throw malformedAnswer(this.origin, 'a thinking delta does not hold text');
        if (open?.kind !== 'thinking' || delta.thinking === '') return undefined;
        open.block.text += delta.thinking;
        return { type: 'reasoning-delta', text: delta.thinking };
      case 'signature_delta':
        // The whole signature, sent once just before the block stops (the SDK's own accumulator replaces too).
        if (open?.kind !== 'thinking' || typeof delta.signature !== 'string' || delta.signature === '') return undefined;
        open.block.signature = delta.signature;
        return { type: 'reasoning-signature', signature: delta.signature };
      default:
        return undefined;
    }
  }

  /** A content_block_stop: an answer-tool block that streamed no input answered `{}`, as in JSON. */
  stop(index: number): ProviderStreamPart | undefined {
    const open = this.open.get(index);
    this.open.delete(index);
    return open?.kind === 'answer' && !open.streamed ? { type: 'text-delta', text: '{}' } : undefined;
  }
}

/** Translate `events` into deltas and one final finish; `origin` names the model in errors; `answerTool`: structured-output.ts. */
export async function* messageEventsToParts(events: AsyncIterable<RawMessageStreamEvent>, signal: AbortSignal, origin: AnswerOrigin, answerTool?: string): AsyncGenerator<ProviderStreamPart> {
  const blocks = new StreamedBlocks(origin, answerTool);
  let id: string | undefined;
  let responseModel: string | undefined;
  let startUsage: AnthropicUsageFields | undefined;
  let deltaUsage: AnthropicUsageFields | undefined;
  let stopReason: string | null | undefined;
  let stopSequence: unknown;
  let started = false;
  let stopped = false;
  for await (const event of events) {
    if (typeof event !== 'object' || event === null) throw malformedAnswer(origin, 'a stream event is not a JSON object');
    switch (event.type) {
      case 'message_start': {
        const message: unknown = event.message;
        if (typeof message !== 'object' || message === null) throw malformedAnswer(origin, 'its message_start carries no message');
        started = true;
        id = event.message.id;
        responseModel = event.message.model;
        startUsage = event.message.usage ?? undefined;
        break;
      }
      case 'content_block_delta': {
        const delta: unknown = event.delta;
        const part = typeof delta === 'object' && delta !== null ? blocks.delta(event.index, delta) : undefined;
        if (part) yield part;
        break;
      }
      case 'content_block_start': {
        const part = blocks.start(event);
        if (part) yield part;
        break;
      }
      case 'content_block_stop': {
        const part = blocks.stop(event.index);
        if (part) yield part;
        break;
      }
      case 'message_delta':
        stopReason = event.delta?.stop_reason ?? stopReason;
        stopSequence = event.delta?.stop_sequence ?? stopSequence;
        if (event.usage) deltaUsage = event.usage;
        break;
      case 'message_stop':
        stopped = true;
        break;
      default:
        break;
    }
  }
  if (signal.aborted) throw abortReason(signal);
  if (!stopped) return;
  if (!started) throw malformedAnswer(origin, 'its stream ended without a message_start');
  const finish: Extract<ProviderStreamPart, { type: 'finish' }> = { type: 'finish', finishReason: mapStopReason(stopReason, answerTool), usage: mergeStreamUsage(startUsage, deltaUsage), id, responseModel };
  if (blocks.calls.size > 0) finish.toolCalls = blocks.calls.finish();
  if (blocks.reasoning.length > 0) finish.reasoning = blocks.reasoning;
  const sequence = mapStopSequence(stopReason, stopSequence);
  if (sequence !== undefined) finish.stopSequence = sequence;
  yield finish;
}

/**
 * One `/v1/responses` stream: the switchboard's stream parts as the Responses API's typed events, in
 * the order OpenAI sends them, each with its `sequence_number`:
 *
 *   response.created, response.in_progress,
 *   reasoning: output_item.added, reasoning_summary_part.added, reasoning_summary_text.delta ...,
 *   text:      output_item.added, content_part.added, output_text.delta ..., output_text.done,
 *              content_part.done, output_item.done,
 *   each call: output_item.added (function_call), function_call_arguments.delta ...,
 *              function_call_arguments.done, output_item.done,
 *   response.completed (or response.incomplete) with the whole response and its usage.
 *
 * A reasoning item stays open until the answer ends (its summary done events and output_item.done come
 * then): a provider's signature of its thinking is whole only at the end, and the item's
 * `encrypted_content` must carry it (responses-reasoning.ts). A call opens once its id and name are
 * known (clients need both on `output_item.added`; earlier argument fragments wait) and closes with its
 * complete `tool-call` part. A failure after the stream opened is an `error` event (the shape the
 * openai SDK raises from its iterator, with the documented flat fields too), then `response.failed`.
 */
import type { GenerateResult, ReasoningBlock, ToolCall } from '../core/types.js';
import type { HttpFailure } from './errors.js';
import type { RichStreamPart, StreamWire } from './response-shapes.js';
import { functionCallItem, itemId, messageItem, outputText, responseObject, resultStatus, type ResponsesMeta } from './responses-object.js';
import { answerReasoning, encryptedReasoning } from './responses-reasoning.js';

type Frame = Record<string, unknown>;

/** A function call of the stream: announced once its id and name are known, closed by its complete part. */
interface CallEntry {
  kind: 'call';
  id: string;
  /** The index the stream's tool-call-delta parts use. */
  partIndex?: number;
  callId?: string;
  name?: string;
  /** Its output index, once announced. */
  index?: number;
  /** Argument fragments held until it is announced. */
  pending: string;
  /** Arguments sent so far. */
  sent: string;
  /** The complete call, once its `tool-call` part came. */
  done?: ToolCall;
}

interface TextEntry {
  kind: 'message' | 'reasoning';
  id: string;
  index: number;
  text: string;
  done: boolean;
  /** A message's status once it closed. */
  status?: 'completed' | 'incomplete';
}

/** The typed events of one Responses stream; it remembers the items announced so far. */
export class ResponsesStream implements StreamWire {
  private sequence = 0;
  /** Announced items, by output index. */
  private readonly items: Array<TextEntry | CallEntry> = [];
  private readonly calls: CallEntry[] = [];
  /** The message item text deltas go to; a function call closes it. */
  private message: TextEntry | undefined;
  private reasoning: TextEntry | undefined;

  /** `onOutput` receives the finished answer's output items (the gateway keeps them for item references). */
  constructor(
    private readonly meta: ResponsesMeta,
    private readonly onOutput?: (output: Frame[]) => void,
  ) {}

  opening(): Frame[] {
    return ['response.created', 'response.in_progress'].map((type) => this.event(type, { response: responseObject(this.meta, { status: 'in_progress', output: [] }) }));
  }

  delta(text: string): Frame[] {
    const frames: Frame[] = [];
    const message = this.message ?? this.openMessage(frames);
    message.text += text;
    frames.push(this.event('response.output_text.delta', { ...this.textRef(message), delta: text, logprobs: [] }));
    return frames;
  }

  rich(part: RichStreamPart): Frame[] {
    const frames: Frame[] = [];
    if (part.type === 'reasoning-delta') {
      if (part.text !== '') this.reasoningDelta(part.text, frames);
    } else if (part.type === 'tool-call-delta') {
      this.callPiece(part.index, part.id, part.name, part.argumentsDelta, frames);
    } else if (part.type === 'tool-call') {
      this.completeCall(part.toolCall, frames);
    }
    // Signatures and redacted blocks: the reasoning item carries them whole when it closes (finish).
    return frames;
  }

  finish(result: GenerateResult): Frame[] {
    const frames: Frame[] = [];
    const blocks = answerReasoning(result.message, result.reasoning);
    // A cached answer streams its text only: what else it holds goes out whole here.
    if (!this.reasoning && blocks?.some((block) => block.text !== '' || block.redacted !== undefined)) this.reasoningDelta(blocks.map((block) => block.text).join(''), frames);
    if (this.reasoning) this.closeReasoning(blocks, frames);
    // Every answer has its text, unless the model only called tools (as the JSON answer).
    if (!this.items.some((item) => item.kind === 'message') && (result.text !== '' || result.toolCalls.length === 0)) {
      this.openMessage(frames);
      if (result.text !== '') frames.push(...this.delta(result.text));
    }
    const { status } = resultStatus(result);
    this.closeMessage(frames, status);
    for (const call of result.toolCalls) if (!this.calls.some((entry) => entry.done?.id === call.id)) this.completeCall(call, frames);
    const output = this.snapshot(blocks);
    this.onOutput?.(output);
    frames.push(this.event(status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: responseObject(this.meta, { status, output, result }) }));
    return frames;
  }

  failure(failure: HttpFailure): Frame[] {
    const { type, code, message, param } = failure.body.error;
    return [
      this.event('error', { code, message, param, error: { type, code, message, param } }),
      this.event('response.failed', { response: responseObject(this.meta, { status: 'failed', output: this.snapshot(undefined), error: { code: code ?? type, message } }) }),
    ];
  }

  private event(type: string, fields: Frame): Frame {
    return { type, sequence_number: this.sequence++, ...fields };
  }

  private textRef(entry: TextEntry): Frame {
    return { item_id: entry.id, output_index: entry.index, content_index: 0 };
  }

  private summaryRef(entry: TextEntry): Frame {
    return { item_id: entry.id, output_index: entry.index, summary_index: 0 };
  }

  private openMessage(frames: Frame[]): TextEntry {
    const entry: TextEntry = { kind: 'message', id: itemId('msg'), index: this.items.length, text: '', done: false };
    this.items.push(entry);
    this.message = entry;
    frames.push(this.event('response.output_item.added', { output_index: entry.index, item: messageItem(entry.id, undefined, 'in_progress') }));
    frames.push(this.event('response.content_part.added', { ...this.textRef(entry), part: outputText('') }));
    return entry;
  }

  private closeMessage(frames: Frame[], status: 'completed' | 'incomplete'): void {
    const entry = this.message;
    if (!entry) return;
    this.message = undefined;
    entry.done = true;
    entry.status = status;
    frames.push(this.event('response.output_text.done', { ...this.textRef(entry), text: entry.text, logprobs: [] }));
    frames.push(this.event('response.content_part.done', { ...this.textRef(entry), part: outputText(entry.text) }));
    frames.push(this.event('response.output_item.done', { output_index: entry.index, item: messageItem(entry.id, entry.text, status) }));
  }

  private reasoningDelta(text: string, frames: Frame[]): void {
    let entry = this.reasoning;
    if (!entry) {
      entry = { kind: 'reasoning', id: itemId('rs'), index: this.items.length, text: '', done: false };
      this.items.push(entry);
      this.reasoning = entry;
      frames.push(this.event('response.output_item.added', { output_index: entry.index, item: { type: 'reasoning', id: entry.id, summary: [] } }));
      frames.push(this.event('response.reasoning_summary_part.added', { ...this.summaryRef(entry), part: { type: 'summary_text', text: '' } }));
    }
    entry.text += text;
    if (text !== '') frames.push(this.event('response.reasoning_summary_text.delta', { ...this.summaryRef(entry), delta: text }));
  }

  private reasoningJson(entry: TextEntry, blocks: readonly ReasoningBlock[] | undefined): Frame {
    const item: Frame = { type: 'reasoning', id: entry.id, summary: entry.text === '' ? [] : [{ type: 'summary_text', text: entry.text }] };
    const encrypted = encryptedReasoning(blocks);
    if (encrypted !== undefined) item.encrypted_content = encrypted;
    return item;
  }

  private closeReasoning(blocks: readonly ReasoningBlock[] | undefined, frames: Frame[]): void {
    const entry = this.reasoning!;
    entry.done = true;
    frames.push(this.event('response.reasoning_summary_text.done', { ...this.summaryRef(entry), text: entry.text }));
    frames.push(this.event('response.reasoning_summary_part.done', { ...this.summaryRef(entry), part: { type: 'summary_text', text: entry.text } }));
    frames.push(this.event('response.output_item.done', { output_index: entry.index, item: this.reasoningJson(entry, blocks) }));
  }

  /** A piece of a call: its announcement once the id and name are known, then argument fragments. */
  private callPiece(partIndex: number, id: string | undefined, name: string | undefined, args: string, frames: Frame[]): void {
    let entry = this.calls.find((call) => call.partIndex === partIndex && !call.done);
    if (!entry) {
      entry = { kind: 'call', id: itemId('fc'), partIndex, pending: '', sent: '' };
      this.calls.push(entry);
    }
    entry.callId ??= id || undefined;
    entry.name ??= name || undefined;
    if (entry.index !== undefined) {
      if (args !== '') this.argumentsDelta(entry, args, frames);
      return;
    }
    entry.pending += args;
    if (entry.callId !== undefined && entry.name !== undefined) this.announce(entry, entry.pending, frames);
  }

  /** A complete call (each comes once, before the finish): whatever of it the client has not seen, then its done events. */
  private completeCall(call: ToolCall, frames: Frame[]): void {
    let entry = this.calls.find((candidate) => !candidate.done && candidate.callId === call.id) ?? this.calls.find((candidate) => !candidate.done && candidate.index === undefined && candidate.callId === undefined);
    if (!entry) {
      entry = { kind: 'call', id: itemId('fc'), pending: '', sent: '' };
      this.calls.push(entry);
    }
    if (entry.index === undefined) {
      entry.callId = call.id;
      entry.name = call.name;
      this.announce(entry, call.arguments, frames);
    } else if (call.arguments.startsWith(entry.sent) && call.arguments.length > entry.sent.length) {
      this.argumentsDelta(entry, call.arguments.slice(entry.sent.length), frames);
    }
    entry.done = call;
    frames.push(this.event('response.function_call_arguments.done', { item_id: entry.id, output_index: entry.index, name: call.name, arguments: call.arguments }));
    frames.push(this.event('response.output_item.done', { output_index: entry.index, item: functionCallItem(entry.id, call, 'completed') }));
  }

  private announce(entry: CallEntry, args: string, frames: Frame[]): void {
    // A call after text ends the message item, as OpenAI's output does.
    this.closeMessage(frames, 'completed');
    entry.index = this.items.length;
    entry.pending = '';
    this.items.push(entry);
    frames.push(this.event('response.output_item.added', { output_index: entry.index, item: functionCallItem(entry.id, { id: entry.callId!, name: entry.name!, arguments: '' }, 'in_progress') }));
    if (args !== '') this.argumentsDelta(entry, args, frames);
  }

  private argumentsDelta(entry: CallEntry, args: string, frames: Frame[]): void {
    entry.sent += args;
    frames.push(this.event('response.function_call_arguments.delta', { item_id: entry.id, output_index: entry.index, delta: args }));
  }

  /** The items as they stand, in output order (unfinished ones `incomplete`). */
  private snapshot(blocks: readonly ReasoningBlock[] | undefined): Frame[] {
    return this.items.map((item) => {
      if (item.kind === 'reasoning') return this.reasoningJson(item, blocks);
      if (item.kind === 'message') return messageItem(item.id, item.text, item.status ?? 'incomplete');
      const entry = item as CallEntry;
      return functionCallItem(entry.id, entry.done ?? { id: entry.callId!, name: entry.name!, arguments: entry.sent }, entry.done ? 'completed' : 'incomplete');
    });
  }
}

/**
 * What an OpenAI-shaped answer says besides its text, complete (`choices[0].message`) or streamed
 * (`choices[0].delta`), for OpenAI, the OpenAI-compatible servers and HuggingFace's chat completion:
 * - `tool_calls` -> tool calls (id, name, arguments as the model wrote them). Streamed calls arrive
 *   as `tool_calls[i]` pieces keyed by `index` (id and name first, then argument fragments, possibly
 *   interleaved across calls) and are joined by ToolCallAssembly;
 * - `refusal` (a structured-output refusal) -> the answer's text, finish reason `content-filter`:
 *   the model declined on content grounds, and a refusal is no answer to cache (call-state.ts
 *   caches no content-filter answer) nor JSON to validate (a JSON request then fails over);
 * - `reasoning_content` (DeepSeek, vLLM before 0.10) or else `reasoning` (vLLM, OpenRouter, Ollama's
 *   /v1) -> a reasoning block (text only: these servers sign nothing).
 * A `tool_calls` that is not a list of function calls is a malformed answer; reasoning that is not
 * text is not ours to read and is left alone.
 */
import { malformedAnswer, type AnswerOrigin } from '../../core/answer-errors.js';
import type { FinishReason, ProviderStreamPart, ReasoningBlock, ToolCall } from '../../core/types.js';
import { ToolCallAssembly } from '../tool-call-assembly.js';

/** The fields of a message or delta read here (servers add their own; all optional). */
interface RichFields {
  content?: unknown;
  refusal?: unknown;
  reasoning_content?: unknown;
  reasoning?: unknown;
  tool_calls?: unknown;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** The reasoning text a message or delta carries ('' for none); `reasoning_content` wins when both come. */
function reasoningText(fields: RichFields): string {
  if (typeof fields.reasoning_content === 'string' && fields.reasoning_content !== '') return fields.reasoning_content;
  return typeof fields.reasoning === 'string' ? fields.reasoning : '';
}

/** Arguments as JSON text: a string as it is; an object (TGI 2.x sends one) as its JSON. */
function argumentsText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isRecord(value)) return JSON.stringify(value);
  return undefined;
}

/** Text of a content or refusal field: a string, or nothing; anything else is a malformed answer. */
export function textField(value: unknown, origin: AnswerOrigin, what: string): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  throw malformedAnswer(origin, `${what} is not text`);
}

/**
 * The finish reason once the answer is known: a refusal is `content-filter`; tool calls that ended
 * on a plain `stop` (vLLM, TGI and Ollama's /v1 say `stop`, or TGI `eos_token`) are `tool-calls`.
 */
export function settleFinishReason(reason: FinishReason, refused: boolean, toolCalls: number): FinishReason {
  if (refused) return 'content-filter';
  return toolCalls > 0 && reason === 'stop' ? 'tool-calls' : reason;
}

/** What a complete answer message holds. */
export interface AnswerMessage {
  /** The content, or the refusal when there is no content. */
  text: string;
  refused: boolean;
  toolCalls?: ToolCall[];
  reasoning?: ReasoningBlock[];
}

/** Read a complete `choices[0].message` (already checked to be an object). */
export function readAnswerMessage(message: RichFields, origin: AnswerOrigin): AnswerMessage {
  const content = textField(message.content, origin, 'the message content');
  const refusal = content === '' ? textField(message.refusal, origin, 'the message refusal') : '';
  const answer: AnswerMessage = { text: content || refusal, refused: refusal !== '' };
  if (message.tool_calls != null) {
    const calls = readToolCalls(message.tool_calls, origin);
    if (calls.length > 0) answer.toolCalls = calls;
  }
  const reasoning = reasoningText(message);
  if (reasoning) answer.reasoning = [{ text: reasoning }];
  return answer;
}

function readToolCalls(value: unknown, origin: AnswerOrigin): ToolCall[] {
  if (!Array.isArray(value)) throw malformedAnswer(origin, 'its tool_calls are not a list');
  const calls: ToolCall[] = [];
  for (let index = 0; index < value.length; index++) {
    const call: unknown = value[index];
    const fn = isRecord(call) ? call.function : undefined;
    const name = isRecord(fn) ? fn.name : undefined;
    if (!isRecord(fn) || typeof name !== 'string' || name === '') throw malformedAnswer(origin, 'a tool call has no function name');
    const args = fn.arguments === undefined ? '{}' : argumentsText(fn.arguments);
    if (args === undefined) throw malformedAnswer(origin, 'the arguments of a tool call are not JSON text');
    const id = (call as { id?: unknown }).id;
    // TGI may send an empty id; a follow-up must still be able to answer the call.
    calls.push({ id: typeof id === 'string' && id !== '' ? id : `call_${index}`, name, arguments: args });
  }
  return calls;
}

/**
 * One streamed answer's deltas beyond plain content: reasoning, a refusal, tool-call pieces. The
 * chunk loop hands a delta here only when `isRich` (plain text deltas, the hot path, stay there).
 */
export class AnswerDeltas {
  private readonly calls = new ToolCallAssembly();
  private reasoning = '';
  private refused = false;
  /** For servers that leave `index` out: a new id starts a new call, no id continues the last one. */
  private lastIndex = -1;
  private lastId: string | undefined;

  constructor(private readonly origin: AnswerOrigin) {}

  /** Whether `delta` carries anything but content (a null field, as OpenAI's first chunk sends, is nothing). */
  static isRich(delta: RichFields): boolean {
    return delta.tool_calls != null || delta.reasoning_content != null || delta.reasoning != null || delta.refusal != null;
  }

  /** The parts of a delta, in order: reasoning, text (content, or a refusal), tool-call pieces. */
  *parts(delta: RichFields): Generator<ProviderStreamPart> {
    const reasoning = reasoningText(delta);
    if (reasoning) {
      this.reasoning += reasoning;
      yield { type: 'reasoning-delta', text: reasoning };
    }
    const text = textField(delta.content, this.origin, 'a stream delta content');
    if (text) yield { type: 'text-delta', text };
    const refusal = textField(delta.refusal, this.origin, 'a stream delta refusal');
    if (refusal) {
      this.refused = true;
      yield { type: 'text-delta', text: refusal };
    }
    if (delta.tool_calls == null) return;
    if (!Array.isArray(delta.tool_calls)) throw malformedAnswer(this.origin, 'the tool_calls of a stream delta are not a list');
    for (const piece of delta.tool_calls as unknown[]) yield this.toolCallPart(piece);
  }

  private toolCallPart(piece: unknown): ProviderStreamPart {
    if (!isRecord(piece)) throw malformedAnswer(this.origin, 'a streamed tool call is not an object');
    const id = typeof piece.id === 'string' && piece.id !== '' ? piece.id : undefined;
    let index: number;
    if (typeof piece.index === 'number' && Number.isInteger(piece.index) && piece.index >= 0) index = piece.index;
    else index = id !== undefined && id !== this.lastId ? this.lastIndex + 1 : Math.max(this.lastIndex, 0);
    this.lastIndex = index;
    if (id !== undefined) this.lastId = id;
    const fn = isRecord(piece.function) ? piece.function : {};
    const name = typeof fn.name === 'string' && fn.name !== '' ? fn.name : undefined;
    const argumentsDelta = fn.arguments == null ? '' : argumentsText(fn.arguments);
    if (argumentsDelta === undefined) throw malformedAnswer(this.origin, 'the arguments of a streamed tool call are not JSON text');
    const part: ProviderStreamPart & { type: 'tool-call-delta' } = { type: 'tool-call-delta', index, argumentsDelta };
    if (id !== undefined) part.id = id;
    if (name !== undefined) part.name = name;
    this.calls.add(part);
    return part;
  }

  /** The finish part's fields: the settled reason, the joined tool calls, the reasoning block. */
  finish(reason: FinishReason): { finishReason: FinishReason; toolCalls?: ToolCall[]; reasoning?: ReasoningBlock[] } {
    const fields: { finishReason: FinishReason; toolCalls?: ToolCall[]; reasoning?: ReasoningBlock[] } = { finishReason: settleFinishReason(reason, this.refused, this.calls.size) };
    if (this.calls.size > 0) fields.toolCalls = this.calls.finish();
    if (this.reasoning) fields.reasoning = [{ text: this.reasoning }];
    return fields;
  }
}

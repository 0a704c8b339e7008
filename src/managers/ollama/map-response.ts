/**
 * Ollama answers -> our results: text, thinking (as one reasoning block), tool calls (Ollama writes
 * arguments as objects: they become JSON text; servers before 0.12.10 send no ids, so a call gets
 * `call_<index>`), finish reason and usage. Streams: thinking lines become reasoning deltas, and each
 * tool call, which Ollama sends whole in one line, becomes one tool-call delta carrying all of its
 * arguments, joined by the shared ToolCallAssembly.
 */
import type { ProviderResult, ProviderStreamPart, ReasoningBlock, ToolCall, ToolCallDelta } from '../../core/types.js';
import { ToolCallAssembly } from '../tool-call-assembly.js';
import { chunkText, chunkThinking, toFinishReason, toUsage, type OllamaResponseChunk } from './ollama-wire.js';

/** One call as written (checkAnswer vouched for its shape). */
interface WireCall {
  id?: unknown;
  function: { name: string; arguments?: unknown };
}

/** The calls a chunk carries (none when absent). */
function wireCalls(chunk: OllamaResponseChunk): WireCall[] {
  const calls = chunk.message?.tool_calls;
  return Array.isArray(calls) ? (calls as WireCall[]) : [];
}

/** A call at `index` of the answer, its arguments as JSON text. */
function toDelta(call: WireCall, index: number): ToolCallDelta {
  const args = call.function.arguments;
  const text = typeof args === 'string' ? args : args === undefined || args === null ? '{}' : JSON.stringify(args);
  const id = typeof call.id === 'string' && call.id !== '' ? call.id : `call_${index}`;
  return { index, id, name: call.function.name, argumentsDelta: text };
}

function reasoningOf(thinking: string): ReasoningBlock[] | undefined {
  return thinking === '' ? undefined : [{ text: thinking }];
}

/** A complete (non-stream) answer as our result. */
export function toProviderResult(answer: OllamaResponseChunk): ProviderResult {
  const toolCalls: ToolCall[] = wireCalls(answer).map((call, index) => {
    const delta = toDelta(call, index);
    return { id: delta.id!, name: delta.name!, arguments: delta.argumentsDelta };
  });
  const result: ProviderResult = {
    text: chunkText(answer),
    finishReason: toFinishReason(answer.done_reason, toolCalls.length > 0),
    usage: toUsage(answer),
    responseModel: answer.model,
  };
  if (toolCalls.length > 0) result.toolCalls = toolCalls;
  const reasoning = reasoningOf(chunkThinking(answer));
  if (reasoning) result.reasoning = reasoning;
  return result;
}

/** Turns the lines of one stream into our parts; `finish` only for the `done: true` line. */
export class OllamaStreamMapper {
  private readonly calls = new ToolCallAssembly();
  private thinking = '';

  /** The parts one (checked, non-error) line gives, in order: reasoning, text, tool calls, finish. */
  *parts(chunk: OllamaResponseChunk): Generator<ProviderStreamPart> {
    const thinking = chunkThinking(chunk);
    if (thinking) {
      this.thinking += thinking;
      yield { type: 'reasoning-delta', text: thinking };
    }
    const text = chunkText(chunk);
    if (text) yield { type: 'text-delta', text };
    // Each call arrives whole; its position in the answer is the count of calls before it.
    for (const call of wireCalls(chunk)) yield { type: 'tool-call-delta', ...this.calls.add(toDelta(call, this.calls.size)) };
    if (chunk.done !== true) return;
    const toolCalls = this.calls.finish();
    yield {
      type: 'finish',
      finishReason: toFinishReason(chunk.done_reason, toolCalls.length > 0),
      usage: toUsage(chunk),
      responseModel: chunk.model,
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      ...(this.thinking !== '' ? { reasoning: [{ text: this.thinking }] } : {}),
    };
  }
}

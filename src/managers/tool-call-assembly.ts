/**
 * Streamed tool calls arrive in pieces: OpenAI sends `tool_calls[i]` deltas (id and name first, then
 * argument fragments), Anthropic sends a `tool_use` block start and `input_json_delta`s. Every
 * streaming provider feeds the pieces here and reads the finished calls for its finish part, so how
 * pieces join is decided once.
 */
import { ProviderError } from '../core/errors.js';
import type { ToolCall, ToolCallDelta } from '../core/types.js';

/** More parallel tool calls than this in one answer is a broken upstream, not a plan. */
export const MAX_TOOL_CALLS_PER_ANSWER = 128;

/** Joins tool-call deltas by index into whole calls. */
export class ToolCallAssembly {
  private readonly calls = new Map<number, { id: string; name: string; arguments: string }>();

  /** Add one delta; returns the delta to pass on (with the index normalised). */
  add(delta: ToolCallDelta): ToolCallDelta {
    let call = this.calls.get(delta.index);
    if (!call) {
      if (this.calls.size >= MAX_TOOL_CALLS_PER_ANSWER) {
        throw new ProviderError(`the answer streamed more than ${MAX_TOOL_CALLS_PER_ANSWER} tool calls`, { retryable: false });
      }
      call = { id: '', name: '', arguments: '' };
      this.calls.set(delta.index, call);
    }
    if (delta.id) call.id = delta.id;
    if (delta.name && call.name === '') call.name = delta.name;
    call.arguments += delta.argumentsDelta;
    return delta;
  }

  /** Were any tool calls streamed? */
  get size(): number {
    return this.calls.size;
  }

  /**
   * The finished calls in index order. A call the provider sent no id for gets one (`call_<index>`),
   * so a follow-up can always answer it; arguments default to `{}` (a call of a tool without parameters).
   */
  finish(): ToolCall[] {
    return [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, call]) => ({ id: call.id || `call_${index}`, name: call.name, arguments: call.arguments === '' ? '{}' : call.arguments }));
  }
}

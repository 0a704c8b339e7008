/**
 * `/v1/chat/completions` answers: the `chat.completion` object and its `chat.completion.chunk`
 * stream, with tool calls, reasoning and structured output in the shapes OpenAI clients read.
 *
 * - Tool calls: `message.tool_calls: [{ id, type: 'function', function: { name, arguments } }]`,
 *   `content: null` when the model only called tools, `finish_reason: 'tool_calls'`. Streamed, each
 *   call opens with `{ index, id, type, function: { name, arguments: '' } }` and continues with
 *   `{ index, function: { arguments: <fragment> } }` (clients require the id and name on the first
 *   piece, so fragments wait until both are known).
 * - Reasoning: `reasoning_content` (the field DeepSeek, vLLM and OpenRouter clients read), and, when a
 *   block carries a signature or encrypted data that a tool follow-up must send back, OpenRouter's
 *   `reasoning_details` (streamed: on the finish chunk; chat-messages.ts reads both back).
 * - Structured output: the content is the model's JSON text (after output adapters).
 */
import type { GenerateResult, ReasoningBlock, ToolCall } from '../core/types.js';
import { openAIFinishReason, openAIUsage, switchboardExtension, type OpenAIFinishReason, type ResponseMeta, type RichStreamPart, type StreamWire, type WireFormat } from './response-shapes.js';

/** OpenAI's tool call object. */
function toolCallJson(call: ToolCall): Record<string, unknown> {
  return { id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } };
}

/** OpenRouter's reasoning details, only when a block has what a follow-up must return (a signature, encrypted data). */
function reasoningDetails(blocks: readonly ReasoningBlock[] | undefined): Array<Record<string, unknown>> | undefined {
  if (!blocks?.some((block) => block.signature !== undefined || block.redacted !== undefined)) return undefined;
  return blocks.map((block, index) =>
    block.redacted !== undefined
      ? { type: 'reasoning.encrypted', data: block.redacted, index }
      : { type: 'reasoning.text', text: block.text, ...(block.signature === undefined ? {} : { signature: block.signature }), index },
  );
}

/** The assistant message of a `chat.completion`. */
function chatMessage(result: GenerateResult): Record<string, unknown> {
  const calls = result.toolCalls;
  const message: Record<string, unknown> = { role: 'assistant', content: calls.length > 0 && result.text === '' ? null : result.text, refusal: null };
  if (result.reasoning) message.reasoning_content = result.reasoning;
  const details = reasoningDetails(result.message.reasoning);
  if (details) message.reasoning_details = details;
  if (calls.length > 0) message.tool_calls = calls.map(toolCallJson);
  return message;
}

/** One tool call of a stream, as announced to the client so far. */
interface StreamedCall {
  /** Its index in OpenAI's `tool_calls` (0, 1, ... in the order calls appear). */
  index: number;
  id?: string;
  name?: string;
  /** Announced: its id and name went out. */
  open: boolean;
  /** Argument fragments held until it is announced. */
  pending: string;
  /** Arguments sent so far. */
  sent: string;
}

/** The tool-call chunks of one stream. */
class ToolCallChunks {
  /** By the index the stream parts use. */
  private readonly byPartIndex = new Map<number, StreamedCall>();
  private readonly calls: StreamedCall[] = [];

  /** Deltas for a piece of a call: its opening once the id and name are known, then fragments. */
  piece(partIndex: number, id: string | undefined, name: string | undefined, argumentsDelta: string): Array<Record<string, unknown>> {
    let call = this.byPartIndex.get(partIndex);
    if (!call) {
      call = { index: this.calls.length, open: false, pending: '', sent: '' };
      this.byPartIndex.set(partIndex, call);
      this.calls.push(call);
    }
    call.id ??= id || undefined;
    call.name ??= name || undefined;
    if (call.open) return argumentsDelta ? [this.fragment(call, argumentsDelta)] : [];
    call.pending += argumentsDelta;
    if (call.id === undefined || call.name === undefined) return [];
    return this.announce(call, call.pending);
  }

  /**
   * Deltas for a complete call (each comes once, before the finish): whatever of it the client has not
   * seen yet. A call whose pieces never streamed goes out whole.
   */
  complete(toolCall: ToolCall): Array<Record<string, unknown>> {
    let call = this.calls.find((candidate) => candidate.id === toolCall.id) ?? this.calls.find((candidate) => !candidate.open && candidate.id === undefined);
    if (!call) {
      call = { index: this.calls.length, open: false, pending: '', sent: '' };
      this.calls.push(call);
    }
    if (!call.open) {
      call.id = toolCall.id;
      call.name = toolCall.name;
      return this.announce(call, toolCall.arguments);
    }
    // The complete arguments are the streamed ones plus what never came as a piece.
    const rest = toolCall.arguments.startsWith(call.sent) ? toolCall.arguments.slice(call.sent.length) : '';
    return rest ? [this.fragment(call, rest)] : [];
  }

  /** Deltas for the calls of a finished answer that never came as parts (a cached answer streams text only). */
  missing(calls: readonly ToolCall[]): Array<Record<string, unknown>> {
    return calls.filter((call) => !this.calls.some((streamed) => streamed.id === call.id && streamed.open)).flatMap((call) => this.complete(call));
  }

  private announce(call: StreamedCall, args: string): Array<Record<string, unknown>> {
    call.open = true;
    call.pending = '';
    const out: Array<Record<string, unknown>> = [{ tool_calls: [{ index: call.index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }];
    if (args) out.push(this.fragment(call, args));
    return out;
  }

  private fragment(call: StreamedCall, args: string): Record<string, unknown> {
    call.sent += args;
    return { tool_calls: [{ index: call.index, function: { arguments: args } }] };
  }
}

/** `/v1/chat/completions`: `chat.completion` and `chat.completion.chunk` objects. */
export function chatWire(meta: ResponseMeta, includeUsage: boolean): WireFormat {
  const head = (object: string) => ({ id: meta.id, object, created: meta.created, model: meta.model });
  // With include_usage, OpenAI puts `usage: null` on every chunk but the last.
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({ ...head('chat.completion.chunk'), choices, ...(includeUsage ? { usage: null } : {}), ...extra });
  const choice = (delta: Record<string, unknown>, finish: OpenAIFinishReason | null) => ({ index: 0, delta, logprobs: null, finish_reason: finish });
  return {
    json: (result) => ({
      ...head('chat.completion'),
      choices: [{ index: 0, message: chatMessage(result), logprobs: null, finish_reason: openAIFinishReason(result.finishReason) }],
      usage: openAIUsage(result.usage),
      x_switchboard: switchboardExtension(result, meta.sessionId),
    }),
    stream: (): StreamWire => {
      // Most streams carry text only: the tool-call state is made when a call shows up.
      let toolCalls: ToolCallChunks | undefined;
      let reasoned = false;
      return {
        opening: () => [chunk([choice({ role: 'assistant', content: '' }, null)])],
        delta: (text) => chunk([choice({ content: text }, null)]),
        rich: (part: RichStreamPart) => {
          let deltas: Array<Record<string, unknown>>;
          if (part.type === 'reasoning-delta') {
            reasoned ||= part.text !== '';
            deltas = part.text ? [{ reasoning_content: part.text }] : [];
          }
          else if (part.type === 'tool-call-delta') deltas = (toolCalls ??= new ToolCallChunks()).piece(part.index, part.id, part.name, part.argumentsDelta);
          else if (part.type === 'tool-call') deltas = (toolCalls ??= new ToolCallChunks()).complete(part.toolCall);
          // Signatures and redacted blocks are whole only at the end: reasoning_details on the finish chunk.
          else deltas = [];
          return deltas.map((delta) => chunk([choice(delta, null)]));
        },
        finish: (result) => {
          const out: Array<Record<string, unknown>> = [];
          if (!reasoned && result.reasoning) out.push(chunk([choice({ reasoning_content: result.reasoning }, null)]));
          if (result.toolCalls.length > 0) for (const delta of (toolCalls ??= new ToolCallChunks()).missing(result.toolCalls)) out.push(chunk([choice(delta, null)]));
          // Signed or encrypted reasoning is whole only at the end: it rides on the finish chunk.
          const details = reasoningDetails(result.message.reasoning);
          out.push(chunk([choice(details ? { reasoning_details: details } : {}, openAIFinishReason(result.finishReason))], { x_switchboard: switchboardExtension(result, meta.sessionId) }));
          return out;
        },
        usage: (result) => ({ ...head('chat.completion.chunk'), choices: [], usage: openAIUsage(result.usage) }),
      };
    },
  };
}

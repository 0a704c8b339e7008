/**
 * The Responses API's `response` object and its output items, built from a switchboard result: what
 * the JSON answer is, and what the stream's lifecycle events (`response.created` ... `response.completed`)
 * carry. Field names and required fields follow openai-node's `Response` type, which the openai SDK
 * and the AI SDK's default OpenAI provider (zod-validated) read: `message` items with `output_text`
 * parts, `function_call` items (`call_id`, `name`, `arguments`), `reasoning` items
 * (responses-reasoning.ts), usage with input, cached, output and reasoning tokens, and `status`
 * `incomplete` with `incomplete_details.reason` when the answer hit `max_output_tokens` (or a content
 * filter). The request's configuration is echoed as OpenAI does, and `x_switchboard` says what the
 * switchboard did (response-shapes.ts).
 */
import type { GenerateResult, ToolCall, Usage } from '../core/types.js';
import { newId } from './context.js';
import type { OpenAIErrorObject } from './errors.js';
import type { ResponsesEcho } from './responses-request.js';
import { answerReasoning, reasoningItem } from './responses-reasoning.js';
import { switchboardExtension } from './response-shapes.js';

/** What every object of one response shares. */
export interface ResponsesMeta {
  /** `resp_...`, the same in every event of a stream. */
  id: string;
  /** Unix seconds. */
  createdAt: number;
  /** The model as the client named it (`bot:support` or `provider:model`). */
  model: string;
  /** The session the call ran in, when there was one. */
  sessionId?: string;
  echo: ResponsesEcho;
}

/** A response's lifecycle status. */
export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed';

/** Item ids, prefixed as OpenAI's are. */
export const itemId = (prefix: 'msg' | 'fc' | 'rs'): string => `${prefix}_${newId()}`;

/** The Responses API's usage object. */
export function responsesUsage(usage: Usage): Record<string, unknown> {
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: { cached_tokens: usage.cacheReadTokens ?? 0 },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: usage.totalTokens,
  };
}

/** `completed`, or `incomplete` with its reason (the answer was cut by the token limit or a content filter). */
export function resultStatus(result: GenerateResult): { status: 'completed' | 'incomplete'; incomplete?: { reason: string } } {
  if (result.finishReason === 'length') return { status: 'incomplete', incomplete: { reason: 'max_output_tokens' } };
  if (result.finishReason === 'content-filter') return { status: 'incomplete', incomplete: { reason: 'content_filter' } };
  return { status: 'completed' };
}

/** An `output_text` part. */
export const outputText = (text: string): Record<string, unknown> => ({ type: 'output_text', text, annotations: [] });

/** A `message` output item. */
export function messageItem(id: string, text: string | undefined, status: 'in_progress' | 'completed' | 'incomplete'): Record<string, unknown> {
  return { type: 'message', id, status, role: 'assistant', content: text === undefined ? [] : [outputText(text)] };
}

/** A `function_call` output item. */
export function functionCallItem(id: string, call: ToolCall, status: 'in_progress' | 'completed' | 'incomplete'): Record<string, unknown> {
  return { type: 'function_call', id, call_id: call.id, name: call.name, arguments: call.arguments, status };
}

/**
 * The output of a whole answer: its reasoning, its text (none when the model only called tools, as
 * OpenAI answers), then its tool calls.
 */
export function outputItems(result: GenerateResult): Array<Record<string, unknown>> {
  const items: Array<Record<string, unknown>> = [];
  const blocks = answerReasoning(result.message, result.reasoning);
  if (blocks) items.push(reasoningItem(itemId('rs'), blocks));
  if (result.text !== '' || result.toolCalls.length === 0) items.push(messageItem(itemId('msg'), result.text, resultStatus(result).status === 'incomplete' ? 'incomplete' : 'completed'));
  for (const call of result.toolCalls) items.push(functionCallItem(itemId('fc'), call, 'completed'));
  return items;
}

/** What a response object holds at one point of its life. */
export interface ResponseState {
  status: ResponseStatus;
  output: Array<Record<string, unknown>>;
  /** The finished answer (usage, the extension); absent while in progress or after a failure. */
  result?: GenerateResult;
  error?: Pick<OpenAIErrorObject, 'code' | 'message'>;
}

/** The `response` object. */
export function responseObject(meta: ResponsesMeta, state: ResponseState): Record<string, unknown> {
  const { echo, id, createdAt, model } = meta;
  const incomplete = state.result ? resultStatus(state.result).incomplete : undefined;
  const response: Record<string, unknown> = {
    id,
    object: 'response',
    created_at: createdAt,
    status: state.status,
    background: false,
    error: state.error ? { code: state.error.code, message: state.error.message } : null,
    incomplete_details: incomplete ?? null,
    instructions: echo.instructions,
    max_output_tokens: echo.max_output_tokens,
    metadata: echo.metadata,
    model,
    output: state.output,
    parallel_tool_calls: echo.parallel_tool_calls,
    previous_response_id: null,
    reasoning: echo.reasoning,
    store: false,
    temperature: echo.temperature,
    text: echo.text,
    tool_choice: echo.tool_choice,
    tools: echo.tools,
    top_p: echo.top_p,
    truncation: 'disabled',
    usage: state.result ? responsesUsage(state.result.usage) : null,
    user: echo.user,
  };
  if (state.result) {
    response.completed_at = Math.floor(Date.now() / 1000);
    response.x_switchboard = switchboardExtension(state.result, meta.sessionId);
  }
  return response;
}

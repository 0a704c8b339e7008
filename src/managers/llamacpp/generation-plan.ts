/**
 * What one llama.cpp generation is asked for, decided from the request before the model is touched:
 * the chat history, the functions the model may call (tool choice `auto`: the model decides, in the
 * chat wrapper's syntax), or a grammar (a JSON-schema answer, any JSON object, or a forced tool call
 * `{ name, arguments }` for tool choice `required` / `{ name }`), and the extra generation options
 * (`params.topK` as node-llama-cpp's `topK`, and what `providerOptions.llamacpp` may give). And how
 * the answer maps back: function calls or the forced call's JSON become tool calls with ids of our
 * own (llama.cpp has none).
 */
import { randomBytes } from 'node:crypto';
import type { ChatHistoryItem, ChatModelFunctions, Llama, LlamaChatResponse, LlamaGrammar } from 'node-llama-cpp';
import { InvalidRequestError, ProviderError, UnsupportedCapabilityError } from '../../core/errors.js';
import type { ProviderRequest, ToolCall, ToolDefinition } from '../../core/types.js';
import { mergeProviderOptions } from '../provider-options.js';
import { forcedCallInstruction, toChatHistory, toFunctions, withSystemInstruction } from './convert-history.js';
import { ANY_JSON_OBJECT, forcedCallSchema, grammarFor, toGrammarSchema } from './json-grammar.js';
import { LLAMACPP_ID } from './llamacpp-config.js';

/** Generation options the manager sets itself (or that would take the call out of its hands): not for providerOptions. */
const RESERVED_OPTIONS = [
  'signal',
  'stopOnAbortSignal',
  'maxTokens',
  'temperature',
  'topP',
  'seed',
  'customStopTriggers',
  'repeatPenalty',
  'grammar',
  'functions',
  'documentFunctionParams',
  'maxParallelFunctionCalls',
  'onTextChunk',
  'onToken',
  'onResponseChunk',
  'onFunctionCall',
  'onFunctionCallParamsChunk',
  'contextShift',
  'lastEvaluationContextWindow',
  'abortOnNonText',
] as const;

/** One generation, ready to run. */
export interface GenerationPlan {
  history: ChatHistoryItem[];
  /** Tool choice `auto`: the model may call these, in the chat wrapper's syntax. */
  functions?: ChatModelFunctions;
  /** At most one call per turn when the request turned parallel calls off. */
  maxParallelFunctionCalls?: number;
  /** A JSON answer or a forced call: sampling follows this grammar. */
  grammar?: LlamaGrammar;
  /** The answer is a forced call (its JSON is the call, not text). */
  forcedCall: boolean;
  /** `providerOptions.llamacpp`, checked against what the manager sets, and `topK` from params.topK. */
  extraOptions: Record<string, unknown>;
}

/** The tools a forced call picks from: all of them (`required`) or the one named. */
function forcedTools(request: ProviderRequest): ToolDefinition[] | undefined {
  const tools = request.tools ?? [];
  const choice = request.toolChoice;
  if (tools.length === 0 || choice === undefined || choice === 'auto' || choice === 'none') return undefined;
  if (choice === 'required') return tools;
  return tools.filter((tool) => tool.name === choice.name);
}

/** The part of a plan that needs no model: what the request itself decides. */
interface CheckedRequest {
  history: ChatHistoryItem[];
  forced: ToolDefinition[] | undefined;
  extraOptions: Record<string, unknown>;
}

/**
 * Everything about a request llama.cpp cannot take, found without the model: tool-call arguments
 * that are no JSON, providerOptions the manager sets itself, tools offered together with a JSON answer.
 * The manager asks before it loads the model; planning asks again (cheap) and uses the answer.
 */
export function checkRequest(request: ProviderRequest): CheckedRequest {
  const { topK } = request.params;
  // providerOptions.llamacpp.topK stays open to requests without params.topK (it was the way before).
  const reserved = topK === undefined ? RESERVED_OPTIONS : [...RESERVED_OPTIONS, 'topK'];
  const extraOptions = mergeProviderOptions<Record<string, unknown>>({}, request, LLAMACPP_ID, reserved);
  if (topK !== undefined) extraOptions.topK = topK;
  const history = toChatHistory(request);
  const forced = forcedTools(request);
  // request-rules.ts checks this for every call; a manager called on its own must not fall back to `auto`.
  if (forced && forced.length === 0) throw new InvalidRequestError('toolChoice.name names no tool of this request', { provider: LLAMACPP_ID, model: request.modelId });
  const format = request.responseFormat;
  const offersTools = (request.tools?.length ?? 0) > 0 && request.toolChoice !== 'none';
  if (offersTools && format && format.type !== 'text') {
    // node-llama-cpp samples under functions or a grammar, never both: tools would be dropped, or the JSON not held.
    throw new UnsupportedCapabilityError('responseFormat', 'a llama.cpp model cannot offer tools and be held to a JSON answer at once: send one of them', { provider: LLAMACPP_ID, model: request.modelId });
  }
  return { history, forced, extraOptions };
}

/** Decide what llama.cpp is asked for; compiles (or takes from the cache) the grammar it needs. */
export async function planGeneration(llama: Llama, request: ProviderRequest): Promise<GenerationPlan> {
  const origin = { provider: LLAMACPP_ID, model: request.modelId };
  const { forced, extraOptions, ...checked } = checkRequest(request);
  let history = checked.history;
  const format = request.responseFormat;
  if (forced && forced.length > 0) {
    history = withSystemInstruction(history, forcedCallInstruction(forced));
    const grammar = await grammarFor(llama, forcedCallSchema(forced), 'tools[].parameters', origin);
    return { history, grammar, forcedCall: true, extraOptions };
  }
  if (format?.type === 'json_schema') {
    return { history, grammar: await grammarFor(llama, toGrammarSchema(format.schema), 'responseFormat.schema', origin), forcedCall: false, extraOptions };
  }
  if (format?.type === 'json') return { history, grammar: await grammarFor(llama, ANY_JSON_OBJECT, 'responseFormat', origin), forcedCall: false, extraOptions };
  const tools = request.toolChoice === 'none' ? [] : (request.tools ?? []);
  if (tools.length === 0) return { history, forcedCall: false, extraOptions };
  return {
    history,
    functions: toFunctions(tools),
    ...(request.parallelToolCalls === false ? { maxParallelFunctionCalls: 1 } : {}),
    forcedCall: false,
    extraOptions,
  };
}

/** An id of our own: unique, so that calls of different turns never share one. */
function newCallId(): string {
  return `call_${randomBytes(9).toString('base64url')}`;
}

/** The calls the model made in the chat wrapper's syntax, as tool calls. */
export function toolCallsOf(response: Pick<LlamaChatResponse<ChatModelFunctions>, 'functionCalls'>): ToolCall[] {
  return (response.functionCalls ?? []).map((call) => ({ id: newCallId(), name: call.functionName, arguments: JSON.stringify(call.params ?? {}) }));
}

/**
 * The forced call a grammar-constrained answer holds, its arguments exactly as the model wrote them
 * (the grammar puts them last: `{"name": ..., "arguments": <here>}`; re-serialising would turn a
 * number too large for a double into `null`). Undefined when the text stops short (the token limit
 * cut the JSON); anything else that does not parse means the grammar did not hold.
 */
export function forcedCallOf(text: string, truncated: boolean, request: ProviderRequest): ToolCall | undefined {
  let name: unknown;
  try {
    name = (JSON.parse(text) as { name?: unknown }).name;
  } catch {
    if (truncated) return undefined;
  }
  // Tool names are letters, digits, `_` and `-`: the first `"arguments"` after the name is the key.
  const key = text.indexOf('"arguments"');
  const colon = key < 0 ? -1 : text.indexOf(':', key);
  const end = text.lastIndexOf('}');
  if (typeof name !== 'string' || colon < 0 || end <= colon) {
    throw new ProviderError(`llamacpp:${request.modelId} wrote a forced tool call that is not one`, { provider: LLAMACPP_ID, model: request.modelId, retryable: true });
  }
  return { id: newCallId(), name, arguments: text.slice(colon + 1, end).trim() };
}

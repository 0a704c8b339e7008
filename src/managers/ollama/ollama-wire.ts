/**
 * The native Ollama wire format (`/api/chat`, `/api/generate`): the shapes of request bodies and
 * answers, the sampling `options`, `keep_alive`, and the checks, finish reason and usage read back
 * from an answer (the whole object, or the NDJSON lines of a stream ending `done: true`).
 * Request bodies are built in convert-request.ts, answers mapped in map-response.ts.
 */
import { malformedAnswer, type AnswerOrigin } from '../../core/answer-errors.js';
import { makeUsage } from '../../core/usage.js';
import type { CallParams, FinishReason, Usage } from '../../core/types.js';

/** Ollama's `options` object: the sampling parameters we map (providerOptions may add others, e.g. num_ctx). */
export interface OllamaOptions {
  temperature?: number;
  top_p?: number;
  num_predict?: number;
  stop?: string[];
  seed?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
  [other: string]: unknown;
}

/** The `options` keys our own parameters set: providerOptions may not replace them. */
export const MAPPED_OPTION_KEYS: Readonly<Record<string, keyof CallParams>> = {
  temperature: 'temperature',
  top_p: 'topP',
  num_predict: 'maxTokens',
  stop: 'stop',
  seed: 'seed',
  frequency_penalty: 'frequencyPenalty',
  presence_penalty: 'presencePenalty',
};

/** A tool call as Ollama writes it: arguments are an object, not JSON text; `id` since Ollama 0.12.10. */
export interface OllamaToolCall {
  id?: string;
  function: { index?: number; name: string; arguments: Record<string, unknown> };
}

/** A tool the model may call (`tools` on /api/chat). */
export interface OllamaTool {
  type: 'function';
  function: { name: string; description?: string; parameters: Record<string, unknown> };
}

/** One message of /api/chat. */
export interface OllamaMessage {
  role: string;
  content: string;
  /** Base64 image bytes (no data: prefix, no media type: the server reads the format from the bytes). */
  images?: string[];
  tool_calls?: OllamaToolCall[];
  /** On an assistant message: its earlier thinking, for models whose template renders it. */
  thinking?: string;
  /** On a tool message: the tool that was called (what Ollama's templates read). */
  tool_name?: string;
  /** On a tool message: the id of the call it answers (servers that do not know it ignore it). */
  tool_call_id?: string;
}

/** Ollama's `think`: on/off, or a level (only gpt-oss models take levels; others answer 400). */
export type OllamaThink = boolean | 'low' | 'medium' | 'high';

/** The body of POST /api/chat or /api/generate. */
export interface OllamaRequestBody {
  model: string;
  stream: boolean;
  messages?: OllamaMessage[];
  prompt?: string;
  system?: string;
  /** /api/generate: the images of the prompt. */
  images?: string[];
  tools?: OllamaTool[];
  /** `json`, or a JSON schema the answer must follow. */
  format?: 'json' | Record<string, unknown>;
  think?: OllamaThink;
  options?: OllamaOptions;
  keep_alive?: string | number;
  [other: string]: unknown;
}

/** One response object (the whole answer, or one NDJSON line of a stream). */
export interface OllamaResponseChunk {
  model?: string;
  /** /api/chat */
  message?: { role?: string; content?: string; thinking?: string; tool_calls?: unknown };
  /** /api/generate */
  response?: string;
  /** /api/generate: the thinking text (chat carries it in `message.thinking`). */
  thinking?: string;
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  /** Present when the server failed, including in the middle of a stream. */
  error?: string;
}

/** Which endpoint a request goes to. */
export type OllamaEndpoint = '/api/chat' | '/api/generate';

/** Map our parameters to Ollama's `options`; absent parameters stay absent (server defaults apply). */
export function toOllamaOptions(params: CallParams): OllamaOptions | undefined {
  const options: OllamaOptions = {};
  if (params.temperature !== undefined) options.temperature = params.temperature;
  if (params.topP !== undefined) options.top_p = params.topP;
  if (params.maxTokens !== undefined) options.num_predict = params.maxTokens;
  if (params.stop !== undefined) options.stop = Array.isArray(params.stop) ? [...params.stop] : [params.stop];
  if (params.seed !== undefined) options.seed = params.seed;
  if (params.frequencyPenalty !== undefined) options.frequency_penalty = params.frequencyPenalty;
  if (params.presencePenalty !== undefined) options.presence_penalty = params.presencePenalty;
  return Object.keys(options).length > 0 ? options : undefined;
}

/**
 * Ollama reads `keep_alive` as a number of seconds or a Go duration string; Go rejects a bare
 * number in a string ("-1" has no unit), so numeric config values are sent as numbers.
 */
export function toKeepAlive(configured: string): string | number | undefined {
  const value = configured.trim();
  if (value === '') return undefined;
  return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
}

/** Tool calls of a message: an array of objects, each naming a function; anything else is no answer. */
function checkToolCalls(value: unknown, origin: AnswerOrigin): boolean {
  if (value === undefined || value === null) return false;
  const wellFormed =
    Array.isArray(value) &&
    value.every((call) => {
      const fn = (call as { function?: { name?: unknown; arguments?: unknown } } | null)?.function;
      return typeof fn === 'object' && fn !== null && typeof fn.name === 'string' && fn.name !== '' && (fn.arguments === undefined || typeof fn.arguments === 'object' || typeof fn.arguments === 'string');
    });
  if (!wellFormed) throw malformedAnswer(origin, 'its tool_calls are not a list of function calls');
  return value.length > 0;
}

/**
 * `value` (a parsed answer or NDJSON line) checked to be an Ollama object whose text is text, so
 * that only strings ever reach adapters. A `complete` (non-stream) answer must carry its text, or
 * tool calls (a message that only calls tools is an answer); a stream line may carry neither (the
 * final `done` line). Thinking, when present, must be text too. An `error` line is left to the caller.
 */
export function checkAnswer(value: unknown, origin: AnswerOrigin, complete: boolean): OllamaResponseChunk {
  if (typeof value !== 'object' || value === null) throw malformedAnswer(origin, complete ? 'the body is not a JSON object' : 'a stream line is not a JSON object');
  const chunk = value as OllamaResponseChunk;
  if (typeof chunk.error === 'string') return chunk;
  const message: unknown = chunk.message;
  let text: unknown;
  let thinking: unknown = chunk.thinking;
  let calls = false;
  if (message === undefined) text = chunk.response;
  else if (typeof message === 'object' && message !== null) {
    const fields = message as { content?: unknown; thinking?: unknown; tool_calls?: unknown };
    text = fields.content;
    thinking = fields.thinking;
    calls = checkToolCalls(fields.tool_calls, origin);
  } else throw malformedAnswer(origin, 'its message is not an object');
  if (thinking !== undefined && thinking !== null && typeof thinking !== 'string') throw malformedAnswer(origin, 'its thinking is not text');
  if (typeof text === 'string' || (text === undefined && (calls || !complete))) return chunk;
  throw malformedAnswer(origin, text === undefined ? 'it carries no message' : 'the message content is not text');
}

/** The text an object carries, for either endpoint. */
export function chunkText(chunk: OllamaResponseChunk): string {
  return chunk.message?.content ?? chunk.response ?? '';
}

/** The thinking text an object carries, for either endpoint. */
export function chunkThinking(chunk: OllamaResponseChunk): string {
  return (chunk.message ? chunk.message.thinking : chunk.thinking) ?? '';
}

/**
 * Ollama's `done_reason`; servers older than 0.1.40 send none on a normal end. Ollama ends a turn
 * that called tools with `stop`: an answer with tool calls is `tool-calls` whatever it says.
 */
export function toFinishReason(doneReason: string | undefined, calledTools = false): FinishReason {
  if (calledTools) return 'tool-calls';
  if (doneReason === undefined || doneReason === 'stop') return 'stop';
  if (doneReason === 'length') return 'length';
  return 'other';
}

/** Usage from the final object; undefined unless the server reported both counts (never invented). */
export function toUsage(chunk: OllamaResponseChunk): Usage | undefined {
  const input = chunk.prompt_eval_count;
  const output = chunk.eval_count;
  if (typeof input !== 'number' || typeof output !== 'number') return undefined;
  return makeUsage({ inputTokens: input, outputTokens: output });
}

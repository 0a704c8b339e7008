/**
 * The native Ollama wire format (`/api/chat`, `/api/generate`): request bodies built from our
 * ProviderRequest, and the usage / finish reason read back from the final (`done: true`) object.
 */
import { malformedAnswer, type AnswerOrigin } from '../../core/answer-errors.js';
import { makeUsage } from '../../core/usage.js';
import type { CallParams, FinishReason, ProviderRequest, Usage } from '../../core/types.js';
import { messageText } from '../../core/messages.js';

/** Ollama's `options` object: the sampling parameters we map. */
export interface OllamaOptions {
  temperature?: number;
  top_p?: number;
  num_predict?: number;
  stop?: string[];
  seed?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
}

/** The body of POST /api/chat or /api/generate. */
export interface OllamaRequestBody {
  model: string;
  stream: boolean;
  messages?: Array<{ role: string; content: string }>;
  prompt?: string;
  system?: string;
  options?: OllamaOptions;
  keep_alive?: string | number;
}

/** One response object (the whole answer, or one NDJSON line of a stream). */
export interface OllamaResponseChunk {
  model?: string;
  /** /api/chat */
  message?: { role?: string; content?: string };
  /** /api/generate */
  response?: string;
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

/** Build the endpoint and body for one request: chats go to /api/chat, text completions to /api/generate. */
export function buildOllamaRequest(request: ProviderRequest, stream: boolean, keepAlive: string): { endpoint: OllamaEndpoint; body: OllamaRequestBody } {
  const body: OllamaRequestBody = { model: request.modelId, stream };
  const options = toOllamaOptions(request.params);
  if (options) body.options = options;
  const keep = toKeepAlive(keepAlive);
  if (keep !== undefined) body.keep_alive = keep;
  if (request.operation === 'text_completion') {
    const system = request.messages.filter((message) => message.role === 'system').map((message) => messageText(message));
    if (system.length > 0) body.system = system.join('\n\n');
    body.prompt = request.messages.filter((message) => message.role !== 'system').map((message) => messageText(message)).join('\n\n');
    return { endpoint: '/api/generate', body };
  }
  body.messages = request.messages.map((message) => ({ role: message.role, content: messageText(message) }));
  return { endpoint: '/api/chat', body };
}

/**
 * `value` (a parsed answer or NDJSON line) checked to be an Ollama object whose text is text, so
 * that only strings ever reach adapters. A `complete` (non-stream) answer must carry its text; a
 * stream line may carry none (the final `done` line). An `error` line is left to the caller.
 */
export function checkAnswer(value: unknown, origin: AnswerOrigin, complete: boolean): OllamaResponseChunk {
  if (typeof value !== 'object' || value === null) throw malformedAnswer(origin, complete ? 'the body is not a JSON object' : 'a stream line is not a JSON object');
  const chunk = value as OllamaResponseChunk;
  if (typeof chunk.error === 'string') return chunk;
  const message: unknown = chunk.message;
  let text: unknown;
  if (message === undefined) text = chunk.response;
  else if (typeof message === 'object' && message !== null) text = (message as { content?: unknown }).content;
  else throw malformedAnswer(origin, 'its message is not an object');
  if (typeof text === 'string' || (text === undefined && !complete)) return chunk;
  throw malformedAnswer(origin, text === undefined ? 'it carries no message' : 'the message content is not text');
}

/** The text an object carries, for either endpoint. */
export function chunkText(chunk: OllamaResponseChunk): string {
  return chunk.message?.content ?? chunk.response ?? '';
}

/** Ollama's `done_reason`; servers older than 0.1.40 send none on a normal end. */
export function toFinishReason(doneReason: string | undefined): FinishReason {
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

/**
 * OpenAI request bodies (`/v1/chat/completions`, `/v1/completions`) checked and turned into the
 * switchboard's call shape. Each problem is a 400 naming the OpenAI field (`param`) and what to send.
 * Unknown fields are ignored (clients send many), and nothing here can choose where a call goes:
 * fields such as `base_url` or `api_base` have no meaning to the gateway.
 */
import { paramProblem, PARAM_RULES } from '../core/param-rules.js';
import type { CallParams, ChatMessage } from '../core/types.js';
import { GatewayHttpError } from './errors.js';

/** What both endpoints share. */
export interface ParsedCommon {
  /** `bot:<name>` or `provider:model`, as sent. */
  model: string;
  params: CallParams;
  stream: boolean;
  /** `stream_options.include_usage`. */
  includeUsage: boolean;
  /** OpenAI's end-user field; may name a session. */
  user?: string;
}

/** A checked chat completion request. */
export interface ParsedChatBody extends ParsedCommon {
  messages: ChatMessage[];
}

/** A checked text completion request. */
export interface ParsedCompletionBody extends ParsedCommon {
  prompt: string;
}

type Body = Record<string, unknown>;

const invalid = (message: string, param: string) => GatewayHttpError.invalid(message, param);

function asBody(body: unknown): Body {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid('The request body must be a JSON object such as {"model": "bot:support", "messages": [...]}', 'body');
  }
  return body as Body;
}

/** JSON null means "not given" to OpenAI clients. */
function given(body: Body, field: string): unknown {
  const value = body[field];
  return value === null ? undefined : value;
}

/** A parameter by its OpenAI name, checked by the one parameter table (core/param-rules.ts) under our name. */
function paramField(body: Body, field: string, name: keyof typeof PARAM_RULES): CallParams[typeof name] | undefined {
  const value = given(body, field);
  if (value === undefined) return undefined;
  // OpenAI clients send `stop: []` for "none".
  if (name === 'stop' && Array.isArray(value) && value.length === 0) return undefined;
  const problem = paramProblem(name, value);
  if (problem) throw invalid(`${field} ${problem}`, field);
  return value as CallParams[typeof name];
}

/** Sampling parameters, by their OpenAI names. */
function parseParams(body: Body): CallParams {
  const params: CallParams = {};
  const maxCompletion = paramField(body, 'max_completion_tokens', 'maxTokens');
  const maxTokens = paramField(body, 'max_tokens', 'maxTokens');
  const entries: Array<[keyof CallParams, unknown]> = [
    ['temperature', paramField(body, 'temperature', 'temperature')],
    ['topP', paramField(body, 'top_p', 'topP')],
    ['maxTokens', maxCompletion ?? maxTokens],
    ['frequencyPenalty', paramField(body, 'frequency_penalty', 'frequencyPenalty')],
    ['presencePenalty', paramField(body, 'presence_penalty', 'presencePenalty')],
    ['seed', paramField(body, 'seed', 'seed')],
    ['stop', paramField(body, 'stop', 'stop')],
  ];
  for (const [name, value] of entries) if (value !== undefined) (params as Record<string, unknown>)[name] = value;
  return params;
}

/** Features the gateway does not offer are refused rather than silently dropped. */
function refuseUnsupported(body: Body, completions: boolean): void {
  const n = given(body, 'n');
  if (n !== undefined && n !== 1) throw invalid('n must be 1: the gateway returns one choice per request', 'n');
  for (const field of ['tools', 'functions']) {
    const value = given(body, field);
    if (value !== undefined && !(Array.isArray(value) && value.length === 0)) throw invalid(`${field} are not supported by the gateway`, field);
  }
  const logprobs = given(body, 'logprobs');
  if (logprobs !== undefined && logprobs !== false && logprobs !== 0) throw invalid('logprobs are not supported by the gateway', 'logprobs');
  if (completions) {
    if (given(body, 'echo') === true) throw invalid('echo is not supported by the gateway', 'echo');
    const bestOf = given(body, 'best_of');
    if (bestOf !== undefined && bestOf !== 1) throw invalid('best_of must be 1', 'best_of');
    const suffix = given(body, 'suffix');
    if (suffix !== undefined && suffix !== '') throw invalid('suffix is not supported by the gateway', 'suffix');
  }
}

function parseCommon(body: Body, completions: boolean): ParsedCommon {
  const model = body.model;
  if (typeof model !== 'string' || model.trim() === '') {
    throw invalid('model is required: "bot:<name>" for a bot, or "provider:model" such as "openai:gpt-4o-mini"', 'model');
  }
  refuseUnsupported(body, completions);
  const stream = given(body, 'stream');
  if (stream !== undefined && typeof stream !== 'boolean') throw invalid('stream must be true or false', 'stream');
  const options = given(body, 'stream_options');
  let includeUsage = false;
  if (options !== undefined) {
    if (typeof options !== 'object' || Array.isArray(options)) throw invalid('stream_options must be an object such as {"include_usage": true}', 'stream_options');
    const include = (options as Body).include_usage;
    if (include !== undefined && include !== null && typeof include !== 'boolean') throw invalid('stream_options.include_usage must be true or false', 'stream_options.include_usage');
    if (include === true && stream !== true) throw invalid('stream_options is only allowed when stream is true', 'stream_options');
    includeUsage = include === true;
  }
  const user = given(body, 'user');
  if (user !== undefined && typeof user !== 'string') throw invalid('user must be a string', 'user');
  const parsed: ParsedCommon = { model: model.trim(), params: parseParams(body), stream: stream === true, includeUsage };
  if (typeof user === 'string' && user !== '') parsed.user = user;
  return parsed;
}

/** Message content: a string, or OpenAI's array of text parts (joined with newlines). */
function messageContent(content: unknown, index: number): string {
  if (typeof content === 'string') return content;
  const param = `messages[${index}].content`;
  if (Array.isArray(content)) {
    return content
      .map((part, at) => {
        const record = typeof part === 'object' && part !== null ? (part as Body) : {};
        if (record.type !== 'text' || typeof record.text !== 'string') {
          throw invalid(`${param}[${at}] must be a text part {"type": "text", "text": "..."}; images, audio and files are not supported by the gateway`, param);
        }
        return record.text;
      })
      .join('\n');
  }
  throw invalid(`${param} must be a string or an array of text parts`, param);
}

function parseMessages(value: unknown): ChatMessage[] {
  if (!Array.isArray(value) || value.length === 0) throw invalid('messages must be a non-empty array of {"role", "content"}', 'messages');
  return value.map((message, index) => {
    if (typeof message !== 'object' || message === null || Array.isArray(message)) throw invalid(`messages[${index}] must be an object {"role", "content"}`, `messages[${index}]`);
    const { role, content } = message as Body;
    // OpenAI's newer name for a system message.
    const normalized = role === 'developer' ? 'system' : role;
    if (normalized !== 'system' && normalized !== 'user' && normalized !== 'assistant') {
      throw invalid(`messages[${index}].role must be "system", "developer", "user" or "assistant"; tool messages are not supported by the gateway`, `messages[${index}].role`);
    }
    return { role: normalized, content: messageContent(content, index) };
  });
}

/** Check a `/v1/chat/completions` body. */
export function parseChatBody(raw: unknown): ParsedChatBody {
  const body = asBody(raw);
  const common = parseCommon(body, false);
  return { ...common, messages: parseMessages(body.messages) };
}

/** Check a `/v1/completions` body: `prompt` is a string (or an array holding exactly one). */
export function parseCompletionBody(raw: unknown): ParsedCompletionBody {
  const body = asBody(raw);
  const common = parseCommon(body, true);
  let prompt = body.prompt;
  if (Array.isArray(prompt)) {
    if (prompt.length !== 1) throw invalid('prompt must be one string (or an array of exactly one string): the gateway answers one prompt per request', 'prompt');
    prompt = prompt[0];
  }
  if (typeof prompt !== 'string' || prompt === '') throw invalid('prompt must be a non-empty string', 'prompt');
  return { ...common, prompt };
}

/**
 * What both OpenAI request bodies (`/v1/chat/completions`, `/v1/completions`) share: the body object,
 * JSON null as "not given", the sampling parameters (checked by the one parameter table,
 * core/param-rules.ts), `stream` / `stream_options`, `user`, and the rule that every field is either
 * honoured, refused by name (400 `unsupported_parameter`) or unknown (400 `unknown_parameter`): nothing
 * a client sends is ignored. Messages name the field and never repeat what was sent.
 */
import { paramProblem, PARAM_RULES } from '../core/param-rules.js';
import { excerpt } from '../core/secrets.js';
import { checkToolChoice, checkTools, type Checked } from '../core/request-rules.js';
import type { CallParams, RichRequestFields, ToolChoice, ToolDefinition } from '../core/types.js';
import { GatewayHttpError } from './errors.js';

/** Longest `user` (an end-user id, forwarded upstream; OpenAI's own ids are far shorter). */
const MAX_USER_CHARS = 256;

/**
 * An unknown field's name as a message and `param` repeat it: bounded like any caller text, but long
 * enough for the names clients really send (`prompt_cache_retention`, `chat_template_kwargs`).
 */
export const fieldName = (name: string): string => excerpt(name, 40);

/** A request body (or any JSON object in it). */
export type Body = Record<string, unknown>;

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

/** A 400 naming `param`. */
export const invalid = (message: string, param: string): GatewayHttpError => GatewayHttpError.invalid(message, param);

/** A 400 `unsupported_parameter`: a field OpenAI defines that the gateway does not honour. */
export const unsupported = (param: string, why: string): GatewayHttpError => GatewayHttpError.invalid(`${param} is not supported by the gateway: ${why}`, param, 'unsupported_parameter');

export const isObject = (value: unknown): value is Body => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The body as an object, or a 400. */
export function asBody(body: unknown): Body {
  if (!isObject(body)) throw invalid('The request body must be a JSON object such as {"model": "bot:support", "messages": [...]}', 'body');
  return body;
}

/** JSON null means "not given" to OpenAI clients. */
export function given(body: Body, field: string): unknown {
  const value = body[field];
  return value === null ? undefined : value;
}

/**
 * A field the gateway does not honour, with the test of whether a value actually asks for it
 * (`n: 1`, `logprobs: false` or `logit_bias: {}` ask for nothing and pass).
 */
export interface RefusedField {
  /** True when the (non-null) value asks for what the gateway does not do. */
  asks(value: unknown): boolean;
  /** Why, and what to do instead (no value repeated). */
  why: string;
}

/** Any value but the "nothing" ones (false, empty string, empty list or object). */
export const anyValue = (value: unknown): boolean =>
  !(value === false || value === '' || (Array.isArray(value) && value.length === 0) || (isObject(value) && Object.keys(value).length === 0));

/**
 * Refuse fields that ask for something not honoured, and any field that is neither honoured nor
 * refused. `honoured` and `refused` together are every field the endpoint knows.
 */
export function checkFields(body: Body, honoured: ReadonlySet<string>, refused: Readonly<Record<string, RefusedField>>, endpoint: string): void {
  for (const field of Object.keys(body)) {
    if (honoured.has(field)) continue;
    const rule = Object.prototype.hasOwnProperty.call(refused, field) ? refused[field] : undefined;
    if (!rule) {
      // OpenAI answers unknown fields with a 400 too ("Unrecognized request argument"): nothing a client sends is ignored.
      throw GatewayHttpError.invalid(`Unknown field "${fieldName(field)}" for ${endpoint}; see docs/gateway.md for every field and what happens to it`, fieldName(field), 'unknown_parameter');
    }
    const value = given(body, field);
    if (value !== undefined && rule.asks(value)) throw unsupported(field, rule.why);
  }
}

/** Refuse keys of a nested object (a message, a part, a tool) other than `allowed`, naming the path of the first. */
export function checkKeys(value: Body, allowed: ReadonlySet<string>, path: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) throw GatewayHttpError.invalid(`Unknown field "${fieldName(key)}" in ${path}; see docs/gateway.md`, `${path}.${fieldName(key)}`, 'unknown_parameter');
  }
}

/**
 * A json_schema format's `description` (chat's `response_format.json_schema`, the Responses API's
 * `text.format`) merged into its schema: the description says what the answer is for, and a JSON
 * Schema keeps that in its own `description`, which every provider's schema carries. A schema with a
 * different description of its own is a 400 naming `path`.
 */
export function describedSchema(schema: Body, description: unknown, path: string): Body {
  if (description === undefined || description === null || description === '') return schema;
  if (schema.description === undefined) return { ...schema, description };
  if (schema.description !== description) throw unsupported(path, 'the schema has a description of its own; send one of them');
  return schema;
}

/** A parameter by its OpenAI name, checked by the one parameter table (core/param-rules.ts) under our name. */
export function paramField(body: Body, field: string, name: keyof typeof PARAM_RULES): unknown {
  const value = given(body, field);
  if (value === undefined) return undefined;
  // OpenAI clients send `stop: []` for "none".
  if (name === 'stop' && Array.isArray(value) && value.length === 0) return undefined;
  const problem = paramProblem(name, value);
  if (problem) throw invalid(`${field} ${problem}`, field);
  return value;
}

/**
 * Sampling parameters, by their OpenAI names. `max_completion_tokens` (chat) and `max_tokens` are the
 * same bound: both may be given only with the same value.
 */
export function parseParams(body: Body): CallParams {
  const params: CallParams = {};
  const maxCompletion = paramField(body, 'max_completion_tokens', 'maxTokens');
  const maxTokens = paramField(body, 'max_tokens', 'maxTokens');
  if (maxCompletion !== undefined && maxTokens !== undefined && maxCompletion !== maxTokens) {
    throw invalid('max_tokens and max_completion_tokens are the same bound here; send one of them (or both with the same value)', 'max_tokens');
  }
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

/** `stream` and `stream_options` (`include_usage`; `include_obfuscation: false`, the gateway never pads chunks). */
function parseStream(body: Body): { stream: boolean; includeUsage: boolean } {
  const stream = given(body, 'stream');
  if (stream !== undefined && typeof stream !== 'boolean') throw invalid('stream must be true or false', 'stream');
  const options = given(body, 'stream_options');
  let includeUsage = false;
  if (options !== undefined) {
    if (!isObject(options)) throw invalid('stream_options must be an object such as {"include_usage": true}', 'stream_options');
    for (const key of Object.keys(options)) {
      if (key !== 'include_usage' && key !== 'include_obfuscation') {
        throw GatewayHttpError.invalid(`Unknown field "${fieldName(key)}" in stream_options; it takes include_usage`, 'stream_options', 'unknown_parameter');
      }
    }
    const include = options.include_usage;
    if (include !== undefined && include !== null && typeof include !== 'boolean') throw invalid('stream_options.include_usage must be true or false', 'stream_options.include_usage');
    const obfuscation = options.include_obfuscation;
    if (obfuscation !== undefined && obfuscation !== null && obfuscation !== false) {
      throw unsupported('stream_options.include_obfuscation', 'the gateway never pads stream chunks; send false or leave it out');
    }
    if (include === true && stream !== true) throw invalid('stream_options is only allowed when stream is true', 'stream_options');
    includeUsage = include === true;
  }
  return { stream: stream === true, includeUsage };
}

/** `model`, sampling parameters, streaming and `user`. */
export function parseCommon(body: Body): ParsedCommon {
  const model = body.model;
  if (typeof model !== 'string' || model.trim() === '') {
    throw invalid('model is required: "bot:<name>" for a bot, or "provider:model" such as "openai:gpt-4o-mini"', 'model');
  }
  const { stream, includeUsage } = parseStream(body);
  const user = given(body, 'user');
  if (user !== undefined && (typeof user !== 'string' || user.length > MAX_USER_CHARS)) throw invalid(`user must be a string of at most ${MAX_USER_CHARS} characters`, 'user');
  const parsed: ParsedCommon = { model: model.trim(), params: parseParams(body), stream, includeUsage };
  if (typeof user === 'string' && user !== '') parsed.user = user;
  return parsed;
}

/** How one dialect reads its `tools` and `tool_choice` shapes, and reports a rule's problem with its own paths. */
export interface ToolFieldReaders {
  tools(value: unknown): ToolDefinition[] | undefined;
  choice(value: unknown): ToolChoice | undefined;
  checked<T>(result: Checked<T>): T;
}

/**
 * `tools`, `tool_choice` and `parallel_tool_calls`, shared by the OpenAI-shaped routes (chat
 * completions, responses), each reading its own tool shapes, checked by the same request rules.
 */
export function parseToolFields(body: Body, read: ToolFieldReaders): Pick<RichRequestFields, 'tools' | 'toolChoice' | 'parallelToolCalls'> {
  const fields: Pick<RichRequestFields, 'tools' | 'toolChoice' | 'parallelToolCalls'> = {};
  const tools = read.tools(given(body, 'tools'));
  if (tools) fields.tools = read.checked(checkTools(tools));
  const choice = read.choice(given(body, 'tool_choice'));
  // Without tools of its own a request may name its bot's: the pipeline checks the choice once merged.
  if (choice !== undefined) fields.toolChoice = read.checked(checkToolChoice(choice, fields.tools ?? 'later'));
  const parallel = given(body, 'parallel_tool_calls');
  if (parallel !== undefined) {
    if (typeof parallel !== 'boolean') throw invalid('parallel_tool_calls must be true or false', 'parallel_tool_calls');
    fields.parallelToolCalls = parallel;
  }
  return fields;
}

/**
 * A `/v1/responses` body (OpenAI's ResponseCreateParams) -> the switchboard's chat call: `input` and
 * `instructions` (responses-input.ts), `tools` (function tools), `tool_choice`, `parallel_tool_calls`,
 * `text.format`, `reasoning.effort`, `max_output_tokens`, `temperature`, `top_p`, `user`. The gateway
 * is stateless: `store` may only be false and `previous_response_id` / `conversation` are refused
 * (state lives in sessions and bot memory). Every field OpenAI defines is honoured, accepted because it
 * asks for nothing, or refused by name (400 `unsupported_parameter`); any other field is a 400
 * `unknown_parameter` (docs/gateway.md "POST /v1/responses" lists each one).
 *
 * The rules every request obeys are core's (request-rules.ts); problems come back under the caller's
 * path (`input[3].call_id`, `tools[0].parameters`, `text.format.schema`).
 */
import { REASONING_EFFORTS } from '../core/param-rules.js';
import { checkMessages, checkResponseFormat, type Checked } from '../core/request-rules.js';
import type { CallParams, ChatMessage, ReasoningParams, ResponseFormat, RichRequestFields, ToolChoice, ToolDefinition } from '../core/types.js';
import { anyValue, asBody, checkFields, checkKeys, describedSchema, given, invalid, isObject, paramField, parseCommon, parseToolFields, unsupported, type Body, type RefusedField } from './body-fields.js';
import { inputPath, toResponsesMessages, type MessageOrigin } from './responses-input.js';
import { NO_ITEMS, type HeldItems } from './responses-references.js';

/** What the response object repeats of the request (OpenAI's Response echoes its configuration). */
export interface ResponsesEcho {
  instructions: string | null;
  max_output_tokens: number | null;
  metadata: Record<string, string>;
  parallel_tool_calls: boolean;
  reasoning: { effort: string | null; summary: string | null };
  temperature: number | null;
  top_p: number | null;
  text: { format: Record<string, unknown> };
  tool_choice: unknown;
  tools: Array<Record<string, unknown>>;
  user: string | null;
}

/** A checked Responses request. */
export interface ParsedResponsesBody extends RichRequestFields {
  model: string;
  messages: ChatMessage[];
  params: CallParams;
  stream: boolean;
  user?: string;
  echo: ResponsesEcho;
}

const HONOURED = new Set([
  'model', 'input', 'instructions', 'tools', 'tool_choice', 'parallel_tool_calls', 'text', 'reasoning', 'max_output_tokens',
  'temperature', 'top_p', 'user', 'metadata', 'stream', 'stream_options', 'store', 'include', 'truncation',
]);

const STATELESS = 'the gateway is stateless and stores no responses: state lives in sessions and bot memory (send X-Session-Id with a bot model, and only the new input)';

/** Fields of OpenAI's Responses request the gateway does not honour; `asks` tells "asks for nothing" values apart. */
const REFUSED: Record<string, RefusedField> = {
  previous_response_id: { asks: anyValue, why: STATELESS },
  conversation: { asks: anyValue, why: STATELESS },
  background: { asks: anyValue, why: 'responses are answered while the request waits (or streamed); there is no background mode' },
  context_management: { asks: anyValue, why: 'server-side context compaction is an OpenAI-only feature; a bot session trims its stored history to fit' },
  prompt: { asks: anyValue, why: 'stored prompt templates are an OpenAI-only feature; send instructions and input' },
  moderation: { asks: anyValue, why: 'the gateway runs no moderation of its own; use an adapter' },
  prompt_cache_key: { asks: anyValue, why: 'prompt caching hints are OpenAI-only; the switchboard has its own response cache' },
  prompt_cache_options: { asks: anyValue, why: 'prompt caching hints are OpenAI-only' },
  prompt_cache_retention: { asks: () => true, why: 'prompt caching hints are OpenAI-only' },
  safety_identifier: { asks: anyValue, why: 'send the end-user id as user, which the gateway forwards where the provider takes one' },
  service_tier: { asks: (value) => value !== 'auto', why: 'the provider\'s default tier serves every call; send "auto" or leave it out' },
  top_logprobs: { asks: (value) => value !== 0, why: 'log probabilities are not returned' },
  max_tool_calls: { asks: () => true, why: 'the gateway answers one model turn per request; your loop decides how many tool calls to run' },
};

/** Keys of nested objects. */
const TOOL_KEYS = new Set(['type', 'name', 'description', 'parameters', 'strict', 'defer_loading', 'allowed_callers', 'output_schema']);
const TOOL_CHOICE_KEYS = new Set(['type', 'name']);
const TEXT_KEYS = new Set(['format', 'verbosity']);
const JSON_SCHEMA_KEYS = new Set(['type', 'name', 'description', 'schema', 'strict']);
const REASONING_KEYS = new Set(['effort', 'summary', 'generate_summary', 'context', 'mode']);
const STREAM_OPTION_KEYS = new Set(['include_obfuscation']);
/** OpenAI: "omitting parameters defines a function with an empty parameter list". */
const NO_PARAMETERS = { type: 'object', properties: {} };
/** OpenAI's metadata bounds: 16 pairs, keys up to 64 characters, values up to 512. */
const MAX_METADATA_KEYS = 16;
const MAX_METADATA_KEY = 64;
const MAX_METADATA_VALUE = 512;

const present = (value: unknown): boolean => value !== undefined && value !== null;

/** `tools` -> ToolDefinition[] (values as sent; core checks names and schemas). Function tools only. */
function parseTools(value: unknown): ToolDefinition[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw invalid('tools must be an array of {"type": "function", "name", "description", "parameters"}', 'tools');
  if (value.length === 0) return undefined;
  return value.map((tool, index) => {
    const path = `tools[${index}]`;
    if (!isObject(tool)) throw invalid(`${path} must be an object {"type": "function", "name", ...}`, path);
    if (tool.type !== 'function') throw unsupported(`${path}.type`, 'only function tools are carried (hosted tools such as web_search run on OpenAI only)');
    checkKeys(tool, TOOL_KEYS, path);
    if (tool.defer_loading === true) throw unsupported(`${path}.defer_loading`, 'deferred tool loading is an OpenAI-only feature');
    if (present(tool.allowed_callers) && !(Array.isArray(tool.allowed_callers) && tool.allowed_callers.every((caller) => caller === 'direct'))) {
      throw unsupported(`${path}.allowed_callers`, 'programmatic tool calling is not carried; send ["direct"] or leave it out');
    }
    if (present(tool.output_schema)) throw unsupported(`${path}.output_schema`, 'tool output schemas are an OpenAI-only feature');
    const definition = { name: tool.name, parameters: tool.parameters ?? NO_PARAMETERS } as ToolDefinition;
    if (present(tool.description)) definition.description = tool.description as string;
    if (present(tool.strict)) definition.strict = tool.strict as boolean;
    return definition;
  });
}

/** `tool_choice` -> ToolChoice. */
function parseToolChoice(value: unknown): ToolChoice | undefined {
  if (value === undefined) return undefined;
  if (value === 'auto' || value === 'none' || value === 'required') return value;
  if (isObject(value) && value.type === 'function') {
    checkKeys(value, TOOL_CHOICE_KEYS, 'tool_choice');
    if (typeof value.name !== 'string') throw invalid('tool_choice.name must name a function tool', 'tool_choice.name');
    return { name: value.name };
  }
  if (isObject(value)) throw unsupported('tool_choice', 'send "auto", "none", "required" or {"type": "function", "name"} (function tools only)');
  throw invalid('tool_choice must be "auto", "none", "required" or {"type": "function", "name": "..."}', 'tool_choice');
}

/** `text.format` -> ResponseFormat: text, `json_object` (any JSON), or `json_schema` (validated against the schema). */
function parseTextFormat(value: unknown): ResponseFormat | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw invalid('text must be an object such as {"format": {"type": "json_object"}}', 'text');
  checkKeys(value, TEXT_KEYS, 'text');
  if (present(value.verbosity)) throw unsupported('text.verbosity', 'verbosity is an OpenAI-only setting; ask for brevity in the instructions');
  const format = value.format;
  if (!present(format)) return undefined;
  if (!isObject(format)) throw invalid('text.format must be an object such as {"type": "json_object"}', 'text.format');
  if (format.type === 'text') return { type: 'text' };
  if (format.type === 'json_object') return { type: 'json' };
  if (format.type !== 'json_schema') throw invalid('text.format.type must be "text", "json_object" or "json_schema"', 'text.format.type');
  checkKeys(format, JSON_SCHEMA_KEYS, 'text.format');
  if (!isObject(format.schema)) throw invalid('text.format.schema must be a JSON Schema object', 'text.format.schema');
  const parsed: ResponseFormat = { type: 'json_schema', schema: describedSchema(format.schema, format.description, 'text.format.description') };
  if (present(format.name)) parsed.name = format.name as string;
  if (present(format.strict)) parsed.strict = format.strict as boolean;
  return parsed;
}

/** `reasoning` -> params.reasoning (`effort`); summaries are whatever reasoning the provider returns. */
function parseReasoning(value: unknown): ReasoningParams | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw invalid('reasoning must be an object such as {"effort": "low"}', 'reasoning');
  checkKeys(value, REASONING_KEYS, 'reasoning');
  for (const field of ['summary', 'generate_summary'] as const) {
    if (present(value[field]) && value[field] !== 'auto') throw unsupported(`reasoning.${field}`, 'the reasoning the provider returns comes as it is; send "auto" or leave it out');
  }
  if (present(value.context)) throw unsupported('reasoning.context', 'reasoning context is an OpenAI-only setting');
  if (present(value.mode)) throw unsupported('reasoning.mode', 'reasoning modes are an OpenAI-only setting');
  const effort = value.effort;
  if (!present(effort)) return undefined;
  if (typeof effort !== 'string' || !REASONING_EFFORTS.includes(effort)) throw invalid(`reasoning.effort must be one of ${REASONING_EFFORTS.join(', ')}`, 'reasoning.effort');
  return { effort: effort as ReasoningParams['effort'] };
}

/** `metadata`: accepted (OpenAI's bounds) and echoed on the response; never stored nor sent upstream. */
function parseMetadata(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  const ok =
    isObject(value) &&
    Object.keys(value).length <= MAX_METADATA_KEYS &&
    Object.entries(value).every(([key, item]) => key.length <= MAX_METADATA_KEY && typeof item === 'string' && item.length <= MAX_METADATA_VALUE);
  if (!ok) throw invalid(`metadata must be an object of at most ${MAX_METADATA_KEYS} string values (keys up to ${MAX_METADATA_KEY} characters, values up to ${MAX_METADATA_VALUE})`, 'metadata');
  return value as Record<string, string>;
}

/** The fields that only have "asks for nothing" values here: store, include, truncation, stream_options. */
function checkStatelessFields(body: Body): void {
  const store = given(body, 'store');
  if (store !== undefined && store !== false) throw unsupported('store', `${STATELESS}; send false or leave it out`);
  const include = given(body, 'include');
  if (include !== undefined && !(Array.isArray(include) && include.every((item) => item === 'reasoning.encrypted_content'))) {
    // Signed reasoning always carries its encrypted_content (responses-reasoning.ts); nothing else is there to include.
    throw unsupported('include', 'only "reasoning.encrypted_content" can be included (signed reasoning always carries it)');
  }
  const truncation = given(body, 'truncation');
  if (truncation !== undefined && truncation !== 'disabled') throw unsupported('truncation', 'the gateway never drops input items; a bot session trims its stored history to fit. Send "disabled" or leave it out');
  const options = given(body, 'stream_options');
  if (options !== undefined) {
    if (!isObject(options)) throw invalid('stream_options must be an object such as {"include_obfuscation": false}', 'stream_options');
    checkKeys(options, STREAM_OPTION_KEYS, 'stream_options');
    if (present(options.include_obfuscation) && options.include_obfuscation !== false) {
      throw unsupported('stream_options.include_obfuscation', 'the gateway never pads stream events; send false or leave it out');
    }
  }
}

/** Our field paths -> the Responses API's, for problems core's rules find outside `input`. */
function requestPath(path: string, origins: readonly MessageOrigin[]): string {
  if (path.startsWith('messages')) return inputPath(path, origins);
  if (path.startsWith('toolChoice')) return path.replace(/^toolChoice/, 'tool_choice');
  if (path.startsWith('responseFormat')) return path.replace(/^responseFormat/, 'text.format');
  return path;
}

function checked<T>(result: Checked<T>, origins: readonly MessageOrigin[] = []): T {
  if (result.problem) {
    const param = requestPath(result.problem.path, origins);
    throw invalid(`${param} ${result.problem.message}`, param);
  }
  return result.value;
}

/** The response's echo of a tool: its definition in the Responses API's shape. */
const toolEcho = (tool: ToolDefinition): Record<string, unknown> => ({ type: 'function', name: tool.name, description: tool.description ?? null, parameters: tool.parameters, strict: tool.strict ?? null });

function formatEcho(format: ResponseFormat | undefined): Record<string, unknown> {
  if (format?.type === 'json') return { type: 'json_object' };
  if (format?.type !== 'json_schema') return { type: 'text' };
  return { type: 'json_schema', name: format.name ?? 'response', schema: format.schema, strict: format.strict ?? null };
}

/** What the response object repeats of a checked request. */
function echoOf(body: Body, parsed: Omit<ParsedResponsesBody, 'echo'>): ResponsesEcho {
  const instructions = given(body, 'instructions');
  const choice = parsed.toolChoice;
  return {
    instructions: typeof instructions === 'string' && instructions !== '' ? instructions : null,
    max_output_tokens: parsed.params.maxTokens ?? null,
    metadata: parseMetadata(given(body, 'metadata')),
    parallel_tool_calls: parsed.parallelToolCalls ?? true,
    reasoning: { effort: parsed.params.reasoning?.effort ?? null, summary: null },
    temperature: parsed.params.temperature ?? null,
    top_p: parsed.params.topP ?? null,
    text: { format: formatEcho(parsed.responseFormat) },
    tool_choice: choice === undefined ? 'auto' : typeof choice === 'string' ? choice : { type: 'function', name: choice.name },
    tools: (parsed.tools ?? []).map(toolEcho),
    user: parsed.user ?? null,
  };
}

/** Check a `/v1/responses` body. */
export function parseResponsesBody(raw: unknown, held: HeldItems = NO_ITEMS): ParsedResponsesBody {
  const body = asBody(raw);
  checkFields(body, HONOURED, REFUSED, '/v1/responses');
  checkStatelessFields(body);
  // The fields the Responses API shares with chat, checked by the same rules (parameter table, model, user).
  const common = parseCommon({ model: body.model, stream: body.stream, user: body.user, temperature: body.temperature, top_p: body.top_p });
  const params: CallParams = { ...common.params };
  const maxTokens = paramField(body, 'max_output_tokens', 'maxTokens');
  if (maxTokens !== undefined) params.maxTokens = maxTokens as number;
  const reasoning = parseReasoning(given(body, 'reasoning'));
  if (reasoning) params.reasoning = reasoning;
  const { messages, origins } = toResponsesMessages(given(body, 'instructions'), given(body, 'input'), held);
  const parsed: Omit<ParsedResponsesBody, 'echo'> = { model: common.model, messages: checked(checkMessages(messages), origins), params, stream: common.stream };
  if (common.user !== undefined) parsed.user = common.user;
  Object.assign(parsed, parseToolFields(body, { tools: parseTools, choice: parseToolChoice, checked: (result) => checked(result) }));
  const format = parseTextFormat(given(body, 'text'));
  if (format) parsed.responseFormat = checked(checkResponseFormat(format));
  return { ...parsed, echo: echoOf(body, parsed) };
}

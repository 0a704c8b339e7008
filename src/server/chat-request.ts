/**
 * A `/v1/chat/completions` body (OpenAI's ChatCompletionCreateParams) -> the switchboard's chat call:
 * messages (chat-messages.ts), sampling parameters, `tools`, `tool_choice`, `parallel_tool_calls`,
 * `response_format`, `reasoning_effort`. Every field OpenAI defines is either honoured here or refused
 * by name (400 `unsupported_parameter`); any other field is a 400 `unknown_parameter`
 * (docs/gateway.md "Request fields" lists each one and what happens to it, per provider).
 *
 * The rules every request obeys are core's (request-rules.ts): they run here on the converted request
 * so that a problem comes back naming OpenAI's path (`messages[2].tool_call_id`,
 * `tools[0].function.parameters`), and the pipeline runs them again on its own input.
 */
import { REASONING_EFFORTS } from '../core/param-rules.js';
import { checkMessages, checkResponseFormat, type Checked } from '../core/request-rules.js';
import type { ChatMessage, ResponseFormat, RichRequestFields, ToolChoice, ToolDefinition } from '../core/types.js';
import { anyValue, asBody, checkFields, checkKeys, describedSchema, given, invalid, isObject, parseCommon, parseToolFields, unsupported, type ParsedCommon, type RefusedField } from './body-fields.js';
import { toChatMessages } from './chat-messages.js';

/** A checked chat completion request. */
export interface ParsedChatBody extends ParsedCommon, RichRequestFields {
  messages: ChatMessage[];
}

/** Fields the gateway honours (`metadata: {}`, `store: false`, `n: 1` ... pass through `REFUSED`'s tests). */
const HONOURED = new Set([
  'model', 'messages', 'frequency_penalty', 'max_completion_tokens', 'max_tokens', 'parallel_tool_calls', 'presence_penalty',
  'reasoning_effort', 'response_format', 'seed', 'stop', 'stream', 'stream_options', 'temperature', 'tool_choice', 'tools', 'top_p', 'user',
]);

const NO_TEXT_OUTPUT = 'the gateway answers with text (and tool calls) only';

/** Fields of OpenAI's chat completion request the gateway does not honour; `asks` tells "asks for nothing" values apart. */
const REFUSED: Record<string, RefusedField> = {
  n: { asks: (value) => value !== 1, why: 'the gateway returns one choice per request; send 1 or leave it out' },
  logprobs: { asks: (value) => value !== false, why: 'log probabilities are not returned' },
  top_logprobs: { asks: (value) => value !== 0, why: 'log probabilities are not returned' },
  logit_bias: { asks: anyValue, why: 'token biases are provider-specific token ids, which the gateway does not carry' },
  audio: { asks: anyValue, why: NO_TEXT_OUTPUT },
  modalities: { asks: (value) => !(Array.isArray(value) && value.every((modality) => modality === 'text')), why: `${NO_TEXT_OUTPUT}; send ["text"] or leave it out` },
  prediction: { asks: anyValue, why: 'predicted outputs are an OpenAI-only feature the gateway does not carry' },
  web_search_options: { asks: () => true, why: 'web search is an OpenAI-only tool the gateway does not carry; offer a function tool instead' },
  functions: { asks: anyValue, why: 'the legacy function calling API is not carried; send the functions as tools' },
  function_call: { asks: () => true, why: 'the legacy function calling API is not carried; use tool_choice' },
  service_tier: { asks: (value) => value !== 'auto', why: 'the provider\'s default tier serves every call; send "auto" or leave it out' },
  store: { asks: (value) => value !== false, why: 'the gateway stores no completions (use X-Session-Id and bot memory for state)' },
  metadata: { asks: anyValue, why: 'metadata tags stored completions, and the gateway stores none' },
  moderation: { asks: anyValue, why: 'the gateway runs no moderation of its own; use an adapter' },
  prompt_cache_key: { asks: anyValue, why: 'prompt caching hints are OpenAI-only; the switchboard has its own response cache' },
  prompt_cache_options: { asks: anyValue, why: 'prompt caching hints are OpenAI-only' },
  prompt_cache_retention: { asks: () => true, why: 'prompt caching hints are OpenAI-only' },
  safety_identifier: { asks: anyValue, why: 'send the end-user id as user, which the gateway forwards where the provider takes one' },
  verbosity: { asks: () => true, why: 'verbosity is an OpenAI-only setting; ask for brevity in the system prompt' },
};

const TOOL_KEYS = new Set(['type', 'function']);
const FUNCTION_KEYS = new Set(['name', 'description', 'parameters', 'strict']);
/** OpenAI: "omitting parameters defines a function with an empty parameter list". */
const NO_PARAMETERS = { type: 'object', properties: {} };

/** `tools` -> ToolDefinition[] (values as sent; core checks names and schemas). An empty list is no tools. */
function parseTools(value: unknown): ToolDefinition[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw invalid('tools must be an array of {"type": "function", "function": {"name", "description", "parameters"}}', 'tools');
  if (value.length === 0) return undefined;
  return value.map((tool, index) => {
    const path = `tools[${index}]`;
    if (!isObject(tool)) throw invalid(`${path} must be an object {"type": "function", "function": {...}}`, path);
    if (tool.type !== 'function') throw unsupported(`${path}.type`, 'only function tools are carried');
    checkKeys(tool, TOOL_KEYS, path);
    const fn = tool.function;
    if (!isObject(fn)) throw invalid(`${path}.function must be an object {"name", "description", "parameters"}`, `${path}.function`);
    checkKeys(fn, FUNCTION_KEYS, `${path}.function`);
    const definition = { name: fn.name, parameters: fn.parameters ?? NO_PARAMETERS } as ToolDefinition;
    if (fn.description !== undefined && fn.description !== null) definition.description = fn.description as string;
    if (fn.strict !== undefined && fn.strict !== null) definition.strict = fn.strict as boolean;
    return definition;
  });
}

/** `tool_choice` -> ToolChoice. */
function parseToolChoice(value: unknown): ToolChoice | undefined {
  if (value === undefined) return undefined;
  if (value === 'auto' || value === 'none' || value === 'required') return value;
  if (isObject(value) && value.type === 'function') {
    const fn = value.function;
    if (!isObject(fn) || typeof fn.name !== 'string') throw invalid('tool_choice.function must be {"name": "<tool name>"}', 'tool_choice.function');
    return { name: fn.name };
  }
  if (isObject(value) && (value.type === 'allowed_tools' || value.type === 'custom')) throw unsupported('tool_choice', 'send "auto", "none", "required" or {"type": "function", "function": {"name"}}');
  throw invalid('tool_choice must be "auto", "none", "required" or {"type": "function", "function": {"name": "..."}}', 'tool_choice');
}

const JSON_SCHEMA_KEYS = new Set(['name', 'description', 'schema', 'strict']);

/** `response_format` -> ResponseFormat: text, `json_object` (any JSON), or `json_schema` (validated against the schema). */
function parseResponseFormat(value: unknown): ResponseFormat | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw invalid('response_format must be an object such as {"type": "json_object"}', 'response_format');
  if (value.type === 'text') return { type: 'text' };
  if (value.type === 'json_object') return { type: 'json' };
  if (value.type !== 'json_schema') throw invalid('response_format.type must be "text", "json_object" or "json_schema"', 'response_format.type');
  const spec = value.json_schema;
  if (!isObject(spec)) throw invalid('response_format.json_schema must be an object {"name", "schema", "strict"}', 'response_format.json_schema');
  checkKeys(spec, JSON_SCHEMA_KEYS, 'response_format.json_schema');
  if (!isObject(spec.schema)) throw invalid('response_format.json_schema.schema must be a JSON Schema object', 'response_format.json_schema.schema');
  const schema = describedSchema(spec.schema, spec.description, 'response_format.json_schema.description');
  const format: ResponseFormat = { type: 'json_schema', schema };
  if (spec.name !== undefined && spec.name !== null) format.name = spec.name as string;
  if (spec.strict !== undefined && spec.strict !== null) format.strict = spec.strict as boolean;
  return format;
}

/** `reasoning_effort` -> params.reasoning.effort. */
function parseReasoningEffort(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !REASONING_EFFORTS.includes(value)) throw invalid(`reasoning_effort must be one of ${REASONING_EFFORTS.join(', ')}`, 'reasoning_effort');
  return value;
}

/** Our field paths -> OpenAI's, for the problems core's rules find in the converted request. */
const PATH_RULES: Array<[RegExp, string]> = [
  [/^(messages\[\d+\])\.toolCalls(\[\d+\])\.id/, '$1.tool_calls$2.id'],
  [/^(messages\[\d+\])\.toolCalls(\[\d+\])\.(name|arguments)/, '$1.tool_calls$2.function.$3'],
  [/^(messages\[\d+\])\.toolCalls/, '$1.tool_calls'],
  [/^(messages\[\d+\])\.toolCallId/, '$1.tool_call_id'],
  [/^(messages\[\d+\]\.content\[\d+\])\.(url|data|mediaType)/, '$1.image_url.url'],
  [/^(messages\[\d+\])\.reasoning(\[\d+\])\.redacted/, '$1.reasoning_details$2.data'],
  [/^(messages\[\d+\])\.reasoning(\[\d+\])/, '$1.reasoning_details$2'],
  [/^(tools\[\d+\])\.(name|description|parameters|strict)/, '$1.function.$2'],
  [/^toolChoice\.name/, 'tool_choice.function.name'],
  [/^toolChoice/, 'tool_choice'],
  [/^responseFormat\.(schema|name|strict)/, 'response_format.json_schema.$1'],
  [/^responseFormat/, 'response_format'],
];

function openAIPath(path: string): string {
  for (const [pattern, replacement] of PATH_RULES) if (pattern.test(path)) return path.replace(pattern, replacement);
  return path;
}

/** The checked value, or a 400 naming OpenAI's path for core's problem. */
function checked<T>(result: Checked<T>): T {
  if (result.problem) {
    const param = openAIPath(result.problem.path);
    throw invalid(`${param} ${result.problem.message}`, param);
  }
  return result.value;
}

/** Check a `/v1/chat/completions` body. */
export function parseChatBody(raw: unknown): ParsedChatBody {
  const body = asBody(raw);
  checkFields(body, HONOURED, REFUSED, '/v1/chat/completions');
  const common = parseCommon(body);
  const parsed: ParsedChatBody = { ...common, messages: checked(checkMessages(toChatMessages(body.messages))) };
  const effort = parseReasoningEffort(given(body, 'reasoning_effort'));
  if (effort !== undefined) parsed.params.reasoning = { effort: effort as 'minimal' | 'low' | 'medium' | 'high' };
  Object.assign(parsed, parseToolFields(body, { tools: parseTools, choice: parseToolChoice, checked: (result) => checked(result) }));
  const format = parseResponseFormat(given(body, 'response_format'));
  if (format) parsed.responseFormat = checked(checkResponseFormat(format));
  return parsed;
}

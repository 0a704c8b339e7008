/**
 * A `/v1/messages` body (Anthropic's MessageCreateParams) -> the switchboard's chat call, and a
 * `/v1/messages/count_tokens` body -> `sb.countTokens`' request. Every field Anthropic defines is
 * either honoured or refused by name (400 `unsupported_parameter`); any other field is a 400
 * `unknown_parameter` (docs/gateway.md "POST /v1/messages" lists each one):
 * - `max_tokens` (required, as Anthropic requires it), `temperature` (0-1), `top_p`, `top_k`,
 *   `stop_sequences` -> params; a provider that cannot carry one refuses it by name (the Anthropic
 *   manager's refusals.ts for sampling parameters, chat completions for `top_k`), a 400 naming it;
 * - `thinking` `{ type: 'enabled', budget_tokens }` -> `params.reasoning.maxTokens`, with Anthropic's
 *   own rules (at least MIN_THINKING_BUDGET, below max_tokens); `disabled` asks for nothing;
 * - `tools` (custom tools: name, description, input_schema, strict), `tool_choice` (auto / any / tool
 *   / none, `disable_parallel_tool_use` -> parallelToolCalls false), `output_config.format`
 *   (json_schema) -> responseFormat; `metadata.user_id` -> the end-user id, as chat's `user`.
 * Core's rules (request-rules.ts) run on the converted request, their paths turned back into Anthropic's.
 */
import { MIN_THINKING_BUDGET } from '../managers/anthropic/convert-thinking.js';
import { checkMessages, checkResponseFormat, checkToolChoice, checkTools, type Checked } from '../core/request-rules.js';
import type { CallParams, ChatMessage, ResponseFormat, RichRequestFields, ToolChoice, ToolDefinition } from '../core/types.js';
import { anyValue, asBody, checkFields, checkKeys, given, invalid, isObject, paramField, parseCommon, unsupported, type Body, type RefusedField } from './body-fields.js';
import { anthropicMessagePath, refuseCacheControl, toConversation, type MessageOrigin } from './messages-content.js';

/** A checked count_tokens request. */
export interface ParsedCountTokensBody {
  /** `bot:<name>` or `provider:model`, as sent. */
  model: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[];
}

/** A checked messages request. */
export interface ParsedMessagesBody extends ParsedCountTokensBody, RichRequestFields {
  params: CallParams;
  stream: boolean;
  /** `metadata.user_id`: the end-user id (and, with a bot, the session). */
  user?: string;
}

/** Longest `metadata.user_id` (an end-user id, forwarded upstream), as chat's `user`. */
const MAX_USER_CHARS = 256;

const MESSAGES_HONOURED = new Set(['model', 'max_tokens', 'messages', 'system', 'stop_sequences', 'stream', 'temperature', 'top_p', 'top_k', 'tools', 'tool_choice', 'thinking', 'metadata', 'output_config']);
const COUNT_HONOURED = new Set(['model', 'messages', 'system', 'tools', 'tool_choice', 'thinking']);

const ANTHROPIC_SIDE = 'it configures a feature that runs on Anthropic\'s side, which other providers do not have';

/** Fields of Anthropic's request the gateway does not honour; `asks` tells "asks for nothing" values apart. */
const MESSAGES_REFUSED: Record<string, RefusedField> = {
  cache_control: { asks: anyValue, why: 'prompt-caching hints are provider-specific and not carried (the switchboard has a response cache of its own)' },
  container: { asks: anyValue, why: ANTHROPIC_SIDE },
  context_management: { asks: anyValue, why: ANTHROPIC_SIDE },
  mcp_servers: { asks: anyValue, why: `${ANTHROPIC_SIDE}; offer the tools as custom tools` },
  diagnostics: { asks: anyValue, why: ANTHROPIC_SIDE },
  inference_geo: { asks: anyValue, why: 'the region is the provider deployment\'s, chosen by the gateway\'s configuration' },
  service_tier: { asks: (value) => value !== 'auto', why: 'the provider\'s default tier serves every call; send "auto" or leave it out' },
  speed: { asks: (value) => value !== 'standard', why: 'fast mode is Anthropic-only; send "standard" or leave it out' },
};
const COUNT_REFUSED: Record<string, RefusedField> = {
  cache_control: MESSAGES_REFUSED.cache_control!,
  context_management: MESSAGES_REFUSED.context_management!,
  mcp_servers: MESSAGES_REFUSED.mcp_servers!,
  output_config: { asks: anyValue, why: 'the count covers system, messages and tools' },
  speed: MESSAGES_REFUSED.speed!,
};

/** Our field paths -> Anthropic's, for the problems core's rules find in the converted request. */
const PATH_RULES: Array<[RegExp, string]> = [
  [/^(tools\[\d+\])\.parameters/, '$1.input_schema'],
  [/^toolChoice/, 'tool_choice'],
  [/^responseFormat\.schema/, 'output_config.format.schema'],
  [/^responseFormat/, 'output_config.format'],
];

/** The checked value, or a 400 naming the Anthropic path of core's problem. */
function checked<T>(result: Checked<T>, origins: readonly MessageOrigin[] = []): T {
  if (!result.problem) return result.value;
  let param = anthropicMessagePath(result.problem.path, origins);
  for (const [pattern, replacement] of PATH_RULES) if (pattern.test(param)) param = param.replace(pattern, replacement);
  throw invalid(`${param} ${result.problem.message}`, param);
}

const TOOL_KEYS = new Set(['type', 'name', 'description', 'input_schema', 'strict', 'cache_control', 'input_examples', 'defer_loading', 'eager_input_streaming', 'allowed_callers']);

/** `tools` -> ToolDefinition[] (custom tools only; core checks names and schemas). An empty list is no tools. */
function parseTools(value: unknown): ToolDefinition[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw invalid('tools must be an array of {"name", "description", "input_schema"}', 'tools');
  if (value.length === 0) return undefined;
  return value.map((tool, index) => {
    const path = `tools[${index}]`;
    if (!isObject(tool)) throw invalid(`${path} must be an object {"name", "description", "input_schema"}`, path);
    if (tool.type !== undefined && tool.type !== null && tool.type !== 'custom') {
      throw unsupported(path, 'server tools (web search, web fetch, code execution, bash, text editor, computer use, memory, tool search) run on Anthropic\'s side and are not carried; offer a custom tool {"name", "description", "input_schema"}');
    }
    checkKeys(tool, TOOL_KEYS, path);
    refuseCacheControl(tool, path);
    if (given(tool, 'input_examples') !== undefined && anyValue(tool.input_examples)) throw unsupported(`${path}.input_examples`, 'tool input examples are Anthropic-only; describe them in the description');
    if (given(tool, 'defer_loading') !== undefined && tool.defer_loading !== false) throw unsupported(`${path}.defer_loading`, 'deferred tool loading needs Anthropic\'s tool search, which is not carried');
    if (given(tool, 'eager_input_streaming') !== undefined && tool.eager_input_streaming !== false) throw unsupported(`${path}.eager_input_streaming`, 'the input streams as the upstream provider sends it');
    const callers = given(tool, 'allowed_callers');
    if (callers !== undefined && !(Array.isArray(callers) && callers.every((caller) => caller === 'direct'))) throw unsupported(`${path}.allowed_callers`, 'only the model calls tools here (code execution is not carried); send ["direct"] or leave it out');
    if (!isObject(tool.input_schema)) throw invalid(`${path}.input_schema must be a JSON Schema object`, `${path}.input_schema`);
    const definition = { name: tool.name, parameters: tool.input_schema } as ToolDefinition;
    if (given(tool, 'description') !== undefined) definition.description = tool.description as string;
    if (given(tool, 'strict') !== undefined) definition.strict = tool.strict as boolean;
    return definition;
  });
}

/** `tool_choice` -> ToolChoice, and `disable_parallel_tool_use`. */
function parseToolChoice(value: unknown): { choice: ToolChoice; parallel?: false } | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw invalid('tool_choice must be {"type": "auto" | "any" | "tool" | "none"}', 'tool_choice');
  const keys = value.type === 'tool' ? ['type', 'name', 'disable_parallel_tool_use'] : value.type === 'none' ? ['type'] : ['type', 'disable_parallel_tool_use'];
  checkKeys(value, new Set(keys), 'tool_choice');
  const disable = given(value, 'disable_parallel_tool_use');
  if (disable !== undefined && typeof disable !== 'boolean') throw invalid('tool_choice.disable_parallel_tool_use must be true or false', 'tool_choice.disable_parallel_tool_use');
  const parallel = disable === true ? { parallel: false as const } : {};
  switch (value.type) {
    case 'auto':
      return { choice: 'auto', ...parallel };
    case 'any':
      return { choice: 'required', ...parallel };
    case 'none':
      return { choice: 'none' };
    case 'tool':
      if (typeof value.name !== 'string') throw invalid('tool_choice.name must name one of the tools', 'tool_choice.name');
      return { choice: { name: value.name }, ...parallel };
    default:
      throw invalid('tool_choice.type must be "auto", "any", "tool" or "none"', 'tool_choice.type');
  }
}

/** `thinking` -> a thinking budget (undefined for disabled), by Anthropic's rules. */
function parseThinking(value: unknown, maxTokens: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw invalid('thinking must be {"type": "enabled", "budget_tokens": N} or {"type": "disabled"}', 'thinking');
  if (value.type === 'disabled') {
    checkKeys(value, new Set(['type']), 'thinking');
    return undefined;
  }
  if (value.type === 'adaptive' || value.type === 'between_tools') {
    throw unsupported('thinking.type', 'only "enabled" (with budget_tokens) and "disabled" map to every provider\'s reasoning option');
  }
  if (value.type !== 'enabled') throw invalid('thinking.type must be "enabled" or "disabled"', 'thinking.type');
  checkKeys(value, new Set(['type', 'budget_tokens', 'display']), 'thinking');
  const display = given(value, 'display');
  if (display !== undefined && display !== 'summarized') throw unsupported('thinking.display', 'thinking is returned as the provider gives it; send "summarized" or leave it out');
  const budget = value.budget_tokens;
  if (typeof budget !== 'number' || !Number.isInteger(budget) || budget < MIN_THINKING_BUDGET || budget > 10_000_000) {
    throw invalid(`thinking.budget_tokens must be a whole number of at least ${MIN_THINKING_BUDGET}`, 'thinking.budget_tokens');
  }
  if (maxTokens !== undefined && budget >= maxTokens) throw invalid('thinking.budget_tokens must be less than max_tokens (thinking counts inside max_tokens)', 'thinking.budget_tokens');
  return budget;
}

/** `output_config` -> a JSON-schema response format. */
function parseOutputConfig(value: unknown): ResponseFormat | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw invalid('output_config must be an object {"format": {"type": "json_schema", "schema"}}', 'output_config');
  checkKeys(value, new Set(['format', 'effort']), 'output_config');
  if (given(value, 'effort') !== undefined) throw unsupported('output_config.effort', 'an overall effort level is Anthropic-only; use thinking with a budget_tokens');
  const format = given(value, 'format');
  if (format === undefined) return undefined;
  if (!isObject(format) || format.type !== 'json_schema') throw invalid('output_config.format must be {"type": "json_schema", "schema": {...}}', 'output_config.format');
  checkKeys(format, new Set(['type', 'schema']), 'output_config.format');
  return { type: 'json_schema', schema: format.schema as Record<string, unknown> };
}

/** `metadata` -> the end-user id. */
function parseMetadata(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw invalid('metadata must be an object {"user_id": "..."}', 'metadata');
  checkKeys(value, new Set(['user_id']), 'metadata');
  const user = given(value, 'user_id');
  if (user === undefined || user === '') return undefined;
  if (typeof user !== 'string' || user.length > MAX_USER_CHARS) throw invalid(`metadata.user_id must be a string of at most ${MAX_USER_CHARS} characters`, 'metadata.user_id');
  return user;
}

/** What both endpoints take: model, system and messages, tools and tool choice. */
function parseShared(body: Body, model: string, forCall: boolean): ParsedMessagesBody {
  const conversation = toConversation(given(body, 'system'), body.messages, forCall);
  const parsed: ParsedMessagesBody = { model, messages: checked(checkMessages(conversation.messages), conversation.origins), params: {}, stream: false };
  const tools = parseTools(given(body, 'tools'));
  if (tools) parsed.tools = checked(checkTools(tools));
  const choice = parseToolChoice(given(body, 'tool_choice'));
  if (choice) {
    // Without tools of its own a request may name its bot's: the pipeline checks the choice once merged.
    parsed.toolChoice = checked(checkToolChoice(choice.choice, parsed.tools ?? 'later'));
    if (choice.parallel === false) parsed.parallelToolCalls = false;
  }
  return parsed;
}

/** Check a `/v1/messages` body. */
export function parseMessagesBody(raw: unknown): ParsedMessagesBody {
  const body = asBody(raw);
  checkFields(body, MESSAGES_HONOURED, MESSAGES_REFUSED, '/v1/messages');
  if (given(body, 'max_tokens') === undefined) throw invalid('max_tokens: Field required (the Messages API needs the longest answer to allow, in tokens)', 'max_tokens');
  // parseCommon checks model, stream, temperature, top_p and max_tokens by the one parameter table.
  const { model, params, stream } = parseCommon(body);
  if (params.temperature !== undefined && params.temperature > 1) throw invalid('temperature must be a number from 0 to 1', 'temperature');
  const topK = paramField(body, 'top_k', 'topK');
  if (topK !== undefined) params.topK = topK as number;
  const stop = given(body, 'stop_sequences');
  if (stop !== undefined && !Array.isArray(stop)) throw invalid('stop_sequences must be an array of strings', 'stop_sequences');
  const sequences = paramField(body, 'stop_sequences', 'stop');
  if (sequences !== undefined) params.stop = sequences as string[];
  const budget = parseThinking(given(body, 'thinking'), params.maxTokens);
  if (budget !== undefined) params.reasoning = { maxTokens: budget };
  const parsed = { ...parseShared(body, model, true), params, stream };
  const format = parseOutputConfig(given(body, 'output_config'));
  if (format) parsed.responseFormat = checked(checkResponseFormat(format));
  const user = parseMetadata(given(body, 'metadata'));
  if (user !== undefined) parsed.user = user;
  return parsed;
}

/**
 * Check a `/v1/messages/count_tokens` body: the messages fields minus max_tokens and stream (and the
 * sampling parameters, which Anthropic's count endpoint does not take either). `tool_choice` and
 * `thinking` are checked as for a call; the count covers system, messages and tools.
 */
export function parseCountTokensBody(raw: unknown): ParsedCountTokensBody {
  const body = asBody(raw);
  checkFields(body, COUNT_HONOURED, COUNT_REFUSED, '/v1/messages/count_tokens');
  parseThinking(given(body, 'thinking'), undefined);
  const { model } = parseCommon(body);
  const { messages, tools } = parseShared(body, model, false);
  return tools ? { model, messages, tools } : { model, messages };
}

/**
 * The rules of a rich request (API.md "Messages, tools, structured output"), checked before any network
 * call: messages (roles, text and image parts, assistant tool calls, tool results that answer a call),
 * tools and their JSON Schemas, tool choice, response format and provider options. One set of rules
 * for requests (normalize-request.ts) and bot defaults (validate-bot.ts). Each check returns the first
 * problem as `{ path, message }`; messages name the field and never repeat what the caller sent.
 */
import { compileSchema } from './json-schema.js';
import type { ChatMessage, ImagePart, ProviderOptions, ReasoningBlock, ResponseFormat, ToolCall, ToolChoice, ToolDefinition, UserPart } from './messages.js';

/** What is wrong, and where (a dotted path such as `messages[2].toolCalls[0].id`). */
export interface RuleProblem {
  path: string;
  message: string;
}

/** A checked value, or the first problem found. */
export type Checked<T> = { value: T; problem?: undefined } | { problem: RuleProblem; value?: undefined };

const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_TOOLS = 128;
const MAX_TOOL_DESCRIPTION = 8_192;
const MAX_TOOL_CALLS = 128;
const MAX_PARTS = 256;
/** An image given as base64 bytes: about 15 MB of image at most. */
const MAX_IMAGE_CHARS = 20_000_000;
const MAX_URL_CHARS = 8_192;
const IMAGE_MEDIA_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const fail = (path: string, message: string): { problem: RuleProblem } => ({ problem: { path, message } });
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function checkImage(part: Record<string, unknown>, path: string): Checked<ImagePart> {
  if (part.url !== undefined) {
    const url = part.url;
    if (typeof url !== 'string' || url.length > MAX_URL_CHARS) return fail(`${path}.url`, `must be an https: or data: URL of at most ${MAX_URL_CHARS} characters`);
    if (url.startsWith('data:')) {
      const match = /^data:(image\/[a-z+.-]+);base64,(.*)$/s.exec(url);
      if (!match || !IMAGE_MEDIA_TYPES.has(match[1]!)) return fail(`${path}.url`, 'a data: URL must be data:image/(png|jpeg|gif|webp);base64,...');
      return { value: { type: 'image', url } };
    }
    if (!url.startsWith('https://')) return fail(`${path}.url`, 'must be an https: URL or a data: URL (http: and other schemes are refused)');
    try {
      new URL(url);
    } catch {
      return fail(`${path}.url`, 'is not a valid URL');
    }
    return { value: { type: 'image', url } };
  }
  const { data, mediaType } = part;
  if (typeof data !== 'string' || data.length === 0 || data.length > MAX_IMAGE_CHARS || !BASE64.test(data)) {
    return fail(`${path}.data`, `an image is { url } or { data: <base64>, mediaType } (base64, at most ${MAX_IMAGE_CHARS} characters)`);
  }
  if (typeof mediaType !== 'string' || !IMAGE_MEDIA_TYPES.has(mediaType)) return fail(`${path}.mediaType`, 'must be image/png, image/jpeg, image/gif or image/webp');
  return { value: { type: 'image', data, mediaType } };
}

function checkUserContent(content: unknown, path: string): Checked<string | UserPart[]> {
  if (typeof content === 'string') return { value: content };
  if (!Array.isArray(content) || content.length === 0 || content.length > MAX_PARTS) {
    return fail(path, `must be a string or a non-empty array of at most ${MAX_PARTS} parts ({ type: "text", text } or { type: "image", ... })`);
  }
  const parts: UserPart[] = [];
  for (let i = 0; i < content.length; i++) {
    const part = content[i];
    const here = `${path}[${i}]`;
    if (!isObject(part)) return fail(here, 'must be an object { type: "text", text } or { type: "image", url | data, mediaType }');
    if (part.type === 'text') {
      if (typeof part.text !== 'string') return fail(`${here}.text`, 'must be a string');
      parts.push({ type: 'text', text: part.text });
    } else if (part.type === 'image') {
      const image = checkImage(part, here);
      if (image.problem) return image;
      parts.push(image.value);
    } else {
      return fail(`${here}.type`, 'must be "text" or "image"');
    }
  }
  return { value: parts };
}

function checkToolCalls(value: unknown, path: string, seen: Set<string>): Checked<ToolCall[]> {
  if (!Array.isArray(value) || value.length > MAX_TOOL_CALLS) return fail(path, `must be an array of at most ${MAX_TOOL_CALLS} { id, name, arguments }`);
  const calls: ToolCall[] = [];
  for (let i = 0; i < value.length; i++) {
    const call = value[i];
    const here = `${path}[${i}]`;
    if (!isObject(call)) return fail(here, 'must be an object { id, name, arguments }');
    if (typeof call.id !== 'string' || call.id === '' || call.id.length > 256) return fail(`${here}.id`, 'must be a non-empty string of at most 256 characters');
    if (typeof call.name !== 'string' || !TOOL_NAME.test(call.name)) return fail(`${here}.name`, 'must be 1-64 letters, digits, "_" or "-"');
    if (typeof call.arguments !== 'string') return fail(`${here}.arguments`, 'must be the JSON text of the arguments, as a string');
    seen.add(call.id);
    calls.push({ id: call.id, name: call.name, arguments: call.arguments });
  }
  return { value: calls };
}

function checkReasoningBlocks(value: unknown, path: string): Checked<ReasoningBlock[]> {
  if (!Array.isArray(value)) return fail(path, 'must be an array of { text, signature?, redacted? }');
  const blocks: ReasoningBlock[] = [];
  for (let i = 0; i < value.length; i++) {
    const block = value[i];
    if (!isObject(block) || typeof block.text !== 'string') return fail(`${path}[${i}].text`, 'must be a string');
    for (const key of ['signature', 'redacted'] as const) {
      if (block[key] !== undefined && typeof block[key] !== 'string') return fail(`${path}[${i}].${key}`, 'must be a string');
    }
    const copy: ReasoningBlock = { text: block.text };
    if (typeof block.signature === 'string') copy.signature = block.signature;
    if (typeof block.redacted === 'string') copy.redacted = block.redacted;
    blocks.push(copy);
  }
  return { value: blocks };
}

/**
 * Check a conversation and copy it: roles, contents, image parts, assistant tool calls (with
 * `content: null` allowed when it has calls) and tool results, each of which must answer a tool call
 * made earlier in the conversation. `continues: true` is for a conversation whose earlier part lives
 * elsewhere (a session's stored history): tool results may answer calls made there, and the whole
 * conversation is checked again once it is put together.
 */
export function checkMessages(messages: unknown, path = 'messages', options: { continues?: boolean } = {}): Checked<ChatMessage[]> {
  if (!Array.isArray(messages) || messages.length === 0) return fail(path, 'must be a non-empty array of { role, content }');
  const out: ChatMessage[] = new Array(messages.length);
  const calls = new Set<string>();
  for (let index = 0; index < messages.length; index++) {
    const message = messages[index];
    const here = `${path}[${index}]`;
    if (!isObject(message)) return fail(here, 'must be an object { role, content }');
    const { role, content } = message;
    if (role === 'system' || (role === 'user' && typeof content === 'string')) {
      if (typeof content !== 'string') return fail(`${here}.content`, 'must be a string');
      out[index] = { role, content };
    } else if (role === 'user') {
      const checked = checkUserContent(content, `${here}.content`);
      if (checked.problem) return checked;
      out[index] = { role, content: checked.value };
    } else if (role === 'assistant') {
      if (content !== null && typeof content !== 'string') return fail(`${here}.content`, 'must be a string, or null when the message only calls tools');
      const copy: ChatMessage = { role, content };
      if (message.toolCalls !== undefined) {
        const checked = checkToolCalls(message.toolCalls, `${here}.toolCalls`, calls);
        if (checked.problem) return checked;
        if (checked.value.length > 0) copy.toolCalls = checked.value;
      }
      if (message.reasoning !== undefined) {
        const checked = checkReasoningBlocks(message.reasoning, `${here}.reasoning`);
        if (checked.problem) return checked;
        if (checked.value.length > 0) copy.reasoning = checked.value;
      }
      if (content === null && !copy.toolCalls) return fail(`${here}.content`, 'may be null only when the message has toolCalls');
      out[index] = copy;
    } else if (role === 'tool') {
      const id = message.toolCallId;
      if (typeof id !== 'string' || id === '') return fail(`${here}.toolCallId`, 'must name the tool call this result answers');
      if (!calls.has(id) && !options.continues) return fail(`${here}.toolCallId`, 'answers no tool call of an earlier assistant message');
      if (typeof content !== 'string') return fail(`${here}.content`, "must be the tool's result as a string (JSON text is usual)");
      out[index] = { role, toolCallId: id, content };
    } else {
      return fail(`${here}.role`, 'must be "system", "user", "assistant" or "tool"');
    }
  }
  return { value: out };
}

/** Check tool definitions: names unique and well formed, parameters a JSON Schema that compiles. */
export function checkTools(tools: unknown, path = 'tools'): Checked<ToolDefinition[]> {
  if (!Array.isArray(tools) || tools.length > MAX_TOOLS) return fail(path, `must be an array of at most ${MAX_TOOLS} { name, description?, parameters }`);
  const names = new Set<string>();
  const out: ToolDefinition[] = [];
  for (let i = 0; i < tools.length; i++) {
    const tool = tools[i];
    const here = `${path}[${i}]`;
    if (!isObject(tool)) return fail(here, 'must be an object { name, description?, parameters }');
    if (typeof tool.name !== 'string' || !TOOL_NAME.test(tool.name)) return fail(`${here}.name`, 'must be 1-64 letters, digits, "_" or "-"');
    if (names.has(tool.name)) return fail(`${here}.name`, 'repeats the name of an earlier tool');
    names.add(tool.name);
    if (tool.description !== undefined && (typeof tool.description !== 'string' || tool.description.length > MAX_TOOL_DESCRIPTION)) {
      return fail(`${here}.description`, `must be a string of at most ${MAX_TOOL_DESCRIPTION} characters`);
    }
    const schema = compileSchema(tool.parameters);
    if ('problem' in schema) return fail(`${here}.parameters`, schema.problem);
    if (tool.parameters === undefined || (tool.parameters as { type?: unknown }).type !== 'object') return fail(`${here}.parameters`, 'must be an object schema ({ "type": "object", ... })');
    if (tool.strict !== undefined && typeof tool.strict !== 'boolean') return fail(`${here}.strict`, 'must be true or false');
    const copy: ToolDefinition = { name: tool.name, parameters: tool.parameters as Record<string, unknown> };
    if (tool.description !== undefined) copy.description = tool.description as string;
    if (tool.strict !== undefined) copy.strict = tool.strict as boolean;
    out.push(copy);
  }
  return { value: out };
}

/**
 * Check a tool choice against the tools it may name; `tools: 'later'` checks the shape only (a request
 * without tools of its own may name its bot's, which the plan checks once merged).
 */
export function checkToolChoice(choice: unknown, tools: readonly ToolDefinition[] | undefined | 'later', path = 'toolChoice'): Checked<ToolChoice> {
  if (choice === 'auto' || choice === 'none' || choice === 'required') {
    if (tools !== 'later' && choice !== 'none' && (!tools || tools.length === 0)) return fail(path, 'needs tools to choose from');
    return { value: choice };
  }
  if (!isObject(choice) || typeof choice.name !== 'string') return fail(path, 'must be "auto", "none", "required" or { name }');
  if (tools !== 'later' && !tools?.some((tool) => tool.name === choice.name)) return fail(`${path}.name`, 'names no tool of this request');
  return { value: { name: choice.name } };
}

/** Check a response format (a `json_schema` one must carry a schema that compiles). */
export function checkResponseFormat(format: unknown, path = 'responseFormat'): Checked<ResponseFormat> {
  if (!isObject(format)) return fail(path, 'must be { type: "text" }, { type: "json" } or { type: "json_schema", schema }');
  if (format.type === 'text' || format.type === 'json') return { value: { type: format.type } };
  if (format.type !== 'json_schema') return fail(`${path}.type`, 'must be "text", "json" or "json_schema"');
  const schema = compileSchema(format.schema);
  if ('problem' in schema) return fail(`${path}.schema`, schema.problem);
  if (format.name !== undefined && (typeof format.name !== 'string' || !TOOL_NAME.test(format.name))) return fail(`${path}.name`, 'must be 1-64 letters, digits, "_" or "-"');
  if (format.strict !== undefined && typeof format.strict !== 'boolean') return fail(`${path}.strict`, 'must be true or false');
  const out: ResponseFormat = { type: 'json_schema', schema: format.schema as Record<string, unknown> };
  if (format.name !== undefined) out.name = format.name as string;
  if (format.strict !== undefined) out.strict = format.strict as boolean;
  return { value: out };
}

/** Providers one request's providerOptions may name. */
export const MAX_PROVIDER_OPTION_PROVIDERS = 16;
/** JSON size of one provider's options: extra body fields, not a second prompt channel. */
export const MAX_PROVIDER_OPTIONS_CHARS = 16_384;

/** Check provider options: `{ [provider]: { ...extra body fields } }`, plain JSON. */
export function checkProviderOptions(options: unknown, path = 'providerOptions'): Checked<ProviderOptions> {
  if (!isObject(options)) return fail(path, 'must be an object { [provider]: { ...fields } }');
  const out: ProviderOptions = {};
  if (Object.keys(options).length > MAX_PROVIDER_OPTION_PROVIDERS) return fail(path, `may name at most ${MAX_PROVIDER_OPTION_PROVIDERS} providers`);
  for (const [provider, fields] of Object.entries(options)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(provider)) return fail(path, 'keys must be provider names');
    if (!isObject(fields)) return fail(`${path}.${provider}`, 'must be an object of request body fields');
    try {
      // Plain JSON only: it goes into a request body.
      const json = JSON.stringify(fields);
      if (json.length > MAX_PROVIDER_OPTIONS_CHARS) return fail(`${path}.${provider}`, `must be at most ${MAX_PROVIDER_OPTIONS_CHARS} characters of JSON`);
      out[provider] = JSON.parse(json) as Record<string, unknown>;
    } catch {
      return fail(`${path}.${provider}`, 'must be plain JSON');
    }
  }
  return { value: out };
}

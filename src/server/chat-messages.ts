/**
 * OpenAI chat messages -> the switchboard's ChatMessage[] (API.md "Messages, tools, structured
 * output"), one message for one message so that paths line up: `developer` is a system message; user
 * content is text or text and `image_url` parts (https: or data: URLs, kept as URLs); assistant
 * messages carry `tool_calls` (with `content: null`) and their reasoning (`reasoning_content`, or
 * OpenRouter's `reasoning_details` with signatures); `role: "tool"` answers a call by `tool_call_id`.
 *
 * This converts shapes and refuses, by path, what the switchboard cannot carry (audio and file parts,
 * participant names, the legacy `function_call`); the rules every request obeys (a tool result must
 * answer an earlier call, image URLs, tool names) are core's (request-rules.ts), whose paths
 * chat-request.ts turns back into OpenAI's. Fields a client echoes back from an answer that carry
 * nothing new (`refusal: null`, `annotations: []`, the SDK's `parsed`) are accepted.
 */
import type { ChatMessage, ReasoningBlock, ToolCall, UserPart } from '../core/types.js';
import { checkKeys, invalid, isObject, unsupported, type Body } from './body-fields.js';

/** The keys each role may carry (anything else is a 400 naming it). */
const MESSAGE_KEYS: Record<string, ReadonlySet<string>> = {
  system: new Set(['role', 'content', 'name']),
  developer: new Set(['role', 'content', 'name']),
  user: new Set(['role', 'content', 'name']),
  assistant: new Set(['role', 'content', 'name', 'refusal', 'tool_calls', 'function_call', 'audio', 'reasoning_content', 'reasoning_details', 'annotations', 'parsed']),
  tool: new Set(['role', 'content', 'tool_call_id', 'name']),
};

const IMAGE_DETAIL_NOTE = 'the switchboard keeps no image detail level (the provider chooses, as with "auto"); send "auto" or leave it out';

/** A message `name` (a participant's name) has no place in any provider's message the switchboard speaks. */
function refuseName(message: Body, path: string): void {
  if (message.name !== undefined && message.name !== null && message.name !== '') {
    throw unsupported(`${path}.name`, 'participant names are not carried to providers; put the name in the content');
  }
}

/** Text content: a string, or text parts (plus refusal parts for the assistant) joined with newlines. */
function textContent(content: unknown, path: string, refusalParts: boolean): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw invalid(`${path} must be a string or an array of text parts`, path);
  const texts: string[] = [];
  content.forEach((part, at) => {
    const here = `${path}[${at}]`;
    if (isObject(part) && part.type === 'text' && typeof part.text === 'string') {
      checkKeys(part, TEXT_PART_KEYS, here);
      texts.push(part.text);
    } else if (refusalParts && isObject(part) && part.type === 'refusal' && typeof part.refusal === 'string') {
      checkKeys(part, REFUSAL_PART_KEYS, here);
      texts.push(part.refusal);
    } else {
      throw invalid(`${here} must be a text part {"type": "text", "text": "..."}`, here);
    }
  });
  return texts.join('\n');
}

const TEXT_PART_KEYS = new Set(['type', 'text']);
const REFUSAL_PART_KEYS = new Set(['type', 'refusal']);
const IMAGE_PART_KEYS = new Set(['type', 'image_url']);
const IMAGE_URL_KEYS = new Set(['url', 'detail']);

/** User content: a string, text parts (joined, as before images existed), or text and image parts. */
function userContent(content: unknown, path: string): string | UserPart[] {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw invalid(`${path} must be a string or an array of text and image_url parts`, path);
  if (content.every((part) => isObject(part) && part.type === 'text')) return textContent(content, path, false);
  return content.map((part, at): UserPart => {
    const here = `${path}[${at}]`;
    if (!isObject(part)) throw invalid(`${here} must be a part {"type": "text" | "image_url", ...}`, here);
    if (part.type === 'text') {
      checkKeys(part, TEXT_PART_KEYS, here);
      if (typeof part.text !== 'string') throw invalid(`${here}.text must be a string`, `${here}.text`);
      return { type: 'text', text: part.text };
    }
    if (part.type === 'image_url') {
      checkKeys(part, IMAGE_PART_KEYS, here);
      const image = part.image_url;
      if (!isObject(image)) throw invalid(`${here}.image_url must be an object {"url": "https://..." or "data:image/...;base64,..."}`, `${here}.image_url`);
      checkKeys(image, IMAGE_URL_KEYS, `${here}.image_url`);
      if (image.detail !== undefined && image.detail !== null && image.detail !== 'auto') throw unsupported(`${here}.image_url.detail`, IMAGE_DETAIL_NOTE);
      // The URL is checked by core (https: or a data: URL of an image); a data: URL stays a URL, which every manager turns into bytes where its wire needs them.
      return { type: 'image', url: image.url as string };
    }
    if (part.type === 'input_audio' || part.type === 'file') throw unsupported(`${here}`, `${String(part.type)} parts are not carried; send text and image_url parts`);
    throw invalid(`${here}.type must be "text" or "image_url"`, `${here}.type`);
  });
}

const TOOL_CALL_KEYS = new Set(['id', 'type', 'function', 'index']);
const FUNCTION_KEYS = new Set(['name', 'arguments', 'parsed_arguments']);

/** Assistant `tool_calls` -> ToolCall[] (values as sent: core checks ids, names and arguments). */
function toolCalls(value: unknown, path: string, names: Map<string, string>): ToolCall[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw invalid(`${path} must be an array of {"id", "type": "function", "function": {"name", "arguments"}}`, path);
  if (value.length === 0) return undefined;
  return value.map((call, at) => {
    const here = `${path}[${at}]`;
    if (!isObject(call)) throw invalid(`${here} must be an object {"id", "type": "function", "function": {...}}`, here);
    checkKeys(call, TOOL_CALL_KEYS, here);
    if (call.type !== undefined && call.type !== 'function') throw unsupported(`${here}.type`, 'only function tool calls are carried');
    const fn = call.function;
    if (!isObject(fn)) throw invalid(`${here}.function must be an object {"name", "arguments"}`, `${here}.function`);
    checkKeys(fn, FUNCTION_KEYS, `${here}.function`);
    const toolCall = { id: call.id, name: fn.name, arguments: fn.arguments } as ToolCall;
    if (typeof toolCall.id === 'string' && typeof toolCall.name === 'string') names.set(toolCall.id, toolCall.name);
    return toolCall;
  });
}

const DETAIL_KEYS = new Set(['type', 'text', 'signature', 'data', 'summary', 'id', 'format', 'index']);

/**
 * The assistant's reasoning: OpenRouter's `reasoning_details` (text with its signature, or encrypted
 * data), which a tool follow-up to a provider that signs thinking needs back, else `reasoning_content`.
 */
function reasoningBlocks(message: Body, path: string): ReasoningBlock[] | undefined {
  const details = message.reasoning_details;
  if (details !== undefined && details !== null) {
    if (!Array.isArray(details)) throw invalid(`${path}.reasoning_details must be an array of reasoning details`, `${path}.reasoning_details`);
    if (details.length > 0) {
      return details.map((detail, at) => {
        const here = `${path}.reasoning_details[${at}]`;
        if (!isObject(detail)) throw invalid(`${here} must be an object {"type": "reasoning.text" | "reasoning.encrypted", ...}`, here);
        checkKeys(detail, DETAIL_KEYS, here);
        const block: ReasoningBlock = { text: '' };
        if (detail.type === 'reasoning.text') {
          block.text = detail.text as string;
          if (detail.signature !== undefined && detail.signature !== null) block.signature = detail.signature as string;
        } else if (detail.type === 'reasoning.encrypted') {
          block.redacted = detail.data as string;
        } else if (detail.type === 'reasoning.summary') {
          block.text = detail.summary as string;
        } else {
          throw invalid(`${here}.type must be "reasoning.text", "reasoning.encrypted" or "reasoning.summary"`, `${here}.type`);
        }
        return block;
      });
    }
  }
  const text = message.reasoning_content;
  if (text === undefined || text === null || text === '') return undefined;
  if (typeof text !== 'string') throw invalid(`${path}.reasoning_content must be a string`, `${path}.reasoning_content`);
  return [{ text }];
}

function assistantMessage(message: Body, path: string, names: Map<string, string>): ChatMessage {
  refuseName(message, path);
  if (message.function_call !== undefined && message.function_call !== null) throw unsupported(`${path}.function_call`, 'the legacy function calling API is not carried; use tool_calls');
  if (message.audio !== undefined && message.audio !== null) throw unsupported(`${path}.audio`, 'audio is not carried');
  if (message.annotations !== undefined && message.annotations !== null && !(Array.isArray(message.annotations) && message.annotations.length === 0)) {
    throw unsupported(`${path}.annotations`, 'annotations (web search citations) are not carried; the gateway never produces them');
  }
  const calls = toolCalls(message.tool_calls, `${path}.tool_calls`, names);
  let text: string | null = message.content === undefined || message.content === null ? null : textContent(message.content, `${path}.content`, true);
  const refusal = message.refusal;
  if (refusal !== undefined && refusal !== null) {
    if (typeof refusal !== 'string') throw invalid(`${path}.refusal must be a string or null`, `${path}.refusal`);
    // A refusal is what the model said: our answers carry it as text too.
    if (refusal !== '') text = text ? `${text}\n${refusal}` : refusal;
  }
  // An assistant turn that only called tools has no text, whichever way the client spells it.
  if (calls && text === '') text = null;
  const out: ChatMessage = { role: 'assistant', content: text };
  if (calls) out.toolCalls = calls;
  const reasoning = reasoningBlocks(message, path);
  if (reasoning) out.reasoning = reasoning;
  return out;
}

function toolMessage(message: Body, path: string, names: Map<string, string>): ChatMessage {
  const id = message.tool_call_id;
  const name = message.name;
  // Some clients (LangChain's ToolNode) name the tool on its result: redundant when it is the call's name.
  if (name !== undefined && name !== null && name !== '' && typeof id === 'string' && names.has(id) && names.get(id) !== name) {
    throw invalid(`${path}.name must be the name of the tool call it answers (or left out)`, `${path}.name`);
  }
  if (message.content === undefined || message.content === null) throw invalid(`${path}.content must be the tool's result as a string`, `${path}.content`);
  return { role: 'tool', toolCallId: id as string, content: textContent(message.content, `${path}.content`, false) };
}

/** Convert OpenAI's `messages`; a 400 names the path of what cannot be converted. */
export function toChatMessages(value: unknown): ChatMessage[] {
  if (!Array.isArray(value) || value.length === 0) throw invalid('messages must be a non-empty array of {"role", "content"}', 'messages');
  // Tool call ids seen so far -> their function names (a tool result's `name` must agree).
  const names = new Map<string, string>();
  return value.map((message, index): ChatMessage => {
    const path = `messages[${index}]`;
    if (!isObject(message)) throw invalid(`${path} must be an object {"role", "content"}`, path);
    const role = message.role;
    if (role === 'function') throw unsupported(`${path}.role`, 'the legacy function calling API is not carried; use tool_calls and role "tool"');
    const keys = typeof role === 'string' && Object.prototype.hasOwnProperty.call(MESSAGE_KEYS, role) ? MESSAGE_KEYS[role]! : undefined;
    if (!keys) throw invalid(`${path}.role must be "system", "developer", "user", "assistant" or "tool"`, `${path}.role`);
    checkKeys(message, keys, path);
    switch (role) {
      case 'system':
      case 'developer':
        // OpenAI's newer name for a system message.
        refuseName(message, path);
        return { role: 'system', content: textContent(message.content, `${path}.content`, false) };
      case 'user':
        refuseName(message, path);
        return { role: 'user', content: userContent(message.content, `${path}.content`) };
      case 'assistant':
        return assistantMessage(message, path, names);
      default:
        return toolMessage(message, path, names);
    }
  });
}

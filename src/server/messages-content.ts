/**
 * Anthropic's `system` and `messages` -> the switchboard's ChatMessage[] (API.md "Messages, tools,
 * structured output"), the reverse of managers/anthropic/convert-messages.ts:
 * - `system` (a string or text blocks) and `role: "system"` messages -> system messages;
 * - user content: text and `image` blocks (base64 with its media type, or a URL) -> user parts;
 *   leading `tool_result` blocks -> one tool message each (text content; `is_error: true` is said in
 *   the text, the one place every provider's tool result has for it);
 * - assistant content: text blocks joined, `tool_use` -> tool calls (input as its JSON text),
 *   `thinking` (with its signature) and `redacted_thinking` -> reasoning blocks, which a follow-up to
 *   a provider that signs thinking needs back.
 *
 * One Anthropic message may become several of ours (tool results, then the user's own blocks), so
 * each converted message remembers where it came from: a problem core's rules find
 * (request-rules.ts) is then named by the Anthropic path (`messages[2].content[0].tool_use_id`).
 * What the switchboard cannot carry is refused by path: documents, files, server-tool blocks,
 * citations and prompt-caching hints.
 */
import type { ChatMessage, ReasoningBlock, ToolCall, UserPart } from '../core/types.js';
import { checkKeys, invalid, isObject, unsupported, type Body } from './body-fields.js';

/** Where one converted message came from, so problems are named by the caller's paths. */
export interface MessageOrigin {
  /** `system`, `messages[2]`, or `messages[2].content[0]` for a tool result. */
  path: string;
  /** The content index of each user part, tool call and reasoning block of the converted message. */
  parts?: number[];
  toolCalls?: number[];
  reasoning?: number[];
}

/** The converted conversation and the origin of each of its messages. */
export interface ConvertedConversation {
  messages: ChatMessage[];
  origins: MessageOrigin[];
}

/** What the text of a tool result that reports a failure (`is_error: true`) begins with. */
export const TOOL_ERROR_PREFIX = 'Error: ';

const CACHE_NOTE = 'prompt-caching hints are provider-specific and not carried (the switchboard has a response cache of its own); remove cache_control';
const TEXT_KEYS = new Set(['type', 'text', 'cache_control', 'citations']);
const IMAGE_KEYS = new Set(['type', 'source', 'cache_control']);
const TOOL_RESULT_KEYS = new Set(['type', 'tool_use_id', 'content', 'is_error', 'cache_control']);
const TOOL_USE_KEYS = new Set(['type', 'id', 'name', 'input', 'cache_control', 'caller']);
const THINKING_KEYS = new Set(['type', 'thinking', 'signature']);
const REDACTED_KEYS = new Set(['type', 'data']);
const MESSAGE_KEYS = new Set(['role', 'content']);

/** A `cache_control` on a block or tool asks for prompt caching, which is not carried. */
export function refuseCacheControl(value: Body, path: string): void {
  if (value.cache_control !== undefined && value.cache_control !== null) throw unsupported(`${path}.cache_control`, CACHE_NOTE);
}

/** A text block's text (citations given back are refused: the switchboard carries none). */
function blockText(block: Body, path: string): string {
  checkKeys(block, TEXT_KEYS, path);
  refuseCacheControl(block, path);
  if (block.citations !== undefined && block.citations !== null && !(Array.isArray(block.citations) && block.citations.length === 0)) {
    throw unsupported(`${path}.citations`, 'citations are not carried; send the text alone');
  }
  if (typeof block.text !== 'string') throw invalid(`${path}.text must be a string`, `${path}.text`);
  return block.text;
}

/** A string, or text blocks joined by newlines (system prompts and tool results). */
function textOf(content: unknown, path: string, what: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw invalid(`${path} must be a string or an array of text blocks`, path);
  return content
    .map((block, at) => {
      const here = `${path}[${at}]`;
      if (!isObject(block)) throw invalid(`${here} must be a text block {"type": "text", "text": "..."}`, here);
      if (block.type !== 'text') throw unsupported(here, `${what} carry text blocks only here`);
      return blockText(block, here);
    })
    .join('\n');
}

/** An image block -> an image part (core checks the URL, the bytes and the media type). */
function imagePart(block: Body, path: string): UserPart {
  checkKeys(block, IMAGE_KEYS, path);
  refuseCacheControl(block, path);
  const source = block.source;
  if (!isObject(source)) throw invalid(`${path}.source must be {"type": "base64", "media_type", "data"} or {"type": "url", "url"}`, `${path}.source`);
  if (source.type === 'base64') {
    checkKeys(source, new Set(['type', 'media_type', 'data']), `${path}.source`);
    return { type: 'image', data: source.data as string, mediaType: source.media_type as string };
  }
  if (source.type === 'url') {
    checkKeys(source, new Set(['type', 'url']), `${path}.source`);
    return { type: 'image', url: source.url as string };
  }
  if (source.type === 'file') throw unsupported(`${path}.source`, 'uploaded files live in Anthropic\'s Files API, which other providers cannot read; send the image as base64 or a URL');
  throw invalid(`${path}.source.type must be "base64" or "url"`, `${path}.source.type`);
}

/** A tool_result block -> a tool message. */
function toolResult(block: Body, path: string): ChatMessage {
  checkKeys(block, TOOL_RESULT_KEYS, path);
  refuseCacheControl(block, path);
  const isError = block.is_error;
  if (isError !== undefined && isError !== null && typeof isError !== 'boolean') throw invalid(`${path}.is_error must be true or false`, `${path}.is_error`);
  let content = block.content === undefined || block.content === null ? '' : textOf(block.content, `${path}.content`, 'tool results');
  // OpenAI-shaped providers have no error flag on a tool result: the text says it, for every provider alike.
  if (isError === true) content = `${TOOL_ERROR_PREFIX}${content}`;
  return { role: 'tool', toolCallId: block.tool_use_id as string, content };
}

/** A block type the switchboard does not carry, refused with what to send instead. */
function foreignBlock(type: unknown, path: string): never {
  if (type === 'document' || type === 'search_result' || type === 'container_upload') throw unsupported(path, `${String(type)} blocks are not carried; send text and image blocks`);
  if (typeof type === 'string' && (type.startsWith('server_tool') || type.endsWith('_tool_result'))) {
    throw unsupported(path, 'server-tool blocks belong to tools that run on Anthropic\'s side, which the gateway does not carry');
  }
  throw invalid(`${path}.type must be "text", "image", "tool_use", "tool_result", "thinking" or "redacted_thinking"`, `${path}.type`);
}

/** A user message: leading tool results, then the user's own text and image blocks. */
function userMessages(content: unknown, path: string, out: ConvertedConversation): void {
  if (typeof content === 'string') {
    out.messages.push({ role: 'user', content });
    out.origins.push({ path });
    return;
  }
  if (!Array.isArray(content)) throw invalid(`${path}.content must be a string or an array of content blocks`, `${path}.content`);
  const parts: UserPart[] = [];
  const partBlocks: number[] = [];
  content.forEach((block, at) => {
    const here = `${path}.content[${at}]`;
    if (!isObject(block)) throw invalid(`${here} must be a content block {"type", ...}`, here);
    if (block.type === 'tool_result') {
      // Anthropic's own rule: a tool_use is answered by results at the start of the next user turn.
      if (parts.length > 0) throw invalid(`${here}: tool_result blocks must come first in a user message, before its text and images`, here);
      out.messages.push(toolResult(block, here));
      out.origins.push({ path: here });
      return;
    }
    if (block.type === 'text') parts.push({ type: 'text', text: blockText(block, here) });
    else if (block.type === 'image') parts.push(imagePart(block, here));
    else if (block.type === 'tool_use' || block.type === 'thinking' || block.type === 'redacted_thinking') throw invalid(`${here}.type must not be "${block.type}" in a user message: such blocks belong in assistant messages`, `${here}.type`);
    else foreignBlock(block.type, here);
    partBlocks.push(at);
  });
  // Only tool results: the turn is complete. An empty array goes on for core to refuse by its path.
  if (parts.length === 0 && content.length > 0) return;
  const textOnly = parts.every((part) => part.type === 'text');
  out.messages.push({ role: 'user', content: textOnly && parts.length > 0 ? parts.map((part) => (part as { text: string }).text).join('\n') : parts });
  out.origins.push(textOnly ? { path } : { path, parts: partBlocks });
}

/** An assistant message: text, tool calls, reasoning blocks. */
function assistantMessage(content: unknown, path: string, out: ConvertedConversation): void {
  if (typeof content === 'string') {
    out.messages.push({ role: 'assistant', content });
    out.origins.push({ path });
    return;
  }
  if (!Array.isArray(content)) throw invalid(`${path}.content must be a string or an array of content blocks`, `${path}.content`);
  let text = '';
  const calls: ToolCall[] = [];
  const reasoning: ReasoningBlock[] = [];
  const origin: MessageOrigin = { path, toolCalls: [], reasoning: [] };
  content.forEach((block, at) => {
    const here = `${path}.content[${at}]`;
    if (!isObject(block)) throw invalid(`${here} must be a content block {"type", ...}`, here);
    switch (block.type) {
      case 'text':
        // Blocks of one answer are one text, as the Anthropic manager joins them.
        text += blockText(block, here);
        return;
      case 'tool_use': {
        checkKeys(block, TOOL_USE_KEYS, here);
        refuseCacheControl(block, here);
        // Anthropic's answers say who called the tool; only the model itself ("direct") is a call the switchboard makes.
        if (block.caller !== undefined && block.caller !== null && !(isObject(block.caller) && block.caller.type === 'direct')) {
          throw unsupported(`${here}.caller`, 'tools called by Anthropic\'s code execution are not carried');
        }
        if (!isObject(block.input)) throw invalid(`${here}.input must be an object (the tool's arguments)`, `${here}.input`);
        calls.push({ id: block.id, name: block.name, arguments: JSON.stringify(block.input) } as ToolCall);
        origin.toolCalls!.push(at);
        return;
      }
      case 'thinking': {
        checkKeys(block, THINKING_KEYS, here);
        if (block.signature !== undefined && typeof block.signature !== 'string') throw invalid(`${here}.signature must be a string`, `${here}.signature`);
        const signed = typeof block.signature === 'string' && block.signature !== '' ? { signature: block.signature } : {};
        reasoning.push({ text: block.thinking as string, ...signed });
        origin.reasoning!.push(at);
        return;
      }
      case 'redacted_thinking':
        checkKeys(block, REDACTED_KEYS, here);
        reasoning.push({ text: '', redacted: block.data as string });
        origin.reasoning!.push(at);
        return;
      case 'image':
      case 'tool_result':
        throw invalid(`${here}.type must not be "${block.type}" in an assistant message: such blocks belong in user messages`, `${here}.type`);
      default:
        foreignBlock(block.type, here);
    }
  });
  const message: ChatMessage = { role: 'assistant', content: calls.length > 0 && text === '' ? null : text };
  if (calls.length > 0) message.toolCalls = calls;
  if (reasoning.length > 0) message.reasoning = reasoning;
  out.messages.push(message);
  out.origins.push(origin);
}

/**
 * Convert `system` and `messages`; a 400 names the Anthropic path of what cannot be converted.
 * `endsWithUser`: a conversation ending with an assistant turn (Anthropic's prefill) is refused,
 * since other providers answer such a turn anew instead of continuing it.
 */
export function toConversation(system: unknown, messages: unknown, endsWithUser: boolean): ConvertedConversation {
  const out: ConvertedConversation = { messages: [], origins: [] };
  if (system !== undefined) {
    const text = textOf(system, 'system', 'system prompts');
    if (text !== '') {
      out.messages.push({ role: 'system', content: text });
      out.origins.push({ path: 'system' });
    }
  }
  if (!Array.isArray(messages) || messages.length === 0) throw invalid('messages must be a non-empty array of {"role": "user" | "assistant", "content"}', 'messages');
  messages.forEach((message, index) => {
    const path = `messages[${index}]`;
    if (!isObject(message)) throw invalid(`${path} must be an object {"role", "content"}`, path);
    checkKeys(message, MESSAGE_KEYS, path);
    if (message.role === 'user') userMessages(message.content, path, out);
    else if (message.role === 'assistant') assistantMessage(message.content, path, out);
    else if (message.role === 'system') {
      out.messages.push({ role: 'system', content: textOf(message.content, `${path}.content`, 'system prompts') });
      out.origins.push({ path });
    } else throw invalid(`${path}.role must be "user" or "assistant"`, `${path}.role`);
  });
  const last = messages.length - 1;
  if (endsWithUser && (messages[last] as Body).role === 'assistant') {
    throw unsupported(`messages[${last}]`, 'a conversation ending with an assistant turn asks the model to continue it (prefill), which providers other than Anthropic cannot do; end with a user message');
  }
  return out;
}

/** Core's field names under a converted message -> the Anthropic names under its origin. */
const PART_FIELDS: Readonly<Record<string, string>> = { url: 'source.url', data: 'source.data', mediaType: 'source.media_type' };
const CALL_FIELDS: Readonly<Record<string, string>> = { arguments: 'input' };
const REASONING_FIELDS: Readonly<Record<string, string>> = { text: 'thinking', redacted: 'data' };

/** A path core's message rules reported (`messages[3].toolCalls[0].id`) -> the Anthropic path it stands for. */
export function anthropicMessagePath(path: string, origins: readonly MessageOrigin[]): string {
  const match = /^messages\[(\d+)\](.*)$/.exec(path);
  const origin = match ? origins[Number(match[1])] : undefined;
  if (!match || !origin) return path;
  const rest = match[2]!;
  const indexed = /^\.(content|toolCalls|reasoning)\[(\d+)\](?:\.(\w+))?/.exec(rest);
  if (indexed) {
    const [, list, at, field] = indexed;
    const blocks = list === 'content' ? origin.parts : list === 'toolCalls' ? origin.toolCalls : origin.reasoning;
    const names = list === 'content' ? PART_FIELDS : list === 'toolCalls' ? CALL_FIELDS : REASONING_FIELDS;
    const block = blocks?.[Number(at)];
    if (block !== undefined) return `${origin.path}.content[${block}]${field ? `.${names[field] ?? field}` : ''}`;
    return `${origin.path}.content`;
  }
  if (rest === '.toolCallId') return `${origin.path}.tool_use_id`;
  if (rest.startsWith('.toolCalls') || rest.startsWith('.reasoning')) return `${origin.path}.content`;
  // A tool result's own path is its block; its `content` is the block's content.
  return `${origin.path}${rest}`;
}

/**
 * The Responses API's `instructions` and `input` -> the switchboard's ChatMessage[] (API.md "Messages,
 * tools, structured output"). `input` is a string (one user message) or items:
 *
 * - `message` items (the `type` may be left out) of role `system` / `developer` (a system message),
 *   `user` (text, or `input_text` and `input_image` parts) and `assistant` (`output_text` parts, as an
 *   answer is echoed back; `input_text` too);
 * - `function_call` items (`call_id`, `name`, `arguments`): tool calls of the assistant turn they
 *   follow (a new turn with `content: null` when none is open);
 * - `function_call_output` items (`call_id`, `output`): tool results;
 * - `reasoning` items: the reasoning of the assistant turn that follows them (responses-reasoning.ts).
 *
 * Fields an echoed output item carries that ask for nothing (`id`, `status`, `annotations: []`,
 * `logprobs`, `phase`, and what the openai SDK's parsing adds: `parsed_arguments`, `parsed`) are accepted. Anything the switchboard cannot carry is refused by path
 * (`input[2].content[0]`): file parts, image detail levels and hosted-tool items. An `item_reference`
 * (or OpenAI's typeless `{ "id" }`) to a message or reasoning item this gateway wrote converts as that
 * item would (responses-references.ts); the items come looked up already (`held`). Each message remembers the input path it came from, so that a problem
 * core's rules find (request-rules.ts) names the caller's path (`inputPath`).
 */
import type { ChatMessage, ReasoningBlock, ToolCall, UserPart } from '../core/types.js';
import { checkKeys, invalid, isObject, unsupported, type Body } from './body-fields.js';
import { reasoningBlocks } from './responses-reasoning.js';
import { isReference, NO_ITEMS, referencedItem, type HeldItems } from './responses-references.js';

/** Where one converted message came from: its item, its content field, each tool call's item, its reasoning item. */
export interface MessageOrigin {
  item: string;
  content: string;
  calls: string[];
  reasoning?: string;
}

/** The conversation, and the origin of each message (same indexes). */
export interface ConvertedInput {
  messages: ChatMessage[];
  origins: MessageOrigin[];
}

const MESSAGE_KEYS = new Set(['type', 'role', 'content', 'id', 'status', 'phase']);
const CALL_KEYS = new Set(['type', 'call_id', 'name', 'arguments', 'id', 'status', 'namespace', 'caller', 'parsed_arguments']);
const OUTPUT_KEYS = new Set(['type', 'call_id', 'output', 'id', 'status', 'caller']);
const REASONING_KEYS = new Set(['type', 'id', 'summary', 'content', 'encrypted_content', 'status']);
const TEXT_KEYS = new Set(['type', 'text', 'prompt_cache_breakpoint']);
const OUTPUT_TEXT_KEYS = new Set(['type', 'text', 'annotations', 'logprobs', 'parsed']);
const REFUSAL_KEYS = new Set(['type', 'refusal']);
const IMAGE_KEYS = new Set(['type', 'image_url', 'detail', 'file_id', 'prompt_cache_breakpoint']);

const NOT_CARRIED = 'only message, function_call, function_call_output and reasoning items are carried (function tools only)';

/** Caching hints are OpenAI's; the switchboard has its own response cache. */
function refuseCacheBreakpoint(part: Body, path: string): void {
  if (part.prompt_cache_breakpoint !== undefined && part.prompt_cache_breakpoint !== null) {
    throw unsupported(`${path}.prompt_cache_breakpoint`, 'prompt caching hints are OpenAI-only');
  }
}

function textOf(part: Body, path: string): string {
  if (typeof part.text !== 'string') throw invalid(`${path}.text must be a string`, `${path}.text`);
  return part.text;
}

/** An `input_image` part: an https: or data: URL (core checks it); no file ids, no detail level but `auto`. */
function imagePart(part: Body, path: string): UserPart {
  checkKeys(part, IMAGE_KEYS, path);
  refuseCacheBreakpoint(part, path);
  if (part.file_id !== undefined && part.file_id !== null) throw unsupported(`${path}.file_id`, 'the gateway stores no files; send the image as image_url (https: or a data: URL)');
  if (part.detail !== undefined && part.detail !== null && part.detail !== 'auto') {
    throw unsupported(`${path}.detail`, 'the switchboard keeps no image detail level (the provider chooses, as with "auto"); send "auto" or leave it out');
  }
  if (typeof part.image_url !== 'string') throw invalid(`${path}.image_url must be an https: URL or a data:image/...;base64,... URL`, `${path}.image_url`);
  return { type: 'image', url: part.image_url };
}

/** User content: a string, or `input_text` / `input_image` parts (one text part is the plain string). */
function userContent(content: unknown, path: string): string | UserPart[] {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw invalid(`${path} must be a string or an array of input_text and input_image parts`, path);
  const parts = content.map((part, at): UserPart => {
    const here = `${path}[${at}]`;
    if (!isObject(part)) throw invalid(`${here} must be a part {"type": "input_text" | "input_image", ...}`, here);
    if (part.type === 'input_text') {
      checkKeys(part, TEXT_KEYS, here);
      refuseCacheBreakpoint(part, here);
      return { type: 'text', text: textOf(part, here) };
    }
    if (part.type === 'input_image') return imagePart(part, here);
    if (part.type === 'input_file' || part.type === 'input_audio') throw unsupported(here, `${part.type} parts are not carried; send input_text and input_image parts`);
    throw invalid(`${here}.type must be "input_text" or "input_image"`, `${here}.type`);
  });
  return parts.length === 1 && parts[0]!.type === 'text' ? parts[0]!.text : parts;
}

/** System or assistant text: a string, or text parts joined with newlines (assistant: `output_text` and refusals too). */
function plainText(content: unknown, path: string, assistant: boolean): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw invalid(`${path} must be a string or an array of text parts`, path);
  return content
    .map((part, at) => {
      const here = `${path}[${at}]`;
      if (!isObject(part)) throw invalid(`${here} must be a text part`, here);
      if (part.type === 'input_text') {
        checkKeys(part, TEXT_KEYS, here);
        refuseCacheBreakpoint(part, here);
        return textOf(part, here);
      }
      if (assistant && part.type === 'output_text') {
        checkKeys(part, OUTPUT_TEXT_KEYS, here);
        if (Array.isArray(part.annotations) && part.annotations.length > 0) throw unsupported(`${here}.annotations`, 'annotations (citations) are not carried; the gateway never produces them');
        return textOf(part, here);
      }
      if (assistant && part.type === 'refusal' && typeof part.refusal === 'string') {
        checkKeys(part, REFUSAL_KEYS, here);
        return part.refusal;
      }
      throw invalid(`${here} must be a text part {"type": "${assistant ? 'output_text' : 'input_text'}", "text": "..."}`, here);
    })
    .join('\n');
}

/** A tool result's `output`: a string, or `input_text` parts joined. */
function toolOutput(output: unknown, path: string): string {
  if (typeof output === 'string') return output;
  if (!Array.isArray(output)) throw invalid(`${path} must be the tool's result as a string`, path);
  return output
    .map((part, at) => {
      const here = `${path}[${at}]`;
      if (isObject(part) && part.type === 'input_text') {
        checkKeys(part, TEXT_KEYS, here);
        return textOf(part, here);
      }
      throw unsupported(here, "a tool result is text here; send the tool's output as a string or input_text parts");
    })
    .join('\n');
}

/** Only the model calls tools directly here: programmatic callers are an OpenAI-hosted feature. */
function refuseCaller(item: Body, path: string): void {
  const caller = item.caller;
  if (caller !== undefined && caller !== null && !(isObject(caller) && caller.type === 'direct')) {
    throw unsupported(`${path}.caller`, 'programmatic tool calling is not carried');
  }
}

/** The conversation being built: the open assistant turn takes function calls and pending reasoning. */
class Conversation {
  readonly messages: ChatMessage[] = [];
  readonly origins: MessageOrigin[] = [];
  /** Index of the assistant message function calls join, while no other message came after it. */
  private openTurn: number | undefined;
  private pending: { blocks: ReasoningBlock[]; path: string } | undefined;
  /** Item references converted so far (a request may hold at most MAX_REFERENCES). */
  references = 0;

  constructor(readonly held: HeldItems) {}

  add(message: ChatMessage, path: string, content = path): void {
    if (this.pending && message.role !== 'assistant') throw this.orphanReasoning();
    this.messages.push(message);
    this.origins.push({ item: path, content, calls: [] });
    this.openTurn = message.role === 'assistant' ? this.messages.length - 1 : undefined;
    if (message.role === 'assistant') this.takeReasoning();
  }

  call(call: ToolCall, path: string): void {
    if (this.openTurn === undefined) this.add({ role: 'assistant', content: null }, path);
    const message = this.messages[this.openTurn!] as Extract<ChatMessage, { role: 'assistant' }>;
    (message.toolCalls ??= []).push(call);
    this.origins[this.openTurn!]!.calls.push(path);
    this.takeReasoning();
  }

  reasoning(blocks: ReasoningBlock[], path: string): void {
    if (this.pending) this.pending.blocks.push(...blocks);
    else this.pending = { blocks, path };
  }

  finish(): ConvertedInput {
    if (this.pending) throw this.orphanReasoning();
    return { messages: this.messages, origins: this.origins };
  }

  private takeReasoning(): void {
    if (!this.pending) return;
    const message = this.messages[this.openTurn!] as Extract<ChatMessage, { role: 'assistant' }>;
    if (this.pending.blocks.length > 0) (message.reasoning ??= []).push(...this.pending.blocks);
    this.origins[this.openTurn!]!.reasoning ??= this.pending.path;
    this.pending = undefined;
  }

  private orphanReasoning() {
    return invalid(`${this.pending!.path} must be followed by the assistant message or function_call it came with`, this.pending!.path);
  }
}

function messageItem(item: Body, path: string, conversation: Conversation): void {
  checkKeys(item, MESSAGE_KEYS, path);
  const content = `${path}.content`;
  switch (item.role) {
    case 'system':
    case 'developer':
      // OpenAI's newer name for a system message.
      return conversation.add({ role: 'system', content: plainText(item.content, content, false) }, path, content);
    case 'user':
      return conversation.add({ role: 'user', content: userContent(item.content, content) }, path, content);
    case 'assistant':
      return conversation.add({ role: 'assistant', content: plainText(item.content, content, true) }, path, content);
    default:
      throw invalid(`${path}.role must be "user", "assistant", "system" or "developer"`, `${path}.role`);
  }
}

function convertItem(item: unknown, path: string, conversation: Conversation): void {
  if (!isObject(item)) throw invalid(`${path} must be an item such as {"role": "user", "content": "..."}`, path);
  if (isReference(item)) {
    // The item it names, converted as if sent inline (its own fields were checked when it was written).
    return convertItem(referencedItem(item, path, conversation.references++, conversation.held), path, conversation);
  }
  const type = item.type ?? 'message';
  switch (type) {
    case 'message':
      return messageItem(item, path, conversation);
    case 'function_call':
      checkKeys(item, CALL_KEYS, path);
      refuseCaller(item, path);
      if (item.namespace !== undefined && item.namespace !== null) throw unsupported(`${path}.namespace`, 'tool namespaces are not carried; name the function alone');
      return conversation.call({ id: item.call_id, name: item.name, arguments: item.arguments } as ToolCall, path);
    case 'function_call_output':
      checkKeys(item, OUTPUT_KEYS, path);
      refuseCaller(item, path);
      if (item.output === undefined || item.output === null) throw invalid(`${path}.output must be the tool's result as a string`, `${path}.output`);
      return conversation.add({ role: 'tool', toolCallId: item.call_id as string, content: toolOutput(item.output, `${path}.output`) }, path, `${path}.output`);
    case 'reasoning':
      checkKeys(item, REASONING_KEYS, path);
      return conversation.reasoning(reasoningBlocks(item, path), path);
    default:
      if (typeof type !== 'string') throw invalid(`${path}.type must be a string`, `${path}.type`);
      throw unsupported(`${path}.type`, NOT_CARRIED);
  }
}

/**
 * `instructions` (a system message first) and `input` -> messages; a 400 names the path of what cannot
 * be converted. `held` holds the items the input's references name (looked up before, as reading the
 * store may wait on Redis).
 */
export function toResponsesMessages(instructions: unknown, input: unknown, held: HeldItems = NO_ITEMS): ConvertedInput {
  const conversation = new Conversation(held);
  if (instructions !== undefined && instructions !== '') {
    if (typeof instructions !== 'string') throw invalid('instructions must be a string', 'instructions');
    conversation.add({ role: 'system', content: instructions }, 'instructions');
  }
  if (typeof input === 'string') {
    conversation.add({ role: 'user', content: input }, 'input');
    return conversation.finish();
  }
  if (!Array.isArray(input) || input.length === 0) throw invalid('input is required: a string, or a non-empty array of items such as {"role": "user", "content": "..."}', 'input');
  input.forEach((item, index) => convertItem(item, `input[${index}]`, conversation));
  return conversation.finish();
}

/** Core's path of a problem (`messages[3].toolCalls[0].id`) -> the caller's (`input[4].call_id`). */
export function inputPath(path: string, origins: readonly MessageOrigin[]): string {
  const match = /^messages\[(\d+)\](.*)$/.exec(path);
  const origin = match ? origins[Number(match[1])] : undefined;
  if (!match || !origin) return 'input';
  const rest = match[2]!;
  const call = /^\.toolCalls\[(\d+)\](?:\.(id|name|arguments))?/.exec(rest);
  if (call) {
    const where = origin.calls[Number(call[1])] ?? origin.item;
    return call[2] === undefined ? where : `${where}.${call[2] === 'id' ? 'call_id' : call[2]}`;
  }
  if (rest.startsWith('.toolCallId')) return `${origin.item}.call_id`;
  if (rest.startsWith('.reasoning')) return origin.reasoning ?? origin.item;
  const part = /^\.content(\[\d+\])?(\.(url|data|mediaType))?/.exec(rest);
  if (!part || part[0] === '') return origin.item;
  // A string content is the whole field; parts keep their index (one part for one part).
  if (part[1] === undefined) return origin.content;
  return `${origin.content}${part[1]}${part[2] === undefined ? '' : '.image_url'}`;
}

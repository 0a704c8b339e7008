/**
 * Our conversation -> Anthropic's `system` and `messages`. System messages join the top-level
 * `system` field. User parts become text and image blocks. An assistant turn becomes its blocks in
 * the order Anthropic answers them (thinking, text, tool_use), so signed thinking goes back exactly
 * as it came. Tool results become `tool_result` blocks in a user turn: consecutive results share one
 * user message, and a user message right after them joins it, because Anthropic wants a tool_use
 * answered by the very next (user) message and the turns to alternate.
 */
import type { ContentBlockParam, ImageBlockParam, MessageParam } from '@anthropic-ai/sdk/resources/messages';
import { InvalidRequestError } from '../../core/errors.js';
import type { AssistantMessage, ChatMessage, ImagePart, ProviderRequest, UserPart } from '../../core/types.js';
import { ANTHROPIC_ID } from './anthropic-config.js';

/** What the messages of a request become. */
export interface AnthropicConversation {
  /** The system messages joined by blank lines; undefined when there are none. */
  system?: string;
  messages: MessageParam[];
}

type ImageMediaType = 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp';

/** `data:image/png;base64,...` (request-rules.ts checked the shape and the media type already). */
const DATA_URL = /^data:(image\/[a-z+.-]+);base64,(.*)$/s;

/** An image part -> an image block: base64 bytes, a data: URL as bytes, an https URL as a url source. */
function imageBlock(part: ImagePart): ImageBlockParam {
  if (part.url === undefined) return { type: 'image', source: { type: 'base64', media_type: part.mediaType as ImageMediaType, data: part.data } };
  const data = DATA_URL.exec(part.url);
  if (data) return { type: 'image', source: { type: 'base64', media_type: data[1] as ImageMediaType, data: data[2]! } };
  return { type: 'image', source: { type: 'url', url: part.url } };
}

function userBlocks(content: string | UserPart[]): ContentBlockParam[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return content.map((part): ContentBlockParam => (part.type === 'text' ? { type: 'text', text: part.text } : imageBlock(part)));
}

/**
 * A tool call's arguments as the `input` object Anthropic wants. Anything but the JSON text of an
 * object is refused by its path; the message never repeats the arguments.
 */
function toolInput(text: string, path: string, model: string): Record<string, unknown> {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    input = undefined;
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidRequestError(`${path} must be the JSON text of an object: Anthropic carries tool arguments as an object`, { provider: ANTHROPIC_ID, model });
  }
  return input as Record<string, unknown>;
}

/**
 * An assistant turn's blocks: thinking first (a signed block as `thinking`, an encrypted one as
 * `redacted_thinking`), then the text, then the tool calls. Thinking without a signature came from
 * another provider: Anthropic accepts only its own signed thinking back, so such blocks stay out.
 */
function assistantContent(message: AssistantMessage, index: number, model: string): string | ContentBlockParam[] {
  const blocks: ContentBlockParam[] = [];
  for (const block of message.reasoning ?? []) {
    if (block.redacted !== undefined) blocks.push({ type: 'redacted_thinking', data: block.redacted });
    else if (block.signature !== undefined) blocks.push({ type: 'thinking', thinking: block.text, signature: block.signature });
  }
  const text = message.content ?? '';
  const calls = message.toolCalls ?? [];
  // A plain answer stays a string, as it always went.
  if (blocks.length === 0 && calls.length === 0) return text;
  if (text !== '') blocks.push({ type: 'text', text });
  calls.forEach((call, j) => {
    blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: toolInput(call.arguments, `messages[${index}].toolCalls[${j}].arguments`, model) });
  });
  return blocks;
}

/** Map the conversation; throws InvalidRequestError for one Anthropic cannot take (naming the path). */
export function toAnthropicConversation(request: ProviderRequest): AnthropicConversation {
  const system: string[] = [];
  const messages: MessageParam[] = [];
  /** The user turn holding the latest tool results, while nothing else came after them. */
  let resultsTurn: ContentBlockParam[] | undefined;
  request.messages.forEach((message: ChatMessage, index) => {
    switch (message.role) {
      case 'system':
        system.push(message.content);
        return;
      case 'tool':
        if (!resultsTurn) {
          resultsTurn = [];
          messages.push({ role: 'user', content: resultsTurn });
        }
        resultsTurn.push({ type: 'tool_result', tool_use_id: message.toolCallId, content: message.content });
        return;
      case 'user':
        if (resultsTurn) {
          // Results first, then what the user added: Anthropic wants tool_result blocks at the start.
          resultsTurn.push(...userBlocks(message.content));
          resultsTurn = undefined;
          return;
        }
        messages.push({ role: 'user', content: typeof message.content === 'string' ? message.content : userBlocks(message.content) });
        return;
      case 'assistant':
        resultsTurn = undefined;
        messages.push({ role: 'assistant', content: assistantContent(message, index, request.modelId) });
        return;
    }
  });
  if (messages.length === 0) {
    throw new InvalidRequestError('Anthropic needs at least one user message besides the system prompt: add a user message', { provider: ANTHROPIC_ID, model: request.modelId });
  }
  return system.length > 0 ? { system: system.join('\n\n'), messages } : { messages };
}

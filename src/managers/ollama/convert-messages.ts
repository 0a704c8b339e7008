/**
 * Our messages -> Ollama's: text parts joined into `content`, images as base64 in `images` (Ollama
 * takes bytes only: a data: URL gives its bytes, an https URL cannot go and is refused by name before
 * any request), assistant tool calls with their arguments parsed into objects (Ollama's shape), tool
 * results with the name of the tool they answer (`tool_name`, what Ollama's templates read) and the
 * call's id. For /api/generate: the system prompt apart, the rest joined into one prompt.
 */
import { InvalidRequestError } from '../../core/errors.js';
import { messageText, type ChatMessage, type ProviderRequest, type UserPart } from '../../core/types.js';
import type { OllamaMessage, OllamaToolCall } from './ollama-wire.js';

const origin = (request: ProviderRequest) => ({ provider: 'ollama', model: request.modelId });

/** The base64 bytes of an image part; an https URL is refused (Ollama cannot fetch it). */
function imageBytes(part: Extract<UserPart, { type: 'image' }>, path: string, request: ProviderRequest): string {
  if (part.url === undefined) return part.data;
  // request-rules.ts admits only data:image/...;base64, and https: URLs.
  if (part.url.startsWith('data:')) return part.url.slice(part.url.indexOf(',') + 1);
  throw new InvalidRequestError(`${path}.url: Ollama takes image bytes only; send the image as { data, mediaType } or a data: URL`, origin(request));
}

/** The images of a user message, in order (empty for any other message). */
function imagesOf(message: ChatMessage, index: number, request: ProviderRequest): string[] {
  if (message.role !== 'user' || typeof message.content === 'string') return [];
  const images: string[] = [];
  message.content.forEach((part, j) => {
    if (part.type === 'image') images.push(imageBytes(part, `messages[${index}].content[${j}]`, request));
  });
  return images;
}

/** A tool call's JSON text as the object Ollama wants; the path names it when it is not one. */
function parsedArguments(text: string, path: string, request: ProviderRequest): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    // Never the text itself: it is the caller's (or an earlier model's) content.
    throw new InvalidRequestError(`${path} must be the JSON text of an object to go to Ollama, which sends arguments as objects`, origin(request));
  }
  return value as Record<string, unknown>;
}

/** The chat messages of `request`, with tool results named after the calls they answer. */
export function toOllamaMessages(request: ProviderRequest): OllamaMessage[] {
  const toolNames = new Map<string, string>();
  return request.messages.map((message, index): OllamaMessage => {
    switch (message.role) {
      case 'system':
        return { role: 'system', content: message.content };
      case 'user': {
        const converted: OllamaMessage = { role: 'user', content: messageText(message) };
        const images = imagesOf(message, index, request);
        if (images.length > 0) converted.images = images;
        return converted;
      }
      case 'assistant': {
        const converted: OllamaMessage = { role: 'assistant', content: message.content ?? '' };
        if (message.toolCalls && message.toolCalls.length > 0) {
          converted.tool_calls = message.toolCalls.map((call, j): OllamaToolCall => {
            toolNames.set(call.id, call.name);
            return { id: call.id, function: { name: call.name, arguments: parsedArguments(call.arguments, `messages[${index}].toolCalls[${j}].arguments`, request) } };
          });
        }
        // Ollama's messages carry thinking as text; signatures have no place there.
        const thinking = message.reasoning?.map((block) => block.text).join('') ?? '';
        if (thinking !== '') converted.thinking = thinking;
        return converted;
      }
      case 'tool': {
        const converted: OllamaMessage = { role: 'tool', content: message.content, tool_call_id: message.toolCallId };
        // request-rules.ts guarantees the call was made earlier in the conversation.
        const name = toolNames.get(message.toolCallId);
        if (name !== undefined) converted.tool_name = name;
        return converted;
      }
    }
  });
}

/**
 * A conversation for /api/generate: the system messages as `system`, the other messages' text as
 * the prompt, every user image in `images`. Only called for requests without tool turns.
 */
export function toGeneratePrompt(request: ProviderRequest): { system?: string; prompt: string; images: string[] } {
  const system: string[] = [];
  const prompt: string[] = [];
  const images: string[] = [];
  request.messages.forEach((message, index) => {
    if (message.role === 'system') system.push(message.content);
    else prompt.push(messageText(message));
    images.push(...imagesOf(message, index, request));
  });
  return { ...(system.length > 0 ? { system: system.join('\n\n') } : {}), prompt: prompt.join('\n\n'), images };
}

/** Does the conversation hold tool turns (calls or results), which only /api/chat can carry? */
export function hasToolTurns(request: ProviderRequest): boolean {
  return request.messages.some((message) => message.role === 'tool' || (message.role === 'assistant' && (message.toolCalls?.length ?? 0) > 0));
}

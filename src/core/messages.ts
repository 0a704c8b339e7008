/**
 * The rich conversation every provider, the library and the gateway carry (API.md "Messages, tools,
 * structured output"): messages with text and image parts, assistant tool calls with their reasoning,
 * tool results, tool definitions, tool choice, response formats and reasoning settings.
 */

/** Who wrote a message. */
export type Role = 'system' | 'user' | 'assistant' | 'tool';

/** A piece of text in a user message. */
export interface TextPart {
  type: 'text';
  text: string;
}

/** An image: an https: or data: URL, or base64 bytes with their media type (e.g. `image/png`). */
export type ImagePart = { type: 'image'; url: string; data?: undefined; mediaType?: undefined } | { type: 'image'; data: string; mediaType: string; url?: undefined };

/** A part of a user message. */
export type UserPart = TextPart | ImagePart;

/** A tool call the model made. `arguments` is the JSON text the model wrote (not parsed: it may be invalid). */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * A block of the model's reasoning, as its provider needs it back in a follow-up: some providers sign
 * thinking (`signature`) and may send it encrypted (`redacted`); a tool follow-up with thinking on
 * must return those blocks unchanged.
 */
export interface ReasoningBlock {
  text: string;
  signature?: string;
  redacted?: string;
}

/**
 * What a stream says of reasoning blocks besides their text, where the provider signs or redacts
 * them, in their place among the deltas: `reasoning-signature` signs the reasoning
 * streamed since the previous signature, and that block ends there; `reasoning-redacted` is a whole
 * redacted block (encrypted thinking, no text). The finish carries the same blocks again, complete.
 */
export type ReasoningBlockPart = { type: 'reasoning-signature'; signature: string } | { type: 'reasoning-redacted'; redacted: string };

/**
 * Whole reasoning blocks as the stream parts a provider streams them in (a cached answer replayed, a
 * fake provider): each block's text, then its signature; a redacted block as one part.
 */
export function reasoningStreamParts(blocks: readonly ReasoningBlock[] | undefined): Array<{ type: 'reasoning-delta'; text: string } | ReasoningBlockPart> {
  const parts: Array<{ type: 'reasoning-delta'; text: string } | ReasoningBlockPart> = [];
  for (const block of blocks ?? []) {
    if (block.redacted !== undefined) {
      parts.push({ type: 'reasoning-redacted', redacted: block.redacted });
      continue;
    }
    if (block.text !== '') parts.push({ type: 'reasoning-delta', text: block.text });
    if (block.signature) parts.push({ type: 'reasoning-signature', signature: block.signature });
  }
  return parts;
}

/** Instructions. */
export interface SystemMessage {
  role: 'system';
  content: string;
}

/** What the user said: text, or text and image parts. */
export interface UserMessage {
  role: 'user';
  content: string | UserPart[];
}

/** What the model said: text (null when it only called tools), its tool calls and its reasoning. */
export interface AssistantMessage {
  role: 'assistant';
  content: string | null;
  toolCalls?: ToolCall[];
  reasoning?: ReasoningBlock[];
}

/** A tool's result for the call `toolCallId`, as text (often JSON). */
export interface ToolMessage {
  role: 'tool';
  toolCallId: string;
  content: string;
}

/** One chat message. */
export type ChatMessage = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

/** A JSON Schema (draft 2020-12 / 7 subset the providers accept), as a plain object. */
export type JSONSchema = Record<string, unknown>;

/** A function the model may call. */
export interface ToolDefinition {
  /** 1-64 letters, digits, `_` or `-`. */
  name: string;
  description?: string;
  /** The JSON Schema of the arguments object. */
  parameters: JSONSchema;
  /** Ask the provider to keep the arguments to the schema exactly (strict mode), where it can. */
  strict?: boolean;
}

/** Whether and which tool the model must call. */
export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

/** The shape of the answer: free text, any JSON object, or JSON valid against a schema. */
export type ResponseFormat = { type: 'text' } | { type: 'json' } | { type: 'json_schema'; name?: string; schema: JSONSchema; strict?: boolean };

/** How much the model should think (reasoning models): an effort, or a thinking budget in tokens. */
export interface ReasoningParams {
  effort?: 'minimal' | 'low' | 'medium' | 'high';
  maxTokens?: number;
}

/** Extra request fields by provider name, merged into that provider's request body only. */
export type ProviderOptions = Record<string, Record<string, unknown>>;

/** The rich fields of a request (and, as defaults, of a bot), besides messages and params. */
export interface RichRequestFields {
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  responseFormat?: ResponseFormat;
  providerOptions?: ProviderOptions;
}

/** The text of a message (text parts joined; images and tool calls carry none). */
export function messageText(message: ChatMessage): string {
  const content = message.content;
  if (typeof content === 'string') return content;
  if (content === null) return '';
  let text = '';
  for (const part of content) if (part.type === 'text') text += part.text;
  return text;
}

/** Does the message carry an image? */
export function hasImage(message: ChatMessage): boolean {
  return message.role === 'user' && Array.isArray(message.content) && message.content.some((part) => part.type === 'image');
}

/**
 * Input checks made before any network call (RELIABILITY.md "Limits"): message shape, message count,
 * total characters, and the token estimate the context-window check starts from. Each failure says
 * which limit was hit and what to change.
 */
import { InvalidRequestError } from '../core/errors.js';
import { messageText, type ChatMessage, type ChatRequest } from '../core/types.js';
import { checkMessages } from '../core/request-rules.js';

/** Config `limits`; a value of 0 (or below) means no limit. */
export interface InputLimits {
  maxMessages: number;
  maxInputChars: number;
}

/** Tokens a chat format adds around each message (role markers, separators). */
export const MESSAGE_OVERHEAD_TOKENS = 4;


/**
 * A rough token count: characters / 4, rounded up. Close for English; low for CJK text, where a
 * provider's own context-length error (mapped to ContextLengthError) still catches what slips by.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Tokens an image costs, roughly (a 512-pixel tile at OpenAI's low detail; providers differ). */
export const IMAGE_TOKENS_ESTIMATE = 85;

/** The characters of text a message carries: its text, tool call names and arguments. */
export function messageChars(message: ChatMessage): number {
  let chars = messageText(message).length;
  if (message.role === 'assistant') for (const call of message.toolCalls ?? []) chars += call.name.length + call.arguments.length;
  return chars;
}

/** Estimated tokens of one message: its text / 4, its images, plus MESSAGE_OVERHEAD_TOKENS. */
export function estimateMessageTokens(message: ChatMessage): number {
  let tokens = Math.ceil(messageChars(message) / 4) + MESSAGE_OVERHEAD_TOKENS;
  if (message.role === 'user' && Array.isArray(message.content)) {
    for (const part of message.content) if (part.type === 'image') tokens += IMAGE_TOKENS_ESTIMATE;
  }
  return tokens;
}

/** Estimated prompt tokens of a conversation (the sum of its messages' estimates). */
export function estimatePromptTokens(messages: readonly ChatMessage[]): number {
  let total = 0;
  for (const message of messages) total += estimateMessageTokens(message);
  return total;
}

/**
 * Throw InvalidRequestError for a malformed conversation or one over `limits`. (Whether it fits a
 * model's context window is decided per candidate, with history trimming: src/pipeline/context-fit.ts.)
 */
export function checkInputLimits(request: ChatRequest, limits: InputLimits): void {
  // The one message rule (request adapters may have rewritten the conversation since it was checked).
  const shape = checkMessages(request.messages);
  if (shape.problem) throw new InvalidRequestError(`${shape.problem.path} ${shape.problem.message}`);
  const messages = request.messages;
  if (limits.maxMessages > 0 && messages.length > limits.maxMessages) {
    throw new InvalidRequestError(
      `The conversation has ${messages.length} messages; the limit is ${limits.maxMessages} (config limits.maxMessages). Send fewer messages (trim old history) or raise limits.maxMessages.`,
    );
  }
  let chars = 0;
  for (const message of messages) chars += messageChars(message);
  if (limits.maxInputChars > 0 && chars > limits.maxInputChars) {
    throw new InvalidRequestError(
      `The input has ${chars} characters; the limit is ${limits.maxInputChars} (config limits.maxInputChars). Shorten the messages or raise limits.maxInputChars.`,
    );
  }
}

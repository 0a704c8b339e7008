/**
 * Conversation memory in the call path (API.md "Sessions"; docs/decisions.md "Session memory"): a
 * `sessionId` call of a bot with `memory` sends the bot's system prompt, the stored history, then the
 * new messages; after a successful answer the new messages and the answer as the caller received it
 * (adapted text, tool calls, reasoning blocks) are appended as one turn. A failed, aborted or
 * interrupted call appends nothing. Concurrent calls on one session each append their whole turn, in
 * the order they complete (each append is atomic; neither sees the other's turn in its own request).
 *
 * A client that resends the whole conversation (OpenAI-style clients through the gateway) does not
 * duplicate it: when the stored history appears in the caller's messages as one run, only what
 * follows it is new.
 */
import type { MemoryConfig } from '../config/types.js';
import { InvalidRequestError } from '../core/errors.js';
import { messageText, type ChatMessage, type GenerateResult } from '../core/types.js';
import type { Logger } from '../core/logger.js';
import type { Session } from '../sessions/session-store.js';

/** What a memory call carries from its plan to its end. */
export interface PlanMemory {
  session: Session;
  /** The caller's new messages (after a resent history was recognised). */
  fresh: ChatMessage[];
  /** The stored messages this call's request carries. */
  stored: number;
  maxMessages: number;
}

/** Default of `memory.maxMessages`. */
export const DEFAULT_MEMORY_MESSAGES = 100;

/** The settings of a bot's memory, or undefined when it is off. */
export function memorySettings(memory: MemoryConfig | false | undefined): { maxMessages: number; maxTokens?: number } | undefined {
  if (!memory) return undefined;
  return { maxMessages: memory.maxMessages ?? DEFAULT_MEMORY_MESSAGES, maxTokens: memory.maxTokens };
}

/**
 * A stored history as it can be sent: it starts at a user message (trimming by count may have cut
 * an assistant tool call from its results, and a tool result must follow its call).
 */
export function sendableHistory(stored: ChatMessage[]): ChatMessage[] {
  const first = stored.findIndex((message) => message.role === 'user');
  return first <= 0 ? (first === 0 ? stored : []) : stored.slice(first);
}

/** What identifies a message when a client resends it: role, text, tool calls and the call answered (not reasoning, which clients drop). */
function signature(message: ChatMessage): string {
  let key = `${message.role}\u0000${messageText(message)}`;
  if (message.role === 'assistant') for (const call of message.toolCalls ?? []) key += `\u0000${call.id}\u0000${call.name}\u0000${call.arguments}`;
  if (message.role === 'tool') key += `\u0000${message.toolCallId}`;
  return key;
}

/** The caller's messages split for a memory call: its own system messages (sent before the history) and the new turn. */
export interface CallerTurn {
  system: ChatMessage[];
  fresh: ChatMessage[];
}

/** Leading system messages apart from the rest. */
function splitSystem(messages: ChatMessage[]): CallerTurn {
  let count = 0;
  while (count < messages.length && messages[count]!.role === 'system') count++;
  return { system: messages.slice(0, count), fresh: messages.slice(count) };
}

/**
 * The caller's system messages and new turn. When the caller resent the stored history as one run,
 * the new turn is what follows it (and the messages before it, older turns the store already let go,
 * are not sent again, except the caller's system messages). Resending the history with nothing new is
 * refused (there is no turn to answer).
 */
export function callerTurn(messages: ChatMessage[], stored: readonly ChatMessage[]): CallerTurn {
  if (stored.length === 0 || messages.length < stored.length) return splitSystem(messages);
  const wanted = stored.map(signature);
  const have = messages.map(signature);
  for (let start = 0; start + wanted.length <= have.length; start++) {
    let matches = true;
    for (let i = 0; i < wanted.length && matches; i++) matches = have[start + i] === wanted[i];
    if (!matches) continue;
    const rest = splitSystem(messages.slice(start + wanted.length));
    if (rest.fresh.length === 0) {
      throw new InvalidRequestError('messages repeat the session\'s stored history and add no new message; send the new message (alone, or after the history)');
    }
    const system = [...messages.slice(0, start).filter((message) => message.role === 'system'), ...rest.system];
    return { system, fresh: rest.fresh };
  }
  return splitSystem(messages);
}

/**
 * Append a successful call's turn to its session's history. The answer was produced and paid for: a
 * store failure is logged (the turn is missing from memory) rather than failing the call.
 */
export async function rememberTurn(
  memory: PlanMemory | undefined,
  result: GenerateResult,
  sessions: { appendHistory(session: Session, messages: readonly ChatMessage[], maxMessages: number): Promise<void> },
  logger: Logger,
): Promise<void> {
  if (!memory) return;
  try {
    await sessions.appendHistory(memory.session, turnToStore(memory, result), memory.maxMessages);
  } catch (error) {
    logger.warn('storing the turn in the session history failed; the session will not remember it', { sessionId: memory.session.id, error });
  }
}

/** The turn a successful call adds: its new messages (system ones are sent with each call, not stored) and the answer. */
export function turnToStore(memory: PlanMemory, result: GenerateResult): ChatMessage[] {
  return [...memory.fresh.filter((message) => message.role !== 'system'), result.message];
}

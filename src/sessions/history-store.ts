/**
 * Conversation memory (API.md "Sessions"): the messages of a session, oldest first, in the session
 * store's backend (this file: in memory; src/stores/redis/redis-history-store.ts: one Redis list per
 * session). A store keeps at most `maxMessages` and `maxBytes` per session (oldest dropped first) and
 * forgets a session's history when the session expires (`expiresAt`). Appends are atomic, so
 * concurrent calls on one session each add their whole turn, in the order they complete.
 */
import { LRUCache } from 'lru-cache';
import type { ChatMessage } from '../core/messages.js';

/** The bounds of one append. */
export interface HistoryLimits {
  /** Most messages kept for the session (the bot's `memory.maxMessages`). */
  maxMessages: number;
  /** Most bytes (as JSON) kept for the session (config `sessions.maxHistoryBytes`). */
  maxBytes: number;
  /** Epoch ms: the history goes when the session does. */
  expiresAt: number;
}

/** Where session histories live. */
export interface HistoryStore {
  /** The session's stored messages, oldest first ([] when none). */
  load(sessionId: string): Promise<ChatMessage[]>;
  /** Add a turn at the end, atomically; then drop the oldest beyond the limits. */
  append(sessionId: string, messages: readonly ChatMessage[], limits: HistoryLimits): Promise<void>;
  /** Forget the session's history. */
  clear(sessionId: string): Promise<void>;
  close(): Promise<void>;
}

interface Entry {
  /** JSON of each message: what is stored is detached from the caller's objects, and its size is known. */
  items: string[];
  bytes: number;
}

/** Drop the oldest items until both bounds hold (never splitting one message). */
export function trimToLimits(items: string[], bytes: number, limits: Pick<HistoryLimits, 'maxMessages' | 'maxBytes'>): { items: string[]; bytes: number } {
  let start = 0;
  while (items.length - start > limits.maxMessages || (bytes > limits.maxBytes && start < items.length)) {
    bytes -= Buffer.byteLength(items[start]!, 'utf8');
    start++;
  }
  return { items: start === 0 ? items : items.slice(start), bytes };
}

/** Histories in this process: an LRU over sessions (bounded by `maxSessions`), each bounded on append. */
export class MemoryHistoryStore implements HistoryStore {
  private readonly entries: LRUCache<string, Entry>;

  constructor(options: { maxSessions: number }) {
    // Expired entries go on the next read or when the LRU needs room; no timer per session.
    this.entries = new LRUCache<string, Entry>({ max: options.maxSessions, ttlAutopurge: false });
  }

  async load(sessionId: string): Promise<ChatMessage[]> {
    const entry = this.entries.get(sessionId);
    return entry ? entry.items.map((item) => JSON.parse(item) as ChatMessage) : [];
  }

  async append(sessionId: string, messages: readonly ChatMessage[], limits: HistoryLimits): Promise<void> {
    const ttl = Math.max(1, limits.expiresAt - Date.now());
    const entry = this.entries.get(sessionId) ?? { items: [], bytes: 0 };
    const items = [...entry.items];
    let bytes = entry.bytes;
    for (const message of messages) {
      const item = JSON.stringify(message);
      items.push(item);
      bytes += Buffer.byteLength(item, 'utf8');
    }
    this.entries.set(sessionId, trimToLimits(items, bytes, limits), { ttl });
  }

  async clear(sessionId: string): Promise<void> {
    this.entries.delete(sessionId);
  }

  async close(): Promise<void> {
    this.entries.clear();
  }

  /** Sessions with a stored history (tests and stats). */
  get size(): number {
    return this.entries.size;
  }
}

/**
 * The in-process session store: an lru-cache bounded by `max`, each entry with its own TTL.
 * `ttlAutopurge` drops expired sessions on a timer, so an idle session ends (and its adapters are
 * released) without anyone reading it. Entries are copies: callers never share objects with the store.
 */
import { LRUCache } from 'lru-cache';
import { InvalidRequestError } from '../core/errors.js';
import { cloneSession, MAX_TIMER_MS, type Session, type SessionStore } from './session-store.js';

/** Options of the in-memory store (config `sessions.max`). */
export interface MemorySessionStoreOptions {
  /** Most sessions kept at once; the least recently used is evicted (and ended) beyond it. */
  max: number;
  /** Called when a session expires or is evicted (not when it is deleted). */
  onExpire?: (session: Session) => void;
  /** Clock for turning `expiresAt` into a TTL; must agree with the SessionManager's. */
  now?: () => number;
}

/** Bounded in-memory SessionStore with per-entry TTL and expiry notices. */
export class MemorySessionStore implements SessionStore {
  private readonly lru: LRUCache<string, Session>;
  private readonly listeners = new Set<(session: Session) => void>();
  private readonly now: () => number;
  private closed = false;

  constructor(options: MemorySessionStoreOptions) {
    if (!Number.isInteger(options.max) || options.max < 1) {
      throw new InvalidRequestError(`sessions.max must be a whole number >= 1 (got ${String(options.max)})`);
    }
    this.now = options.now ?? Date.now;
    if (options.onExpire) this.listeners.add(options.onExpire);
    this.lru = new LRUCache<string, Session>({
      max: options.max,
      // Every entry gets its own TTL in set(); this default only enables TTL tracking.
      ttl: MAX_TIMER_MS,
      ttlAutopurge: true,
      // Listeners run after the cache has finished its own bookkeeping, so they may call back into it.
      disposeAfter: (session, _id, reason) => {
        if (reason === 'expire' || reason === 'evict') this.notify(session);
      },
    });
  }

  /** Sessions stored now (expired ones not yet purged included). */
  get size(): number {
    return this.lru.size;
  }

  async get(id: string): Promise<Session | undefined> {
    const session = this.lru.get(id);
    return session ? cloneSession(session) : undefined;
  }

  async set(session: Session): Promise<void> {
    if (this.closed) throw new InvalidRequestError('The session store is closed');
    // A session already past its expiry still goes in for 1 ms so that its expiry is reported once.
    const ttl = Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(session.expiresAt - this.now())));
    this.lru.set(session.id, cloneSession(session), { ttl });
  }

  async delete(id: string): Promise<boolean> {
    return this.lru.delete(id);
  }

  onExpire(listener: (session: Session) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    // clear() also cancels every autopurge timer.
    this.lru.clear();
  }

  private notify(session: Session): void {
    for (const listener of this.listeners) {
      try {
        listener(cloneSession(session));
      } catch {
        // A listener's failure must not stop the others or break the cache operation that evicted.
      }
    }
  }
}

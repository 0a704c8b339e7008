/**
 * The session shape and the store contract. A session is plain JSON (strings, numbers, a JSON
 * metadata object) so that a shared store (Redis) can hold it as well as the in-memory one.
 */

/** One conversation with a bot type; what `sb.sessions.start/get` return. */
export interface Session {
  /** A random UUID unless the caller chose the id. */
  id: string;
  /** The bot type every call through this session uses. */
  bot: string;
  userId?: string;
  tenantId?: string;
  /** Caller data (JSON), handed to adapters with each call. */
  metadata: Record<string, unknown>;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms; each call through the session moves it to now + `ttlMs` (sliding expiry). */
  expiresAt: number;
  /** The sliding-expiry window of this session, in ms. */
  ttlMs: number;
}

/**
 * Where sessions live. Implementations keep each session until `expiresAt` (TTL = expiresAt - now)
 * and must honour two rules the SessionManager relies on to end each session exactly once:
 * `delete` returns true only when it removed a live entry, and an expiry listener is told only about
 * entries the store dropped by itself (expiry, eviction), never about ones removed by `delete`.
 */
export interface SessionStore {
  /** The stored session, or undefined when absent or expired. */
  get(id: string): Promise<Session | undefined>;
  /** Insert or replace; the entry lives until `session.expiresAt`. */
  set(session: Session): Promise<void>;
  /** Remove; true when a live entry was removed. */
  delete(id: string): Promise<boolean>;
  /** Release timers and connections. Sessions still stored are dropped without expiry notices. */
  close(): Promise<void>;
  /**
   * Be told when the store drops a session by itself (expiry or eviction). Stores that cannot see
   * expiry (a remote store with server-side TTLs) may leave this out; the manager then ends a session
   * when a `get` finds it gone past its `expiresAt`. Returns an unsubscribe function.
   */
  onExpire?(listener: (session: Session) => void): () => void;
}

/** The longest TTL a session may have: Node fires longer timeouts at once (about 24.8 days). */
export const MAX_TIMER_MS = 2_147_483_647;

/** A deep copy detached from the caller's object (sessions are JSON, so structuredClone suffices). */
export function cloneSession(session: Session): Session {
  return structuredClone(session);
}

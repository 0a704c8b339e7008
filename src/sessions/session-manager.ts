/**
 * Sessions (API.md "Sessions"): start, get, end, and sliding expiry. The manager owns the rules
 * (validation, ids, TTL, "ended exactly once"); the store only keeps JSON. `onEnded` is the hook the
 * adapter manager uses to release a session's adapters, whether the session was ended, expired or evicted.
 */
import { randomUUID } from 'node:crypto';
import { InvalidRequestError } from '../core/errors.js';
import { excerpt } from '../core/secrets.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { ChatMessage } from '../core/messages.js';
import { MemoryHistoryStore, type HistoryStore } from './history-store.js';
import { cloneSession, MAX_TIMER_MS, type Session, type SessionStore } from './session-store.js';

/** What the SessionManager needs. */
export interface SessionManagerOptions {
  store: SessionStore;
  /** Where conversation memory lives (bots with `memory`); default: in this process. */
  history?: HistoryStore;
  /** Most bytes of history per session (config `sessions.maxHistoryBytes`); default 1 MiB. */
  maxHistoryBytes?: number;
  /** Default sliding-expiry window (config `sessions.ttlMs`). */
  ttlMs: number;
  /** Is a bot type defined? (the BotRegistry answers) */
  hasBot: (name: string) => boolean;
  /** Throws (PermissionError) when `tenantId` may not use `bot` (the tenant rules: tenants.<id>.allowedBots). */
  checkTenantBot?: (bot: string, tenantId: string | undefined) => void;
  /** Called exactly once per session when it ends, expires or is evicted. */
  onEnded?: (sessionId: string) => void;
  /**
   * Called when a session is started, before it is stored. A store that expires sessions silently
   * (Redis) never reports the end of an earlier session with a client-chosen id, so whatever was kept
   * for that id (adapter activations) is dropped here rather than inherited by the new session.
   */
  onStarted?: (sessionId: string) => void;
  /** Clock (epoch ms); tests may pass their own. */
  now?: () => number;
  /** Where a throwing `onEnded` is reported. */
  logger?: Logger;
}

/** `sb.sessions.start(...)` fields. */
export interface StartSessionOptions {
  bot: string;
  userId?: string;
  tenantId?: string;
  metadata?: Record<string, unknown>;
  /** This session's sliding-expiry window; defaults to the configured one. */
  ttlMs?: number;
  /** Choose the id (e.g. a gateway's X-Session-Id); a random UUID otherwise. Must not be in use. */
  id?: string;
}

const MAX_ID_LENGTH = 128;
const ID_PATTERN = /^[A-Za-z0-9_.:-]+$/;
const MAX_FIELD_LENGTH = 256;
/** Metadata travels with every call and into a shared store: keep it small. */
export const MAX_METADATA_BYTES = 16 * 1024;
const MAX_METADATA_DEPTH = 32;

/** A caller's scope for reading a session's history: another tenant's session is refused. */
export interface HistoryScope {
  tenantId?: string;
}

/** The id is not repeated: it is caller text (RELIABILITY.md "Secrets"). */
export const NO_SUCH_SESSION = 'The sessionId names no live session (it does not exist or has expired); start one with sb.sessions.start({ bot })';

/** Default of `sessions.maxHistoryBytes`. */
export const DEFAULT_MAX_HISTORY_BYTES = 1024 * 1024;

/** Starts, finds, extends and ends sessions. */
export class SessionManager {
  private readonly store: SessionStore;
  private readonly historyStore: HistoryStore;
  private readonly maxHistoryBytes: number;
  private readonly ttlMs: number;
  private readonly hasBot: (name: string) => boolean;
  private readonly checkTenantBot: ((bot: string, tenantId: string | undefined) => void) | undefined;
  private readonly onEnded?: (sessionId: string) => void;
  private readonly onStarted?: (sessionId: string) => void;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly unsubscribe?: () => void;

  constructor(options: SessionManagerOptions) {
    this.ttlMs = checkTtl(options.ttlMs, 'sessions.ttlMs');
    this.store = options.store;
    this.historyStore = options.history ?? new MemoryHistoryStore({ maxSessions: 100_000 });
    this.maxHistoryBytes = options.maxHistoryBytes ?? DEFAULT_MAX_HISTORY_BYTES;
    this.hasBot = options.hasBot;
    this.checkTenantBot = options.checkTenantBot;
    this.onEnded = options.onEnded;
    this.onStarted = options.onStarted;
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
    this.unsubscribe = this.store.onExpire?.((session) => this.ended(session.id));
  }

  /** Start a session of a defined bot type. */
  async start(options: StartSessionOptions): Promise<Session> {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidRequestError('sessions.start needs an object like { bot: "support" }');
    }
    const bot = options.bot;
    if (typeof bot !== 'string' || bot === '') throw new InvalidRequestError('sessions.start: "bot" must name a bot type');
    if (!this.hasBot(bot)) {
      throw new InvalidRequestError(`sessions.start: unknown bot "${excerpt(bot)}"; define it with sb.bots.define(name, config) or under "bots" in config`);
    }
    const userId = optionalField(options.userId, 'userId');
    const tenantId = optionalField(options.tenantId, 'tenantId');
    // A session of a bot its tenant may not call would only fail every call: refused at the start.
    this.checkTenantBot?.(bot, tenantId);
    const metadata = validateMetadata(options.metadata);
    const ttlMs = options.ttlMs === undefined ? this.ttlMs : checkTtl(options.ttlMs, 'ttlMs');
    let id: string;
    if (options.id === undefined) {
      id = randomUUID();
    } else {
      id = checkId(options.id);
      if (await this.get(id)) throw new InvalidRequestError('sessions.start: this session id is already in use; choose another');
    }
    const createdAt = this.now();
    const session: Session = { id, bot, metadata, createdAt, expiresAt: createdAt + ttlMs, ttlMs };
    if (userId !== undefined) session.userId = userId;
    if (tenantId !== undefined) session.tenantId = tenantId;
    this.onStarted?.(id);
    // A client-chosen id may have belonged to a session Redis expired: its history is not inherited.
    if (options.id !== undefined) await this.historyStore.clear(id);
    await this.store.set(session);
    return cloneSession(session);
  }

  /** The live session, or undefined. A session found past its expiry is ended here (onEnded fires). */
  async get(id: string): Promise<Session | undefined> {
    const session = await this.store.get(checkId(id));
    if (!session) return undefined;
    if (session.expiresAt <= this.now()) {
      await this.end(id);
      return undefined;
    }
    return session;
  }

  /**
   * Sliding expiry: move `expiresAt` to now + the session's `ttlMs`. The switchboard touches a session
   * on every call made through it, so a conversation lasts while it is used. Undefined when not live.
   */
  async touch(id: string): Promise<Session | undefined> {
    const session = await this.get(id);
    if (!session) return undefined;
    session.expiresAt = this.now() + session.ttlMs;
    await this.store.set(session);
    return cloneSession(session);
  }

  /**
   * Sliding expiry of a session the caller already read (`get`): one write, no second read. Returns
   * the refreshed copy; the caller's object is not changed.
   */
  async refresh(session: Session): Promise<Session> {
    const refreshed = cloneSession(session);
    refreshed.expiresAt = this.now() + refreshed.ttlMs;
    await this.store.set(refreshed);
    return refreshed;
  }

  /**
   * The stored conversation of a live session, oldest first ([] when its bot has no memory). A
   * `tenantId` other than the session's is refused with the message an unknown id gets.
   */
  async history(id: string, scope: HistoryScope = {}): Promise<ChatMessage[]> {
    await this.scoped(id, scope);
    return this.historyStore.load(id);
  }

  /** Forget a live session's stored conversation (the session goes on). */
  async clearHistory(id: string, scope: HistoryScope = {}): Promise<void> {
    await this.scoped(id, scope);
    await this.historyStore.clear(id);
  }

  /** The stored history of a session the caller already resolved (the call pipeline). */
  loadHistory(session: Session): Promise<ChatMessage[]> {
    return this.historyStore.load(session.id);
  }

  /** Append one call's turn (its new messages and the answer) to the session's history. */
  appendHistory(session: Session, messages: readonly ChatMessage[], maxMessages: number): Promise<void> {
    // The session was refreshed when the call started: its history lives as long as it does.
    return this.historyStore.append(session.id, messages, { maxMessages, maxBytes: this.maxHistoryBytes, expiresAt: this.now() + session.ttlMs });
  }

  /** End a session; its session adapters and history go with it. True when it was live. */
  async end(id: string): Promise<boolean> {
    const removed = await this.store.delete(checkId(id));
    // The store says true for exactly one remover, so racing end/expire calls end the session once.
    if (removed) this.ended(id);
    return removed;
  }

  /** Stop listening to the store and close it. */
  async close(): Promise<void> {
    this.unsubscribe?.();
    await this.store.close();
    await this.historyStore.close();
  }

  private async scoped(id: string, scope: HistoryScope): Promise<Session> {
    const session = await this.get(id);
    if (!session || (scope.tenantId !== undefined && session.tenantId !== scope.tenantId)) throw new InvalidRequestError(NO_SUCH_SESSION);
    return session;
  }

  private ended(id: string): void {
    // Its history goes too (a store error only delays that to the history's own expiry).
    this.historyStore.clear(id).catch((error: unknown) => this.logger.warn('clearing an ended session\'s history failed', { sessionId: id, error }));
    if (!this.onEnded) return;
    try {
      this.onEnded(id);
    } catch (error) {
      this.logger.warn('session end listener failed', { sessionId: id, error });
    }
  }
}

function checkTtl(value: unknown, key: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMER_MS) {
    throw new InvalidRequestError(`${key} must be a number of milliseconds > 0 and at most ${MAX_TIMER_MS} (about 24 days)${typeof value === 'number' ? `; got ${value}` : ''}`);
  }
  return Math.ceil(value);
}

function checkId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH || !ID_PATTERN.test(id)) {
    throw new InvalidRequestError(`A session id must be 1-${MAX_ID_LENGTH} characters of letters, digits, "_", ".", ":" or "-"`);
  }
  return id;
}

function optionalField(value: unknown, key: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_FIELD_LENGTH) {
    throw new InvalidRequestError(`sessions.start: "${key}" must be a non-empty string of at most ${MAX_FIELD_LENGTH} characters`);
  }
  return value;
}

/** Metadata must be a plain JSON object of at most MAX_METADATA_BYTES; returns a detached copy. */
function validateMetadata(metadata: unknown): Record<string, unknown> {
  if (metadata === undefined) return {};
  if (!isPlainObject(metadata)) throw new InvalidRequestError('sessions.start: "metadata" must be a plain object of JSON values');
  const problem = findNonJson(metadata, 'metadata', 0);
  if (problem) throw new InvalidRequestError(`sessions.start: ${problem}`);
  const json = JSON.stringify(metadata);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > MAX_METADATA_BYTES) {
    throw new InvalidRequestError(`sessions.start: "metadata" is ${bytes} bytes as JSON; at most ${MAX_METADATA_BYTES} are allowed`);
  }
  return JSON.parse(json) as Record<string, unknown>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  // Any realm's Object.prototype counts (objects from vm contexts or structuredClone are plain too).
  const proto = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** The first value that would not survive JSON unchanged (or a key that could pollute prototypes). */
function findNonJson(value: unknown, path: string, depth: number): string | undefined {
  if (depth > MAX_METADATA_DEPTH) return `"${path}" nests deeper than ${MAX_METADATA_DEPTH} levels`;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `"${path}" must be a finite number`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = findNonJson(value[i], `${path}[${i}]`, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  }
  if (isPlainObject(value)) {
    for (const [key, inner] of Object.entries(value)) {
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') return `"${path}" may not have a "${key}" key`;
      const problem = findNonJson(inner, `${path}.${key}`, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  }
  return `"${path}" must be a JSON value (string, number, boolean, null, array or plain object), not ${typeof value}`;
}

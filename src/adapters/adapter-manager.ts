/**
 * Registers adapter factories and keeps which adapters are active for each bot type and session.
 * An activation builds its adapter instance once (options bound) and every call reuses it; the
 * order a chain applies in is: the bot's config adapters (config order), the bot's runtime
 * activations, then the session's activations (activation order). A name is active at most once
 * per bot and once per session: activating it again replaces its options in place.
 */
import { LRUCache } from 'lru-cache';
import { ConfigError, InvalidRequestError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { ConfigProblem } from '../core/types.js';
import type { AdapterRef } from '../config/types.js';
import type { ActiveAdapter, Adapter, AdapterFactory, AdapterTarget } from './adapter.js';
import { AdapterChain } from './adapter-chain.js';
import { BUILTIN_ADAPTERS } from './builtin/index.js';

/** Options of the AdapterManager. */
export interface AdapterManagerOptions {
  /** Most sessions with activations kept at once (least recently used go first, with a warning). Default 100000. */
  maxSessions?: number;
  /** Most bot types with adapters. Default 10000. */
  maxBots?: number;
  /** Where evictions are reported. */
  logger?: Logger;
  /** Register the built-in adapters (default true). */
  builtins?: boolean;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MAX_ID_LENGTH = 256;
const HOOKS = ['transformRequest', 'transformOutput', 'createStreamTransformer'] as const;

/** Why a factory refused: its message, without repeating the adapter's name prefix. */
function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return typeof error === 'string' ? error : 'the factory threw a non-Error value';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

function checkId(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '' || value.length > MAX_ID_LENGTH) {
    throw new InvalidRequestError(`${what} must be a non-empty string of at most ${MAX_ID_LENGTH} characters`);
  }
  return value;
}

/** Registered adapter factories and the activations per bot type and per session. */
export class AdapterManager {
  private readonly factories = new Map<string, AdapterFactory>();
  private readonly botConfig = new Map<string, ActiveAdapter[]>();
  private readonly botRuntime = new Map<string, ActiveAdapter[]>();
  private readonly sessions: LRUCache<string, ActiveAdapter[]>;
  private readonly maxBots: number;
  private readonly logger: Logger;
  private evictedSessions = 0;

  constructor(options: AdapterManagerOptions = {}) {
    const maxSessions = options.maxSessions ?? 100_000;
    if (!Number.isInteger(maxSessions) || maxSessions < 1) throw new InvalidRequestError('AdapterManager maxSessions must be a whole number >= 1');
    this.maxBots = options.maxBots ?? 10_000;
    if (!Number.isInteger(this.maxBots) || this.maxBots < 1) throw new InvalidRequestError('AdapterManager maxBots must be a whole number >= 1');
    this.logger = options.logger ?? silentLogger;
    this.sessions = new LRUCache<string, ActiveAdapter[]>({
      max: maxSessions,
      dispose: (_value, sessionId, reason) => {
        if (reason !== 'evict') return;
        this.evictedSessions++;
        // Losing a live session's pii-redact silently would be a leak: say it loudly.
        this.logger.warn('adapter activations of a session were evicted: more live sessions than adapters maxSessions', { sessionId, maxSessions });
      },
    });
    if (options.builtins !== false) for (const [name, factory] of Object.entries(BUILTIN_ADAPTERS)) this.register(name, factory);
  }

  /** Register (or replace) a factory. Existing activations keep the instances they were built with. */
  register(name: string, factory: AdapterFactory): void {
    if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
      throw new InvalidRequestError(`Adapter name is invalid: use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`);
    }
    if (typeof factory !== 'function') throw new InvalidRequestError(`Adapter "${name}": the factory must be a function (options) => adapter`);
    this.factories.set(name, factory);
  }

  /** Is a factory registered under this name? */
  has(name: string): boolean {
    return this.factories.has(name);
  }

  /** Registered adapter names, in registration order. */
  names(): string[] {
    return [...this.factories.keys()];
  }

  /** Activate an adapter for every call of a bot type (after its config adapters). */
  activateForBot(bot: string, name: string, options: Record<string, unknown> = {}): void {
    checkId(bot, 'bot');
    const entry = this.instantiate(name, options);
    if (this.replaceIn(this.botConfig.get(bot), entry) || this.replaceIn(this.botRuntime.get(bot), entry)) return;
    const list = this.botRuntime.get(bot);
    if (list) list.push(entry);
    else {
      this.checkBotRoom(bot);
      this.botRuntime.set(bot, [entry]);
    }
  }

  /** Deactivate an adapter for a bot type (its config entry too, until the bot is defined again). True when it was active. */
  deactivateForBot(bot: string, name: string): boolean {
    const fromConfig = this.removeFrom(this.botConfig, bot, name);
    const fromRuntime = this.removeFrom(this.botRuntime, bot, name);
    return fromConfig || fromRuntime;
  }

  /** Activate an adapter for one session (after the bot's adapters). */
  activateForSession(sessionId: string, name: string, options: Record<string, unknown> = {}): void {
    checkId(sessionId, 'sessionId');
    const entry = this.instantiate(name, options);
    const list = this.sessions.get(sessionId);
    if (list) {
      if (!this.replaceIn(list, entry)) list.push(entry);
    } else this.sessions.set(sessionId, [entry]);
  }

  /** Deactivate an adapter for one session. True when it was active. */
  deactivateForSession(sessionId: string, name: string): boolean {
    const list = this.sessions.get(sessionId);
    if (!list) return false;
    const index = list.findIndex((entry) => entry.name === name);
    if (index < 0) return false;
    list.splice(index, 1);
    if (list.length === 0) this.sessions.delete(sessionId);
    return true;
  }

  /** Drop every activation of a session (the session manager calls this when it ends or expires). */
  releaseSession(sessionId: string): boolean {
    return this.sessions.delete(sessionId);
  }

  /**
   * Set a bot type's config adapters (in config order), replacing the previous ones. All refs are
   * checked first; any problem throws one ConfigError with key paths `bots.<bot>.adapters[i]...`
   * and leaves the bot's adapters as they were.
   */
  setBotAdapters(bot: string, refs: readonly AdapterRef[]): void {
    checkId(bot, 'bot');
    const problems: ConfigProblem[] = [];
    const entries: ActiveAdapter[] = [];
    const seen = new Set<string>();
    (Array.isArray(refs) ? refs : []).forEach((ref, i) => {
      const key = `bots.${bot}.adapters[${i}]`;
      if (!isPlainObject(ref) || typeof ref.name !== 'string') return problems.push({ key, message: 'must be an object like { "name": "pii-redact", "options": {} }' });
      if (seen.has(ref.name)) return problems.push({ key: `${key}.name`, message: `adapter "${ref.name}" is listed twice; list it once` });
      seen.add(ref.name);
      if (!this.factories.has(ref.name)) return problems.push({ key: `${key}.name`, message: this.unknownMessage(ref.name) });
      try {
        entries.push(this.instantiate(ref.name, ref.options ?? {}));
      } catch (error) {
        problems.push({ key: `${key}.options`, message: reasonOf(error) });
      }
      return undefined;
    });
    if (!Array.isArray(refs)) problems.push({ key: `bots.${bot}.adapters`, message: 'must be a list like [{ "name": "pii-redact" }]' });
    if (problems.length > 0) throw new ConfigError(problems);
    if (!this.botConfig.has(bot) && !this.botRuntime.has(bot)) this.checkBotRoom(bot);
    if (entries.length === 0) this.botConfig.delete(bot);
    else this.botConfig.set(bot, entries);
    // A runtime activation of a name now in config would apply twice: config wins.
    const runtime = this.botRuntime.get(bot);
    if (runtime) {
      const kept = runtime.filter((entry) => !seen.has(entry.name));
      if (kept.length === 0) this.botRuntime.delete(bot);
      else this.botRuntime.set(bot, kept);
    }
  }

  /** Forget a bot type's config and runtime adapters (the bot was removed). */
  removeBot(bot: string): void {
    this.botConfig.delete(bot);
    this.botRuntime.delete(bot);
  }

  /** Adapter names in the order they apply for this bot type and session. */
  activeFor(target: AdapterTarget): string[] {
    return this.entriesFor(target).map((entry) => entry.name);
  }

  /** The adapter chain of one call (a snapshot: later activations do not change it). */
  chainFor(target: AdapterTarget): AdapterChain {
    return new AdapterChain(this.entriesFor(target));
  }

  /** How many sessions have activations, and how many were evicted for lack of room. */
  stats(): { sessions: number; bots: number; evictedSessions: number } {
    const bots = new Set([...this.botConfig.keys(), ...this.botRuntime.keys()]).size;
    return { sessions: this.sessions.size, bots, evictedSessions: this.evictedSessions };
  }

  private entriesFor(target: AdapterTarget): ActiveAdapter[] {
    const out: ActiveAdapter[] = [];
    const { bot, sessionId } = target ?? {};
    if (bot !== undefined) {
      const config = this.botConfig.get(bot);
      if (config) out.push(...config);
      const runtime = this.botRuntime.get(bot);
      if (runtime) out.push(...runtime);
    }
    if (sessionId !== undefined) {
      const session = this.sessions.get(sessionId);
      if (session) out.push(...session);
    }
    return out;
  }

  private unknownMessage(name: string): string {
    return `Adapter "${name}" is not registered; known adapters: ${this.names().join(', ') || '(none)'}; register it with sb.adapters.register(name, factory)`;
  }

  /** Build the adapter instance of one activation; InvalidRequestError saying what to change. */
  private instantiate(name: string, options: unknown): ActiveAdapter {
    if (typeof name !== 'string' || !this.factories.has(name)) {
      throw new InvalidRequestError(this.unknownMessage(String(name)));
    }
    if (!isPlainObject(options)) throw new InvalidRequestError(`Adapter "${name}": options must be an object like { "key": "value" }`);
    const bound = Object.freeze({ ...options });
    let adapter: Adapter;
    try {
      adapter = this.factories.get(name)!(bound);
    } catch (error) {
      const reason = reasonOf(error);
      const message = reason.startsWith(`${name}:`) || reason.includes(`"${name}"`) ? reason : `Adapter "${name}": ${reason}`;
      throw new InvalidRequestError(message, { cause: error });
    }
    if (typeof adapter !== 'object' || adapter === null) throw new InvalidRequestError(`Adapter "${name}": the factory must return an adapter object`);
    for (const hook of HOOKS) {
      if (adapter[hook] !== undefined && typeof adapter[hook] !== 'function') throw new InvalidRequestError(`Adapter "${name}": ${hook} must be a function`);
    }
    return { name, options: bound, adapter };
  }

  private replaceIn(list: ActiveAdapter[] | undefined, entry: ActiveAdapter): boolean {
    if (!list) return false;
    const index = list.findIndex((existing) => existing.name === entry.name);
    if (index < 0) return false;
    list[index] = entry;
    return true;
  }

  private removeFrom(map: Map<string, ActiveAdapter[]>, bot: string, name: string): boolean {
    const list = map.get(bot);
    if (!list) return false;
    const kept = list.filter((entry) => entry.name !== name);
    if (kept.length === list.length) return false;
    if (kept.length === 0) map.delete(bot);
    else map.set(bot, kept);
    return true;
  }

  private checkBotRoom(bot: string): void {
    const bots = new Set([...this.botConfig.keys(), ...this.botRuntime.keys()]);
    if (!bots.has(bot) && bots.size >= this.maxBots) {
      throw new InvalidRequestError(`Too many bot types with adapters (max ${this.maxBots}); remove unused bots or raise maxBots`);
    }
  }
}

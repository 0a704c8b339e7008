/**
 * Bot types (API.md "Bots"): named wirings of a chatbot to models, from config `bots` and from
 * `sb.bots.define` at run time. Every definition is checked as a whole and all of its problems are
 * reported at once in one ConfigError with key paths (`bots.support.fallbacks[1]`).
 */
import { ConfigError, InvalidRequestError } from '../core/errors.js';
import type { ConfigProblem } from '../core/types.js';
import type { BotConfig } from '../config/types.js';
import { isPlainObject, ProblemList } from '../config/problems.js';
import { validateBot } from '../config/validate-bot.js';
import { excerpt } from '../core/secrets.js';

/** What the BotRegistry asks the rest of the switchboard. */
export interface BotRegistryOptions {
  /** Is a manager registered for this provider name? */
  hasProvider: (provider: string) => boolean;
  /** Every registered provider name (for "known providers" in messages). */
  providerNames?: () => Iterable<string>;
  /** Is an adapter factory registered under this name? */
  hasAdapter: (name: string) => boolean;
  /** After a bot is defined or redefined (the adapter manager sets up its bot adapters). A throw undoes the definition. */
  onDefined?: (name: string, config: BotConfig) => void;
  /** After a bot is removed. */
  onRemoved?: (name: string) => void;
}

/** Most bot types one switchboard holds. */
export const MAX_BOTS = 10_000;

/** The defined bot types. Stored definitions are frozen deep copies. */
export class BotRegistry {
  private readonly bots = new Map<string, BotConfig>();
  /** How many bots name each model (primary or fallback): known models become metric labels. */
  private readonly modelUses = new Map<string, number>();

  constructor(private readonly options: BotRegistryOptions) {}

  /** Define or replace a bot type; ConfigError listing every problem of the definition. */
  define(name: string, config: BotConfig): BotConfig {
    this.apply([[name, config]]);
    return this.bots.get(name)!;
  }

  /**
   * Define several bot types at once (config `bots`): the problems of all of them come in one
   * ConfigError and nothing is defined unless every one is valid.
   */
  defineAll(bots: Record<string, BotConfig>): void {
    if (!isPlainObject(bots)) throw new ConfigError([{ key: 'bots', message: 'must be an object of bot types by name' }]);
    this.apply(Object.entries(bots));
  }

  /** Validate every entry, then store them all (undone if an onDefined listener throws). */
  private apply(entries: Array<[string, unknown]>): void {
    const problems: ConfigProblem[] = [];
    const added = new Set(entries.map(([name]) => name).filter((name) => !this.bots.has(name))).size;
    if (this.bots.size + added > MAX_BOTS) {
      problems.push({ key: 'bots', message: `at most ${MAX_BOTS} bot types may be defined (${this.bots.size} exist, ${added} new)` });
    }
    const accepted: Array<[string, BotConfig]> = [];
    for (const [name, config] of entries) {
      const found = this.validate(name, config);
      if (found.length) problems.push(...found);
      else accepted.push([name, copyAndFreeze(config) as BotConfig]);
    }
    if (problems.length) throw new ConfigError(problems);
    const previous = new Map<string, BotConfig | undefined>();
    try {
      for (const [name, config] of accepted) {
        if (!previous.has(name)) previous.set(name, this.bots.get(name));
        this.store(name, config);
        this.options.onDefined?.(name, config);
      }
    } catch (error) {
      for (const [name, config] of previous) this.store(name, config);
      throw error;
    }
  }

  /** Set (or, with undefined, delete) a bot, keeping the model use counts in step. */
  private store(name: string, config: BotConfig | undefined): void {
    const old = this.bots.get(name);
    if (old) for (const model of [old.model, ...(old.fallbacks ?? [])]) this.countUse(model, -1);
    if (config) {
      this.bots.set(name, config);
      for (const model of [config.model, ...(config.fallbacks ?? [])]) this.countUse(model, 1);
    } else {
      this.bots.delete(name);
    }
  }

  private countUse(model: string, delta: number): void {
    const next = (this.modelUses.get(model) ?? 0) + delta;
    if (next > 0) this.modelUses.set(model, next);
    else this.modelUses.delete(model);
  }

  /** Does any bot name `provider:model` as its model or a fallback? */
  usesModel(id: string): boolean {
    return this.modelUses.has(id);
  }

  /** A bot's definition (frozen), or undefined. */
  get(name: string): BotConfig | undefined {
    return this.bots.get(name);
  }

  /** Is this bot type defined? */
  has(name: string): boolean {
    return this.bots.has(name);
  }

  /** Names of every defined bot type, in definition order. */
  list(): string[] {
    return [...this.bots.keys()];
  }

  /** Remove a bot type; true when it existed. Sessions already started keep naming it and fail on their next call. */
  remove(name: string): boolean {
    const removed = this.bots.has(name);
    if (removed) {
      this.store(name, undefined);
      this.options.onRemoved?.(name);
    }
    return removed;
  }

  /** Models to try for a bot, in order: the primary, then the fallbacks. */
  candidates(name: string): string[] {
    const bot = this.bots.get(name);
    if (!bot) {
      const known = this.list();
      const shown = known.slice(0, 20).join(', ') + (known.length > 20 ? ', ...' : '');
      throw new InvalidRequestError(`Unknown bot "${excerpt(name)}"${known.length ? `; defined bots: ${shown}` : ''}. Define it with sb.bots.define(name, config) or under "bots" in config`);
    }
    return [bot.model, ...(bot.fallbacks ?? [])];
  }

  /** Every problem of one definition, with key paths: the config's bot check (one rule for both), plus registered adapters. */
  private validate(name: string, config: unknown): ConfigProblem[] {
    const problems = new ProblemList();
    const providers = { has: this.options.hasProvider, names: this.options.providerNames ?? (() => []) };
    validateBot(name, config, providers, problems, { hasAdapter: this.options.hasAdapter });
    return problems.list();
  }
}

/**
 * A frozen deep copy of the plain data (objects, arrays); anything else an adapter option may hold
 * (a function, a RegExp, a class instance) is kept by reference, as the adapter expects it.
 */
function copyAndFreeze(value: unknown): unknown {
  if (Array.isArray(value)) return Object.freeze(value.map(copyAndFreeze));
  if (isPlainObject(value)) {
    const copy: Record<string, unknown> = {};
    // defineProperty, so an own "__proto__" key (JSON.parse makes those) stays data, not a prototype.
    for (const [key, inner] of Object.entries(value)) {
      Object.defineProperty(copy, key, { value: copyAndFreeze(inner), enumerable: true, writable: true, configurable: true });
    }
    return Object.freeze(copy);
  }
  return value;
}

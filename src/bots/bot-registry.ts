/**
 * Bot types (API.md "Bots"): named wirings of a chatbot to models, from config `bots` and from
 * `sb.bots.define` at run time. Every definition is checked as a whole and all of its problems are
 * reported at once in one ConfigError with key paths (`bots.support.fallbacks[1]`).
 */
import { ConfigError, InvalidRequestError } from '../core/errors.js';
import type { ConfigProblem } from '../core/types.js';
import type { BotConfig } from '../config/types.js';
import { splitModelId } from '../registry/model-catalog.js';

/** What the BotRegistry asks the rest of the switchboard. */
export interface BotRegistryOptions {
  /** Is a manager registered for this provider name? */
  hasProvider: (provider: string) => boolean;
  /** Is an adapter factory registered under this name? */
  hasAdapter: (name: string) => boolean;
  /** After a bot is defined or redefined (the adapter manager sets up its bot adapters). A throw undoes the definition. */
  onDefined?: (name: string, config: BotConfig) => void;
  /** After a bot is removed. */
  onRemoved?: (name: string) => void;
}

/** Most bot types one switchboard holds. */
export const MAX_BOTS = 10_000;
const MAX_NAME_LENGTH = 128;
const MAX_FALLBACKS = 16;
const MAX_ADAPTERS = 64;
const MAX_SYSTEM_CHARS = 200_000;
const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
const BOT_KEYS = new Set(['model', 'fallbacks', 'system', 'params', 'adapters', 'budget']);
const BUDGET_KEYS = new Set(['usdPerDay', 'usdPerSession']);

/** Checks for each call parameter: undefined when fine, else what is wrong. */
const PARAM_CHECKS: Record<string, (value: unknown) => string | undefined> = {
  temperature: (v) => (isNumberIn(v, 0, 2) ? undefined : 'must be a number from 0 to 2'),
  topP: (v) => (isNumberIn(v, 0, 1) ? undefined : 'must be a number from 0 to 1'),
  maxTokens: (v) => (Number.isInteger(v) && (v as number) > 0 ? undefined : 'must be a whole number > 0'),
  timeoutMs: (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? undefined : 'must be a number of milliseconds > 0'),
  frequencyPenalty: (v) => (isNumberIn(v, -2, 2) ? undefined : 'must be a number from -2 to 2'),
  presencePenalty: (v) => (isNumberIn(v, -2, 2) ? undefined : 'must be a number from -2 to 2'),
  seed: (v) => (Number.isSafeInteger(v) ? undefined : 'must be a whole number'),
  stop: (v) => {
    const list = typeof v === 'string' ? [v] : v;
    if (!Array.isArray(list) || list.length === 0 || list.length > 16 || !list.every((s) => typeof s === 'string' && s.length > 0)) {
      return 'must be a non-empty string or a list of 1-16 non-empty strings';
    }
    return undefined;
  },
};

/** The defined bot types. Stored definitions are frozen deep copies. */
export class BotRegistry {
  private readonly bots = new Map<string, BotConfig>();

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
        this.bots.set(name, config);
        this.options.onDefined?.(name, config);
      }
    } catch (error) {
      for (const [name, config] of previous) {
        if (config) this.bots.set(name, config);
        else this.bots.delete(name);
      }
      throw error;
    }
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
    const removed = this.bots.delete(name);
    if (removed) this.options.onRemoved?.(name);
    return removed;
  }

  /** Models to try for a bot, in order: the primary, then the fallbacks. */
  candidates(name: string): string[] {
    const bot = this.bots.get(name);
    if (!bot) {
      const known = this.list();
      const shown = known.slice(0, 20).join(', ') + (known.length > 20 ? ', ...' : '');
      throw new InvalidRequestError(`Unknown bot "${name}"${known.length ? `; defined bots: ${shown}` : ''}. Define it with sb.bots.define(name, config) or under "bots" in config`);
    }
    return [bot.model, ...(bot.fallbacks ?? [])];
  }

  /** Every problem of one definition, with key paths. */
  private validate(name: string, config: unknown): ConfigProblem[] {
    const base = `bots.${name}`;
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH || !NAME_PATTERN.test(name) || RESERVED_NAMES.has(name)) {
      return [{ key: base, message: `a bot name must be 1-${MAX_NAME_LENGTH} characters of letters, digits, "_", "." or "-"` }];
    }
    if (!isPlainObject(config)) return [{ key: base, message: 'must be an object like { "model": "openai:gpt-4o-mini" }' }];
    const problems: ConfigProblem[] = [];
    const add = (key: string, message: string) => problems.push({ key: `${base}${key}`, message });
    for (const key of Object.keys(config)) {
      if (!BOT_KEYS.has(key)) add(`.${key}`, `unknown setting; a bot has ${[...BOT_KEYS].join(', ')}`);
    }
    const seen = new Map<string, string>();
    const checkModel = (value: unknown, key: string) => {
      const problem = this.modelProblem(value);
      if (problem) return add(key, problem);
      const first = seen.get(value as string);
      if (first) return add(key, `repeats "${value as string}" (already ${first}); each model may appear once among model and fallbacks`);
      seen.set(value as string, key.slice(1));
    };
    if (config.model === undefined) add('.model', 'is required: the primary model as "provider:model"');
    else checkModel(config.model, '.model');
    if (config.fallbacks !== undefined) {
      if (!Array.isArray(config.fallbacks)) add('.fallbacks', 'must be a list of "provider:model" ids');
      else if (config.fallbacks.length > MAX_FALLBACKS) add('.fallbacks', `at most ${MAX_FALLBACKS} fallbacks`);
      else config.fallbacks.forEach((fallback, i) => checkModel(fallback, `.fallbacks[${i}]`));
    }
    if (config.system !== undefined && (typeof config.system !== 'string' || config.system.length > MAX_SYSTEM_CHARS)) {
      add('.system', `must be a string of at most ${MAX_SYSTEM_CHARS} characters`);
    }
    this.checkParams(config.params, add);
    this.checkAdapters(config.adapters, add);
    this.checkBudget(config.budget, add);
    return problems;
  }

  private modelProblem(value: unknown): string | undefined {
    const parts = typeof value === 'string' ? splitModelId(value) : undefined;
    if (!parts) return `must be a model id like "openai:gpt-4o-mini" (got ${JSON.stringify(value) ?? String(value)})`;
    if (!this.options.hasProvider(parts.provider)) {
      return `unknown provider "${parts.provider}" in "${value as string}"; configure it under providers or register its manager first`;
    }
    return undefined;
  }

  private checkParams(params: unknown, add: (key: string, message: string) => void): void {
    if (params === undefined) return;
    if (!isPlainObject(params)) return add('.params', 'must be an object of call parameters');
    for (const [key, value] of Object.entries(params)) {
      const check = PARAM_CHECKS[key];
      if (!check) add(`.params.${key}`, `unknown parameter; known: ${Object.keys(PARAM_CHECKS).join(', ')}`);
      else if (value !== undefined) {
        const problem = check(value);
        if (problem) add(`.params.${key}`, problem);
      }
    }
  }

  private checkAdapters(adapters: unknown, add: (key: string, message: string) => void): void {
    if (adapters === undefined) return;
    if (!Array.isArray(adapters)) return add('.adapters', 'must be a list like [{ "name": "pii-redact" }]');
    if (adapters.length > MAX_ADAPTERS) return add('.adapters', `at most ${MAX_ADAPTERS} adapters`);
    adapters.forEach((ref: unknown, i) => {
      const key = `.adapters[${i}]`;
      if (!isPlainObject(ref)) return add(key, 'must be an object like { "name": "pii-redact", "options": {} }');
      if (typeof ref.name !== 'string' || ref.name === '') add(`${key}.name`, 'must name a registered adapter');
      else if (!this.options.hasAdapter(ref.name)) add(`${key}.name`, `unknown adapter "${ref.name}"; register it with sb.adapters.register(name, factory)`);
      if (ref.options !== undefined && !isPlainObject(ref.options)) add(`${key}.options`, 'must be an object');
      for (const extra of Object.keys(ref)) if (extra !== 'name' && extra !== 'options') add(`${key}.${extra}`, 'unknown setting; an adapter has name and options');
    });
  }

  private checkBudget(budget: unknown, add: (key: string, message: string) => void): void {
    if (budget === undefined) return;
    if (!isPlainObject(budget)) return add('.budget', 'must be an object like { "usdPerDay": 5 }');
    for (const [key, value] of Object.entries(budget)) {
      if (!BUDGET_KEYS.has(key)) add(`.budget.${key}`, `unknown setting; a budget has ${[...BUDGET_KEYS].join(', ')}`);
      else if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value > 0)) add(`.budget.${key}`, 'must be a number of USD > 0');
    }
  }
}

function isNumberIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  // Any realm's Object.prototype counts (objects from vm contexts or structuredClone are plain too).
  const proto = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
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

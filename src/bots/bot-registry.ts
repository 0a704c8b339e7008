/**
 * Bot types (API.md "Bots"): named wirings of a chatbot to models, from config `bots` and from
 * `sb.bots.define` at run time. Every definition is checked as a whole and all of its problems are
 * reported at once in one ConfigError with key paths (`bots.support.fallbacks[1]`).
 */
import { ConfigError, InvalidRequestError } from '../core/errors.js';
import type { ConfigProblem } from '../core/types.js';
import type { BotConfig, BotDefinition } from '../config/types.js';
import { isPlainObject, ProblemList } from '../config/problems.js';
import { validateBot } from '../config/validate-bot.js';
import { excerpt } from '../core/secrets.js';
import { resolveBot, type ModelSource } from './model-choice.js';
import { systemTemplateOf } from '../prompts/system-prompt.js';

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
  /** The models a bot defined by capability chooses from (also set later with `useModels`). */
  models?: ModelSource;
}

/** Most bot types one switchboard holds. */
export const MAX_BOTS = 10_000;

/** The defined bot types. Stored definitions are frozen deep copies. */
export class BotRegistry {
  private readonly bots = new Map<string, BotConfig>();
  /** How many bots name each model (primary or fallback): known models become metric labels. */
  private readonly modelUses = new Map<string, number>();
  /** The definitions of bots chosen by capability (frozen), to choose again after a refresh. */
  private readonly choices = new Map<string, BotDefinition>();
  private models: ModelSource | undefined;

  constructor(private readonly options: BotRegistryOptions) {
    this.models = options.models;
  }

  /** Where bots defined by capability choose their models from (the switchboard wires its registry). */
  useModels(source: ModelSource): void {
    this.models = source;
  }

  /**
   * Define or replace a bot type; ConfigError listing every problem of the definition. A `model`
   * given by capability is resolved now (ConfigError at `bots.<name>.model` when nothing matches);
   * the returned config names the ids chosen.
   */
  define(name: string, config: BotDefinition): BotConfig {
    this.apply([[name, config]]);
    return this.bots.get(name)!;
  }

  /**
   * Define several bot types at once (config `bots`): the problems of all of them come in one
   * ConfigError and nothing is defined unless every one is valid.
   */
  defineAll(bots: Record<string, BotDefinition>): void {
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
    const accepted: Array<[string, BotConfig, BotDefinition]> = [];
    for (const [name, config] of entries) {
      const found = this.validate(name, config);
      if (found.length) {
        problems.push(...found);
        continue;
      }
      const definition = copyAndFreeze(config) as BotDefinition;
      const resolved = resolveBot(name, definition, this.models);
      if ('problem' in resolved) problems.push(resolved.problem);
      else accepted.push([name, copyAndFreeze(resolved.bot) as BotConfig, definition]);
    }
    if (problems.length) throw new ConfigError(problems);
    const previous = new Map<string, { bot: BotConfig | undefined; choice: BotDefinition | undefined }>();
    try {
      for (const [name, config, definition] of accepted) {
        if (!previous.has(name)) previous.set(name, { bot: this.bots.get(name), choice: this.choices.get(name) });
        this.store(name, config);
        this.remember(name, definition);
        this.options.onDefined?.(name, config);
      }
    } catch (error) {
      for (const [name, { bot, choice }] of previous) {
        this.store(name, bot);
        this.remember(name, choice);
      }
      throw error;
    }
  }

  /** Keep (or forget) the definition of a bot chosen by capability. */
  private remember(name: string, definition: BotDefinition | undefined): void {
    if (definition && typeof definition.model !== 'string') this.choices.set(name, definition);
    else this.choices.delete(name);
  }

  /**
   * Resolve every bot chosen by capability again (after `registry.refreshModels()`): a bot whose
   * choice changed gets its new models; a bot nothing matches any more keeps its models, and its
   * problem is returned (the switchboard logs it).
   */
  rechoose(): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    for (const [name, definition] of this.choices) {
      const resolved = resolveBot(name, definition, this.models);
      if ('problem' in resolved) {
        problems.push(resolved.problem);
        continue;
      }
      const current = this.bots.get(name)!;
      const same = current.model === resolved.bot.model && (current.fallbacks ?? []).join('\n') === (resolved.bot.fallbacks ?? []).join('\n');
      if (!same) this.store(name, copyAndFreeze(resolved.bot) as BotConfig);
    }
    return problems;
  }

  /** Set (or, with undefined, delete) a bot, keeping the model use counts in step. */
  private store(name: string, config: BotConfig | undefined): void {
    const old = this.bots.get(name);
    if (old) for (const model of [old.model, ...(old.fallbacks ?? [])]) this.countUse(model, -1);
    if (config) {
      this.bots.set(name, config);
      // Parsed once here, not per call: a system prompt naming session metadata variables.
      systemTemplateOf(config);
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
      this.choices.delete(name);
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

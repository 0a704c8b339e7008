/**
 * Checks one bot type (API.md "Bots"), as written in config `bots` and as `sb.bots.define` receives
 * it (the BotRegistry calls this too, so a config that loads also defines): its model and fallbacks
 * are `provider:model` with a known provider (or the model a choice by capability: known capability
 * and provider names, a price bound), fallbacks neither repeat a model nor cycle back to the
 * primary, params follow the one parameter table (core/param-rules.ts), adapters are named, budgets
 * are positive.
 */
import { isParamName, paramProblem, PARAM_NAMES } from '../core/param-rules.js';
import { checkProviderOptions, checkResponseFormat, checkToolChoice, checkTools, type Checked } from '../core/request-rules.js';
import type { ToolDefinition } from '../core/messages.js';
import { checkPositiveNumber, isModelId } from './field-checks.js';
import { CAPABILITY_KEYS } from './load-catalog.js';
import { describeValue, formatPath, isPlainObject, unknownKeyMessage, type PathSegment, type ProblemList } from './problems.js';

/** Bot names: they appear in `bot:<name>` gateway model ids, metrics and logs. */
export const BOT_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
/** Names that would reach object prototypes if used as keys. */
const RESERVED_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** The providers a bot's models may name: config's set, or the registry's live view. */
export interface KnownProviders {
  has(name: string): boolean;
  /** For "known providers: ..." in messages. */
  names(): Iterable<string>;
}

/** Extra checks of the run-time registry (adapters must be registered before a bot names them). */
export interface BotCheckOptions {
  hasAdapter?: (name: string) => boolean;
}
const MAX_FALLBACKS = 16;
const MAX_ADAPTERS = 64;
const MAX_SYSTEM_CHARS = 200_000;
const BOT_KEYS = ['model', 'fallbacks', 'system', 'params', 'adapters', 'budget', 'memory', 'tools', 'toolChoice', 'parallelToolCalls', 'responseFormat', 'providerOptions'];
const ADAPTER_KEYS = ['name', 'options'];
const BUDGET_KEYS = ['usdPerDay', 'usdPerSession'];
const MEMORY_KEYS = ['maxMessages', 'maxTokens'];
/** Most messages a session's memory may keep. */
export const MAX_MEMORY_MESSAGES = 10_000;

/** A provider name short and plain enough to quote back in a message. */
function quotable(name: string): string {
  return /^[\w.-]{1,40}$/.test(name) ? `"${name}"` : 'named';
}

function checkModelRef(value: unknown, path: PathSegment[], providers: KnownProviders, problems: ProblemList): boolean {
  if (!isModelId(value)) {
    problems.add(path, `must be "provider:model": a provider name, a colon, then the model${describeValue(value)}`);
    return false;
  }
  const provider = value.slice(0, value.indexOf(':'));
  if (!providers.has(provider)) {
    problems.add(path, `unknown provider ${quotable(provider)}; known providers: ${[...providers.names()].join(', ')}`);
    return false;
  }
  return true;
}

/** Most providers a choice by capability may name. */
const MAX_CHOICE_PROVIDERS = 64;
const CHOICE_KEYS = ['capabilities', 'providers', 'maxInputPerMTok'];

/** A list of distinct names, each checked by `check` (which reports its own problem and says whether it passed). */
function checkNameList(value: unknown, path: PathSegment[], what: string, max: number, problems: ProblemList, check: (name: string, here: PathSegment[]) => void): void {
  if (!Array.isArray(value) || value.length === 0) {
    problems.add(path, `must be a non-empty list of ${what}${describeValue(value)}`);
    return;
  }
  if (value.length > max) problems.add(path, `must list at most ${max} ${what}`);
  const seen = new Set<string>();
  value.slice(0, max).forEach((entry, index) => {
    const here = [...path, index];
    if (typeof entry !== 'string') problems.add(here, `must be a name${describeValue(entry)}`);
    else if (seen.has(entry)) problems.add(here, 'is listed twice');
    else {
      seen.add(entry);
      check(entry, here);
    }
  });
}

/** `model: { capabilities, providers?, maxInputPerMTok? }`: a choice by capability (resolved by the bot registry). */
function checkModelChoice(value: Record<string, unknown>, path: PathSegment[], providers: KnownProviders, problems: ProblemList): void {
  checkKnownKeys(value, CHOICE_KEYS, path, problems);
  const capabilities: readonly string[] = CAPABILITY_KEYS;
  checkNameList(value.capabilities, [...path, 'capabilities'], `capabilities (${CAPABILITY_KEYS.join(', ')})`, CAPABILITY_KEYS.length, problems, (name, here) => {
    if (!capabilities.includes(name)) problems.add(here, unknownKeyMessage(name, CAPABILITY_KEYS).replace('unknown key', 'unknown capability'));
  });
  if (value.providers !== undefined) {
    checkNameList(value.providers, [...path, 'providers'], 'provider names', MAX_CHOICE_PROVIDERS, problems, (name, here) => {
      if (!providers.has(name)) problems.add(here, `unknown provider ${quotable(name)}; known providers: ${[...providers.names()].join(', ')}`);
    });
  }
  const max = value.maxInputPerMTok;
  if (max !== undefined && !(typeof max === 'number' && Number.isFinite(max) && max >= 0)) {
    problems.add([...path, 'maxInputPerMTok'], `must be a finite number of at least 0 (USD per million input tokens)${describeValue(max)}`);
  }
}

function checkFallbacks(value: unknown, model: unknown, path: PathSegment[], providers: KnownProviders, problems: ProblemList): void {
  if (!Array.isArray(value)) {
    problems.add(path, `must be a list of "provider:model" ids${describeValue(value)}`);
    return;
  }
  if (value.length > MAX_FALLBACKS) problems.add(path, `must list at most ${MAX_FALLBACKS} fallbacks`);
  const seen = new Map<string, number>();
  value.forEach((entry, index) => {
    const here = [...path, index];
    if (!checkModelRef(entry, here, providers, problems)) return;
    const id = entry as string;
    if (id === model) {
      problems.add(here, `repeats the primary model: a fallback cycling back to ${formatPath([path[0]!, path[1]!, 'model'])} is never useful`);
    } else if (seen.has(id)) {
      problems.add(here, `repeats fallbacks[${seen.get(id)}]: each fallback must be a different model`);
    } else {
      seen.set(id, index);
    }
  });
}

function checkKnownKeys(value: Record<string, unknown>, known: readonly string[], path: PathSegment[], problems: ProblemList): void {
  for (const key of Object.keys(value)) if (!known.includes(key)) problems.add([...path, key], unknownKeyMessage(key, known));
}

function checkParams(value: unknown, path: PathSegment[], problems: ProblemList): void {
  if (!isPlainObject(value)) {
    problems.add(path, `must be an object of call parameters${describeValue(value)}`);
    return;
  }
  for (const [key, param] of Object.entries(value)) {
    if (param === undefined) continue;
    if (!isParamName(key)) problems.add([...path, key], unknownKeyMessage(key, PARAM_NAMES));
    else {
      const problem = paramProblem(key, param);
      if (problem) problems.add([...path, key], problem + describeValue(param, key));
    }
  }
}

function checkAdapters(value: unknown, path: PathSegment[], problems: ProblemList, options: BotCheckOptions): void {
  if (!Array.isArray(value)) {
    problems.add(path, `must be a list of { name, options? }${describeValue(value)}`);
    return;
  }
  if (value.length > MAX_ADAPTERS) problems.add(path, `must list at most ${MAX_ADAPTERS} adapters`);
  value.forEach((entry, index) => {
    const here = [...path, index];
    if (!isPlainObject(entry)) {
      problems.add(here, `must be an object { name, options? }${describeValue(entry)}`);
      return;
    }
    checkKnownKeys(entry, ADAPTER_KEYS, here, problems);
    if (typeof entry.name !== 'string' || entry.name.trim() === '') problems.add([...here, 'name'], `must be the adapter's name${describeValue(entry.name)}`);
    else if (options.hasAdapter && !options.hasAdapter(entry.name)) problems.add([...here, 'name'], 'names no registered adapter; register it with sb.adapters.register(name, factory) first');
    if (entry.options !== undefined && !isPlainObject(entry.options)) problems.add([...here, 'options'], `must be an object${describeValue(entry.options)}`);
  });
}

function checkBudget(value: unknown, path: PathSegment[], problems: ProblemList): void {
  if (!isPlainObject(value)) {
    problems.add(path, `must be an object { usdPerDay?, usdPerSession? }${describeValue(value)}`);
    return;
  }
  checkKnownKeys(value, BUDGET_KEYS, path, problems);
  for (const key of BUDGET_KEYS) {
    if (value[key] === undefined) continue;
    const problem = checkPositiveNumber(value[key]);
    if (problem) problems.add([...path, key], `${problem} (USD)${describeValue(value[key])}`);
  }
}

function checkMemory(value: unknown, path: PathSegment[], problems: ProblemList): void {
  if (value === false) return;
  if (!isPlainObject(value)) {
    problems.add(path, `must be false or an object { maxMessages?, maxTokens? }${describeValue(value)}`);
    return;
  }
  checkKnownKeys(value, MEMORY_KEYS, path, problems);
  const { maxMessages, maxTokens } = value;
  if (maxMessages !== undefined && !(typeof maxMessages === 'number' && Number.isInteger(maxMessages) && maxMessages >= 1 && maxMessages <= MAX_MEMORY_MESSAGES)) {
    problems.add([...path, 'maxMessages'], `must be a whole number from 1 to ${MAX_MEMORY_MESSAGES}${describeValue(maxMessages)}`);
  }
  if (maxTokens !== undefined && !(typeof maxTokens === 'number' && Number.isInteger(maxTokens) && maxTokens >= 1)) {
    problems.add([...path, 'maxTokens'], `must be a whole number of tokens >= 1${describeValue(maxTokens)}`);
  }
}

/**
 * Report every problem of one bot definition under `bots.<name>`. `providers` is every provider a
 * model id may name (the provider definitions' sections and map entries, custom ones).
 */
export function validateBot(name: string, bot: unknown, providers: KnownProviders | ReadonlySet<string>, problems: ProblemList, options: BotCheckOptions = {}): void {
  const path: PathSegment[] = ['bots', name];
  const known: KnownProviders = providers instanceof Set ? { has: (p) => providers.has(p), names: () => providers } : (providers as KnownProviders);
  if (typeof name !== 'string' || !BOT_NAME.test(name) || RESERVED_NAMES.has(name)) {
    problems.add(path, 'bot names may hold only letters, digits, ".", "-" and "_" (1-128 characters)');
    return;
  }
  if (!isPlainObject(bot)) {
    problems.add(path, `must be an object { model, fallbacks?, system?, params?, adapters?, budget? }${describeValue(bot)}`);
    return;
  }
  checkKnownKeys(bot, BOT_KEYS, path, problems);
  if (bot.model === undefined) problems.add([...path, 'model'], 'is required: the primary "provider:model" of this bot, or { capabilities: [...] } to choose one');
  else if (isPlainObject(bot.model)) checkModelChoice(bot.model, [...path, 'model'], known, problems);
  else checkModelRef(bot.model, [...path, 'model'], known, problems);
  if (bot.fallbacks !== undefined) checkFallbacks(bot.fallbacks, bot.model, [...path, 'fallbacks'], known, problems);
  if (bot.system !== undefined && (typeof bot.system !== 'string' || bot.system.length > MAX_SYSTEM_CHARS)) {
    problems.add([...path, 'system'], `must be a string of at most ${MAX_SYSTEM_CHARS} characters${describeValue(bot.system)}`);
  }
  if (bot.params !== undefined) checkParams(bot.params, [...path, 'params'], problems);
  if (bot.adapters !== undefined) checkAdapters(bot.adapters, [...path, 'adapters'], problems, options);
  if (bot.budget !== undefined) checkBudget(bot.budget, [...path, 'budget'], problems);
  if (bot.memory !== undefined) checkMemory(bot.memory, [...path, 'memory'], problems);
  checkRichDefaults(bot, path, problems);
}

/** A bot's defaults for tools, tool choice, response format and provider options: the request rules (core/request-rules.ts). */
function checkRichDefaults(bot: Record<string, unknown>, path: PathSegment[], problems: ProblemList): void {
  const base = `${formatPath(path)}.`;
  const report = (checked: Checked<unknown>): void => {
    // The rules give dotted paths under `base`: report them as they are.
    if (checked.problem) problems.add(checked.problem.path, checked.problem.message);
  };
  let tools: ToolDefinition[] | undefined;
  if (bot.tools !== undefined) {
    const checked = checkTools(bot.tools, `${base}tools`);
    report(checked);
    tools = checked.value;
  }
  if (bot.toolChoice !== undefined) report(checkToolChoice(bot.toolChoice, tools, `${base}toolChoice`));
  if (bot.parallelToolCalls !== undefined && typeof bot.parallelToolCalls !== 'boolean') problems.add([...path, 'parallelToolCalls'], 'must be true or false');
  if (bot.responseFormat !== undefined) report(checkResponseFormat(bot.responseFormat, `${base}responseFormat`));
  if (bot.providerOptions !== undefined) report(checkProviderOptions(bot.providerOptions, `${base}providerOptions`));
}

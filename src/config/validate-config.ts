/**
 * Semantic checks convict's per-key formats cannot do: placeholder API keys, the maps with user-chosen
 * keys (`bots`, `providers.openaiCompatible`, `resilience.rateLimits`, `llamacpp.pricing`), gateway
 * keys, stores that need Redis, and settings that must agree with each other. Runs on a config whose
 * keys already passed the schema (schema-check.ts), so fixed keys hold values of the right type.
 */
import type { ConfigProblem } from '../core/types.js';
import type { SwitchboardConfig } from './types.js';
import {
  checkNonEmptyString,
  checkOptionalFunction,
  httpUrlCheck,
  intCheck,
  looksLikePlaceholder,
  numberCheck,
  PROVIDER_NAME,
  type FieldCheck,
} from './field-checks.js';
import { describeValue, isPlainObject, ProblemList, unknownKeyMessage, type PathSegment } from './problems.js';
import { envNameFor } from './schema-check.js';
import { validateBot } from './validate-bot.js';

/** Providers the library ships managers for (`fake` is the testing provider). */
export const BUILTIN_PROVIDERS: readonly string[] = ['openai', 'anthropic', 'huggingface', 'ollama', 'llamacpp', 'fake'];

/** Options of the semantic checks. */
export interface ValidateConfigOptions {
  /** Providers registered at run time that bots and rate limits may name. */
  extraProviders?: readonly string[];
}

const COMPATIBLE_KEYS: Record<string, FieldCheck> = {
  baseURL: httpUrlCheck(false),
  apiKey: (v) => (typeof v === 'string' ? undefined : 'must be a string (empty when the endpoint needs no key)'),
  timeoutMs: intCheck(1),
  fetch: checkOptionalFunction,
};
const RATE_LIMIT_KEYS: Record<string, FieldCheck> = {
  requestsPerMinute: intCheck(1),
  tokensPerMinute: intCheck(1),
  maxWaitMs: intCheck(0),
};
const PRICE_KEYS: Record<string, FieldCheck> = {
  inputPerMTok: numberCheck(0),
  outputPerMTok: numberCheck(0),
};
const GATEWAY_KEY_KEYS: Record<string, FieldCheck> = { key: checkNonEmptyString, tenant: checkNonEmptyString };
/** Shorter gateway keys can be guessed; they are also too short to be registered as secrets. */
export const MIN_GATEWAY_KEY_LENGTH = 16;

/** Check an object's keys against known ones; `required` keys must be present. */
function checkEntry(value: unknown, checks: Record<string, FieldCheck>, required: readonly string[], path: PathSegment[], problems: ProblemList): value is Record<string, unknown> {
  if (!isPlainObject(value)) {
    problems.add(path, `must be an object with the keys ${Object.keys(checks).join(', ')}${describeValue(value)}`);
    return false;
  }
  for (const [key, child] of Object.entries(value)) {
    const check = Object.prototype.hasOwnProperty.call(checks, key) ? checks[key] : undefined;
    if (!check) problems.add([...path, key], unknownKeyMessage(key, Object.keys(checks)));
    else if (child !== undefined) {
      const problem = check(child);
      if (problem) problems.add([...path, key], problem + describeValue(child, key));
    }
  }
  for (const key of required) if (value[key] === undefined) problems.add([...path, key], 'is required');
  return true;
}

function checkPlaceholder(value: unknown, path: string[], problems: ProblemList, advice: string): void {
  if (typeof value === 'string' && looksLikePlaceholder(value)) problems.add(path, `looks like a placeholder: ${advice}`);
}

function checkProviderKeys(config: SwitchboardConfig, problems: ProblemList): void {
  for (const provider of ['openai', 'anthropic', 'huggingface'] as const) {
    const path = ['providers', provider, 'apiKey'];
    const env = envNameFor(path);
    checkPlaceholder(config.providers[provider].apiKey, path, problems, `set ${env} (or leave the key empty until you have one)`);
  }
}

function checkCompatible(config: SwitchboardConfig, problems: ProblemList): void {
  const builtins = new Set(BUILTIN_PROVIDERS.map((name) => name.toLowerCase()));
  for (const [name, entry] of Object.entries(config.providers.openaiCompatible)) {
    const path = ['providers', 'openaiCompatible', name];
    if (!PROVIDER_NAME.test(name)) problems.add(path, 'provider names may hold only letters, digits, "-" and "_" (1-64 characters, not starting with "-" or "_")');
    else if (builtins.has(name.toLowerCase())) problems.add(path, `"${name}" is a built-in provider; give this endpoint another name`);
    if (!checkEntry(entry, COMPATIBLE_KEYS, ['baseURL'], path, problems)) continue;
    const envHint = `${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_API_KEY`;
    checkPlaceholder(entry.apiKey, [...path, 'apiKey'], problems, `put the endpoint's key here (e.g. "\${${envHint}}") or leave it empty`);
  }
}

function checkPricing(config: SwitchboardConfig, problems: ProblemList): void {
  const pricing = config.providers.llamacpp.pricing;
  if (pricing === undefined) return;
  for (const [model, entry] of Object.entries(pricing)) {
    checkEntry(entry, PRICE_KEYS, Object.keys(PRICE_KEYS), ['providers', 'llamacpp', 'pricing', model], problems);
  }
}

function checkRateLimits(config: SwitchboardConfig, providers: ReadonlySet<string>, problems: ProblemList): void {
  for (const [provider, entry] of Object.entries(config.resilience.rateLimits)) {
    const path = ['resilience', 'rateLimits', provider];
    if (!providers.has(provider)) problems.add(path, `unknown provider; known providers: ${[...providers].join(', ')}`);
    checkEntry(entry, RATE_LIMIT_KEYS, [], path, problems);
  }
}

function checkGatewayKeys(config: SwitchboardConfig, problems: ProblemList): void {
  const firstIndexOf = new Map<string, number>();
  config.server.apiKeys.forEach((entry, index) => {
    const path: PathSegment[] = ['server', 'apiKeys', index];
    if (!checkEntry(entry, GATEWAY_KEY_KEYS, ['key', 'tenant'], path, problems) || typeof entry.key !== 'string' || entry.key === '') return;
    if (looksLikePlaceholder(entry.key)) problems.add([...path, 'key'], 'looks like a placeholder: choose a long random key');
    else if (/\s/.test(entry.key)) problems.add([...path, 'key'], 'contains whitespace (a stray newline from a file or shell?); gateway keys are sent in a header');
    else if (entry.key.length < MIN_GATEWAY_KEY_LENGTH) problems.add([...path, 'key'], `is shorter than ${MIN_GATEWAY_KEY_LENGTH} characters: choose a long random key (e.g. openssl rand -hex 24)`);
    const first = firstIndexOf.get(entry.key);
    if (first !== undefined) problems.add([...path, 'key'], `duplicates server.apiKeys[${first}].key; each gateway key must be unique`);
    else firstIndexOf.set(entry.key, index);
  });
}

function checkCrossField(config: SwitchboardConfig, problems: ProblemList): void {
  const { resilience } = config;
  if (resilience.retryMaxDelayMs < resilience.retryBaseDelayMs) {
    problems.add('resilience.retryMaxDelayMs', `must be at least resilience.retryBaseDelayMs (${resilience.retryBaseDelayMs})`);
  }
  const needsRedis: string[] = [];
  if (config.responseCache.store === 'redis') needsRedis.push('responseCache.store');
  if (config.sessions.store === 'redis') needsRedis.push('sessions.store');
  for (const key of needsRedis) {
    if (config.redis.url === '') problems.add(key, '"redis" needs redis.url (or REDIS_URL) to be set');
  }
}

/** Every provider name a model id may use with this config. */
export function knownProviders(config: SwitchboardConfig, options: ValidateConfigOptions = {}): Set<string> {
  const compatible = isPlainObject(config.providers.openaiCompatible) ? Object.keys(config.providers.openaiCompatible) : [];
  return new Set([...BUILTIN_PROVIDERS, ...compatible, ...(options.extraProviders ?? [])]);
}

/** Run every semantic check, adding to `problems`. */
export function collectSemanticProblems(config: SwitchboardConfig, problems: ProblemList, options: ValidateConfigOptions = {}): void {
  const providers = knownProviders(config, options);
  checkProviderKeys(config, problems);
  checkCompatible(config, problems);
  checkPricing(config, problems);
  for (const [name, bot] of Object.entries(config.bots)) validateBot(name, bot, providers, problems);
  checkRateLimits(config, providers, problems);
  checkGatewayKeys(config, problems);
  checkCrossField(config, problems);
}

/**
 * The semantic problems of a loaded config (an empty list when it is fine). loadConfig runs this
 * already; it is exported for code that assembles a config itself.
 */
export function validateConfig(config: SwitchboardConfig, options: ValidateConfigOptions = {}): ConfigProblem[] {
  const problems = new ProblemList();
  collectSemanticProblems(config, problems, options);
  return problems.list();
}

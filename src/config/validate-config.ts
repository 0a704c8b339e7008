/**
 * Semantic checks convict's per-key formats cannot do: the provider sections (placeholder secrets,
 * map entries, each definition's own checks: provider-sections.ts), the maps with user-chosen keys
 * (`bots`, `resilience.rateLimits`, `tenants`: validate-tenants.ts), gateway keys, stores that need Redis, and settings that must agree
 * with each other. Runs on a config whose keys already passed the schema (schema-check.ts), so fixed
 * keys hold values of the right type.
 */
import type { ConfigProblem } from '../core/types.js';
import { BUILTIN_PROVIDER_DEFINITIONS, RUNTIME_PROVIDER_NAMES } from '../managers/builtin-providers.js';
import type { ProviderDefinition } from '../managers/provider-definition.js';
import type { SwitchboardConfig } from './types.js';
import { checkEntry } from './entry-checks.js';
import { checkBoolean, checkNonEmptyString, intCheck, looksLikePlaceholder, type FieldCheck } from './field-checks.js';
import { ProblemList, type PathSegment } from './problems.js';
import { checkProviderSections, providerNamesOf } from './provider-sections.js';
import { validateBot } from './validate-bot.js';
import { checkTenants } from './validate-tenants.js';

/**
 * Providers the library ships, by name: the object sections of the built-in definitions, and the
 * providers it ships for registering at run time (the testing FakeProvider).
 */
export const BUILTIN_PROVIDERS: readonly string[] = [
  ...BUILTIN_PROVIDER_DEFINITIONS.filter((definition) => definition.section !== 'map').map((definition) => definition.id),
  ...RUNTIME_PROVIDER_NAMES,
];

/** Options of the semantic checks. */
export interface ValidateConfigOptions {
  /** Providers registered at run time that bots and rate limits may name. */
  extraProviders?: readonly string[];
  /** The provider definitions the config was loaded with; default the built-ins. */
  definitions?: readonly ProviderDefinition[];
}

const RATE_LIMIT_KEYS: Record<string, FieldCheck> = {
  requestsPerMinute: intCheck(1),
  tokensPerMinute: intCheck(1),
  maxWaitMs: intCheck(0),
};
const GATEWAY_KEY_KEYS: Record<string, FieldCheck> = { key: checkNonEmptyString, tenant: checkNonEmptyString, botsOnly: checkBoolean };
/** Shorter gateway keys can be guessed; they are also too short to be registered as secrets. */
export const MIN_GATEWAY_KEY_LENGTH = 16;

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

/** Every provider name a model id may use with this config (the definitions' sections and map entries, the testing provider, run-time ones). */
export function knownProviders(config: SwitchboardConfig, options: ValidateConfigOptions = {}): Set<string> {
  const definitions = options.definitions ?? BUILTIN_PROVIDER_DEFINITIONS;
  return new Set([...BUILTIN_PROVIDERS, ...providerNamesOf(config, definitions), ...(options.extraProviders ?? [])]);
}

/** Run every semantic check, adding to `problems`. */
export function collectSemanticProblems(config: SwitchboardConfig, problems: ProblemList, options: ValidateConfigOptions = {}): void {
  const providers = knownProviders(config, options);
  checkProviderSections(config, options.definitions ?? BUILTIN_PROVIDER_DEFINITIONS, problems, BUILTIN_PROVIDERS);
  for (const [name, bot] of Object.entries(config.bots)) validateBot(name, bot, providers, problems);
  checkRateLimits(config, providers, problems);
  checkGatewayKeys(config, problems);
  checkTenants(config, problems);
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

/**
 * `providers.<p>.deployments[]` and the top-level `routing` section: the one schema leaf every hosted
 * provider definition adds (openai and its compatible providers, anthropic, huggingface, ollama, each
 * `openaiCompatible.<name>` entry), the one check of a deployment list, and how a deployment's
 * settings default to its provider's. An empty list is today's behaviour: the provider itself is the
 * one deployment, and no router runs at all.
 */
import { numberCheck } from '../config/field-checks.js';
import { configField, registerConfigFormats, type ConfigLeaf } from '../config/schema-fields.js';
import { looksLikePlaceholder } from '../core/secrets.js';
import type { ConfigProblem } from '../core/types.js';
import { validateHostedEndpoint } from '../managers/hosted-endpoint.js';
import { checkTransportConfig, type TransportConfig } from '../transport/transport-settings.js';

/** One deployment of a provider: its own key, endpoint, weight and client-side limits. */
export interface DeploymentConfig {
  /** Unique within the provider: `[A-Za-z0-9_.-]{1,64}`; the only thing telemetry ever shows of it. */
  name: string;
  /** Absent: the provider's key. */
  apiKey?: string;
  /** Absent: the provider's base URL (`endpointUrl` for huggingface). */
  baseURL?: string;
  /** Share of traffic for `weighted` and the tie-break elsewhere; default 1. */
  weight?: number;
  /** Client-side requests per minute of this deployment; a deployment at its limit is skipped. */
  rpm?: number;
  /** Client-side tokens per minute (estimate before the call, corrected after). */
  tpm?: number;
  /** Model ids it serves (without the provider prefix); absent = all. */
  models?: string[];
  /** Transport settings, key by key over the provider's. */
  transport?: TransportConfig;
  /** Absent: the provider's. */
  timeoutMs?: number;
}

/** How a deployment is chosen for each attempt (config `routing.strategy`). */
export const ROUTING_STRATEGIES = ['least-busy', 'weighted', 'usage-based', 'latency-based'] as const;
/** One of ROUTING_STRATEGIES. */
export type RoutingStrategy = (typeof ROUTING_STRATEGIES)[number];

/** Config `routing`. */
export interface RoutingConfig {
  strategy: RoutingStrategy;
  /** How long a deployment answering 5xx / failing to connect (or 429 without Retry-After) is skipped. */
  cooldownMs: number;
  /** `latency-based`: probability of trying a random healthy deployment instead of the fastest. */
  latencyExploration: number;
}

/** The routing defaults (also for managers built by hand, whose deps carry no routing). */
export const DEFAULT_ROUTING: RoutingConfig = { strategy: 'least-busy', cooldownMs: 30_000, latencyExploration: 0.1 };

/** Most deployments per provider: bounds the router's state and the metric's label set. */
export const MAX_DEPLOYMENTS = 64;

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const FIELDS = new Set(['name', 'apiKey', 'baseURL', 'weight', 'rpm', 'tpm', 'models', 'transport', 'timeoutMs']);

/** The named format of the `deployments` leaf: the list's shape (each entry's values: validateDeployments). */
export const DEPLOYMENTS_FORMAT = 'sb-deployments';

registerConfigFormats({
  // A probability: `routing.latencyExploration`.
  'sb-fraction': { check: numberCheck(0, 1), coerce: (raw) => (/^\s*\d*\.?\d+\s*$/.test(raw) ? Number(raw) : raw) },
  [DEPLOYMENTS_FORMAT]: {
    check: (v) => (v === undefined || (Array.isArray(v) && v.length <= MAX_DEPLOYMENTS) ? undefined : `must be an array of at most ${MAX_DEPLOYMENTS} deployments`),
  },
});

/** The `deployments` leaf of a hosted provider's schema (absent or `[]`: the provider is its one deployment). */
export function deploymentsField(): ConfigLeaf<DeploymentConfig[] | undefined> {
  // Absent (the default) and [] mean the same: no router; absent keeps loaded sections as they were.
  return configField<DeploymentConfig[] | undefined>(
    undefined,
    DEPLOYMENTS_FORMAT,
    'Deployments of this provider: [{ name, apiKey?, baseURL?, weight?, rpm?, tpm?, models?, transport?, timeoutMs? }]; empty = the provider itself',
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function positiveInt(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/**
 * Problems of a provider's deployment list, keyed `<path>.deployments[i].<field>`. Messages never
 * repeat a value (keys and URLs included). `baseURLRequired`: a deployment's resolved URL must exist.
 */
export function validateDeployments(list: unknown, path: string, provider: { baseURL?: string; apiKey?: string; baseURLRequired?: boolean }): ConfigProblem[] {
  if (list === undefined) return [];
  const key = `${path}.deployments`;
  if (!Array.isArray(list)) return [{ key, message: 'must be an array of deployments' }];
  if (list.length > MAX_DEPLOYMENTS) return [{ key, message: `holds at most ${MAX_DEPLOYMENTS} deployments` }];
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, number>();
  list.forEach((entry: unknown, index) => {
    const at = `${key}[${index}]`;
    if (!isRecord(entry)) {
      problems.push({ key: at, message: 'must be an object { name, apiKey?, baseURL?, weight?, rpm?, tpm?, models? }' });
      return;
    }
    for (const field of Object.keys(entry)) if (!FIELDS.has(field)) problems.push({ key: `${at}.${field}`, message: 'is not a deployment setting' });
    const name = entry.name;
    if (typeof name !== 'string' || !NAME.test(name)) problems.push({ key: `${at}.name`, message: 'must be 1-64 letters, digits, "_", "." or "-"' });
    else if (seen.has(name)) problems.push({ key: `${at}.name`, message: `duplicates ${key}[${seen.get(name)}].name; deployment names must be unique` });
    else seen.set(name, index);
    if (entry.weight !== undefined && !(typeof entry.weight === 'number' && Number.isFinite(entry.weight) && entry.weight > 0)) {
      problems.push({ key: `${at}.weight`, message: 'must be a number greater than 0' });
    }
    for (const limit of ['rpm', 'tpm'] as const) {
      if (entry[limit] !== undefined && !positiveInt(entry[limit])) problems.push({ key: `${at}.${limit}`, message: 'must be a positive whole number' });
    }
    if (entry.models !== undefined && !(Array.isArray(entry.models) && entry.models.length > 0 && entry.models.every((m) => typeof m === 'string' && m !== ''))) {
      problems.push({ key: `${at}.models`, message: 'must be a non-empty list of model ids (leave it out to serve every model)' });
    }
    if (entry.transport !== undefined) {
      const problem = checkTransportConfig(entry.transport);
      if (problem) problems.push({ key: `${at}.transport`, message: problem });
    }
    if (entry.apiKey !== undefined && typeof entry.apiKey !== 'string') problems.push({ key: `${at}.apiKey`, message: 'must be a string' });
    else if (typeof entry.apiKey === 'string' && looksLikePlaceholder(entry.apiKey)) problems.push({ key: `${at}.apiKey`, message: 'looks like a placeholder: put the real key here (e.g. "${MY_DEPLOYMENT_KEY}")' });
    if (entry.baseURL !== undefined && typeof entry.baseURL !== 'string') problems.push({ key: `${at}.baseURL`, message: 'must be a string holding an http(s) URL' });
    // The same checks as the provider's own endpoint settings (URL shape, timeout, key whitespace and ${VAR}).
    const endpoint = {
      baseURL: typeof entry.baseURL === 'string' ? entry.baseURL : provider.baseURL,
      baseURLRequired: provider.baseURLRequired,
      timeoutMs: entry.timeoutMs as number | undefined,
      apiKey: typeof entry.apiKey === 'string' ? entry.apiKey : undefined,
    };
    for (const problem of validateHostedEndpoint(at, endpoint)) if (!problems.some((p) => p.key === problem.key)) problems.push(problem);
  });
  return problems;
}

/** True when calls have a key: the provider's own, or one from every deployment (then the provider needs none). */
export function keyedForCalls(providerKey: string | undefined, deployments: readonly DeploymentConfig[] | undefined): boolean {
  if (providerKey) return true;
  return deployments !== undefined && deployments.length > 0 && deployments.every((deployment) => Boolean(deployment.apiKey));
}

/** Endpoint settings a deployment can override. */
export interface EndpointOverridable {
  apiKey?: string;
  baseURL?: string;
  timeoutMs?: number;
  transport?: TransportConfig;
}

/**
 * A provider's settings as one deployment sees them: its own key, URL and timeout where given, its
 * transport merged key by key over the provider's; everything else the provider's.
 */
export function deploymentSettings<T extends EndpointOverridable>(provider: T, deployment: DeploymentConfig): T {
  const out: T = { ...provider };
  if (deployment.apiKey !== undefined) out.apiKey = deployment.apiKey;
  if (deployment.baseURL !== undefined) out.baseURL = deployment.baseURL;
  if (deployment.timeoutMs !== undefined) out.timeoutMs = deployment.timeoutMs;
  if (deployment.transport !== undefined) out.transport = { ...provider.transport, ...deployment.transport };
  return out;
}

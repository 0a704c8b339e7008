/**
 * The settings of `providers.ollama` (schema, type, checks) and the two formats they need: Ollama's
 * own OLLAMA_HOST forms and its `keep_alive` durations. Shared by the definition and the manager.
 */
import { describeValue } from '../../config/problems.js';
import { configField, type ConfigSchemaNode, type NamedFormat } from '../../config/schema-fields.js';
import { httpUrlCheck, type FieldCheck } from '../../config/field-checks.js';
import type { ConfigProblem } from '../../core/types.js';
import { parseHttpUrl } from '../hosted-endpoint.js';
import { transportField } from '../../transport/transport-config.js';
import type { TransportConfig } from '../../transport/transport-settings.js';
import { deploymentsField, validateDeployments, type DeploymentConfig } from '../../routing/deployment-config.js';

/** A native Ollama server. */
export interface OllamaProviderConfig {
  baseURL: string;
  /** How long to wait for response headers, in ms; 0 = none (the call's own timeout still applies). */
  timeoutMs: number;
  /** Ollama's keep_alive (e.g. "5m"); empty = server default. */
  keepAlive: string;
  /** Used for every request instead of the transport (proxies, tests); programmatic config only. */
  fetch?: typeof fetch;
  /** Connection pool, proxy, TLS and timeouts of the upstream (src/transport/transport-settings.ts); unused when `fetch` is given. */
  transport?: TransportConfig;
  /** Deployments (src/routing/): replicas of the server, each its own `baseURL` (Ollama takes no key); empty = the provider itself. */
  deployments?: DeploymentConfig[];
}

/** The config section and provider name. */
export const OLLAMA_ID = 'ollama';

/** Ollama's keep_alive: '' (server default), a number of seconds, or a Go duration such as "5m" or "1h30m". */
export const checkKeepAlive: FieldCheck = (v) => {
  if (typeof v !== 'string') return 'must be a string such as "5m", "-1" or "" for the server default';
  if (v === '' || /^-?\d+$/.test(v) || /^-?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(v)) return undefined;
  return 'must be a duration such as "30s", "5m", "1h30m", a number of seconds, "-1" (forever) or ""';
};

/** OLLAMA_HOST is often `0.0.0.0`, `host:port` or a bare host, as Ollama itself accepts. */
function coerceOllamaHost(raw: string): unknown {
  const value = raw.trim();
  if (value === '' || /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return value;
  const [host, port] = value.split(/:(?=\d+$)/) as [string, string | undefined];
  const reachable = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host;
  return `http://${reachable}:${port ?? '11434'}`;
}

/** The formats `providers.ollama` needs registered. */
export const OLLAMA_FORMATS: Readonly<Record<string, NamedFormat>> = {
  'sb-ollama-url': { check: httpUrlCheck(false), coerce: coerceOllamaHost },
  'sb-keep-alive': { check: checkKeepAlive },
};

/** Defaults, formats and variables of `providers.ollama` (`fetch` comes with `takesFetch`). */
export const OLLAMA_CONFIG_SCHEMA: ConfigSchemaNode = {
  baseURL: configField('http://127.0.0.1:11434', 'sb-ollama-url', 'Ollama server URL', { env: 'OLLAMA_HOST' }),
  timeoutMs: configField(60000, 'sb-int-min1', 'Total time for one request to this provider, in ms'),
  keepAlive: configField('', 'sb-keep-alive', "Ollama keep_alive, e.g. '5m'; empty = server default"),
  transport: transportField(),
  deployments: deploymentsField(),
};

/** The base URL, keep_alive, timeout and deployments, under `path` (`providers.ollama`). */
export function validateOllamaConfig(config: OllamaProviderConfig, path: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (!parseHttpUrl(config.baseURL)) {
    problems.push({ key: `${path}.baseURL`, message: `must be an http(s) URL such as http://127.0.0.1:11434${describeValue(config.baseURL, 'baseURL')}` });
  }
  const keepAlive = checkKeepAlive(config.keepAlive);
  if (keepAlive) problems.push({ key: `${path}.keepAlive`, message: `${keepAlive}${describeValue(config.keepAlive, 'keepAlive')}` });
  if (!Number.isFinite(config.timeoutMs) || config.timeoutMs < 0) {
    problems.push({ key: `${path}.timeoutMs`, message: `must be a number of milliseconds >= 0${describeValue(config.timeoutMs, 'timeoutMs')}` });
  }
  problems.push(...validateDeployments(config.deployments, path, { baseURL: config.baseURL, baseURLRequired: true }));
  // Ollama sends no credentials: a deployment key would be silently unused, so it is refused.
  if (Array.isArray(config.deployments)) {
    config.deployments.forEach((deployment, index) => {
      if (deployment?.apiKey !== undefined) problems.push({ key: `${path}.deployments[${index}].apiKey`, message: 'is not used: Ollama takes no API key (leave it out)' });
    });
  }
  return problems;
}

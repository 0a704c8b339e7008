/**
 * The settings of `providers.anthropic` (schema, type, checks) and how `@anthropic-ai/sdk` reports
 * failures beyond plain HTTP. The definition (anthropic-provider.ts) and the manager share them.
 */
import { configField, type ConfigSchemaNode } from '../../config/schema-fields.js';
import type { ErrorQuirks } from '../../core/error-mapping.js';
import type { ConfigProblem } from '../../core/types.js';
import { validateHostedEndpoint } from '../hosted-endpoint.js';
import { transportField } from '../../transport/transport-config.js';
import type { TransportConfig } from '../../transport/transport-settings.js';
import { deploymentsField, validateDeployments, type DeploymentConfig } from '../../routing/deployment-config.js';

/** Anthropic messages API. */
export interface AnthropicProviderConfig {
  /** Empty = the provider is not ready. */
  apiKey: string;
  baseURL: string;
  /** How long the SDK waits for response headers, in ms. */
  timeoutMs: number;
  /** Anthropic requires max_tokens; used when neither request nor bot sets maxTokens. */
  defaultMaxTokens: number;
  /** Handed to the SDK (proxies, custom agents, tests); programmatic config only. */
  fetch?: typeof fetch;
  /** Connection pool, proxy, TLS and timeouts of the upstream (src/transport/transport-settings.ts); unused when `fetch` is given. */
  transport?: TransportConfig;
  /** Deployments (src/routing/): own keys, URLs and limits; empty = the provider itself. */
  deployments?: DeploymentConfig[];
}

/** The config section and provider name. */
export const ANTHROPIC_ID = 'anthropic';

/** Defaults, formats and variables of `providers.anthropic` (`fetch` comes with `takesFetch`). */
export const ANTHROPIC_CONFIG_SCHEMA: ConfigSchemaNode = {
  apiKey: configField('', 'sb-string', 'Anthropic API key; empty = provider not ready', { env: 'ANTHROPIC_API_KEY', sensitive: true }),
  baseURL: configField('https://api.anthropic.com', 'sb-http-url', 'Anthropic API base URL', { env: 'ANTHROPIC_BASE_URL' }),
  timeoutMs: configField(60000, 'sb-int-min1', 'Total time for one request to this provider, in ms'),
  defaultMaxTokens: configField(1024, 'sb-int-min1', 'max_tokens when neither the request nor the bot sets maxTokens'),
  transport: transportField(),
  deployments: deploymentsField(),
};

/**
 * @anthropic-ai/sdk 1.x: 529 "overloaded" is worth another attempt; an error event inside a stream
 * carries `overloaded_error` (529), `api_error` (500) or `rate_limit_error` (429); its connection,
 * timeout and abort classes share openai's names; an empty account is a 400 "Your credit balance is
 * too low".
 */
export const ANTHROPIC_ERROR_QUIRKS: ErrorQuirks = {
  retryableStatuses: [529],
  streamErrorTypes: { overloaded_error: 529, api_error: 500, rate_limit_error: 429 },
  timeoutErrorNames: ['APIConnectionTimeoutError'],
  connectionErrorNames: ['APIConnectionError', 'APIConnectionTimeoutError'],
  abortErrorNames: ['APIUserAbortError'],
  quotaHints: ['credit balance'],
};

/** Base URL, timeout, key shape and defaultMaxTokens, under `path` (`providers.anthropic`). */
export function validateAnthropicConfig(config: AnthropicProviderConfig, path: string): ConfigProblem[] {
  const problems = validateHostedEndpoint(path, { baseURL: config.baseURL, baseURLRequired: true, timeoutMs: config.timeoutMs, apiKey: config.apiKey });
  problems.push(...validateDeployments(config.deployments, path, { baseURL: config.baseURL, baseURLRequired: true }));
  const maxTokens = config.defaultMaxTokens;
  if (!(Number.isInteger(maxTokens) && maxTokens > 0)) {
    problems.push({ key: `${path}.defaultMaxTokens`, message: 'must be a positive integer (Anthropic requires max_tokens on every request)' });
  }
  return problems;
}

/**
 * What a provider on the official `openai` SDK is configured with, and the checks of those settings
 * (shared by its definition, run at load time, and by the manager's own `validateConfig`).
 * Also how that SDK reports failures beyond plain HTTP (its error quirks).
 */
import type { ErrorQuirks } from '../../core/error-mapping.js';
import type { ConfigProblem } from '../../core/types.js';
import { validateHostedEndpoint } from '../hosted-endpoint.js';
import type { TransportConfig } from '../../transport/transport-settings.js';
import { validateDeployments, type DeploymentConfig } from '../../routing/deployment-config.js';

/** Any provider the official `openai` SDK talks to. */
export interface OpenAIProviderConfig {
  /** Empty = the provider is not ready (calls fail naming the variable to set). */
  apiKey: string;
  baseURL: string;
  /** How long the SDK waits for response headers, in ms. */
  timeoutMs: number;
  /** The `OpenAI-Organization` header, when set. */
  organization?: string;
  /** Handed to the SDK (proxies, custom agents, tests); programmatic config only. */
  fetch?: typeof fetch;
  /** Connection pool, proxy, TLS and timeouts of the upstream (src/transport/transport-settings.ts); unused when `fetch` is given. */
  transport?: TransportConfig;
  /** Deployments (src/routing/): own keys, URLs and limits; empty = the provider itself. */
  deployments?: DeploymentConfig[];
}

/** The built-in `openai` provider: its name and the variables that set its key and base URL. */
export const OPENAI_PROVIDER = {
  id: 'openai',
  apiKeyEnv: 'OPENAI_API_KEY',
  baseURLEnv: 'OPENAI_BASE_URL',
  defaultBaseURL: 'https://api.openai.com/v1',
} as const;

/**
 * openai 6.x: its connection, timeout and abort classes (told apart by constructor name, since it
 * leaves `name` as "Error"), the `server_error` type of an error event inside a stream, and the
 * `insufficient_quota` code, which it may send with a 400 as well as a 429.
 */
export const OPENAI_SDK_ERROR_QUIRKS: ErrorQuirks = {
  streamErrorTypes: { server_error: 500 },
  timeoutErrorNames: ['APIConnectionTimeoutError'],
  connectionErrorNames: ['APIConnectionError', 'APIConnectionTimeoutError'],
  abortErrorNames: ['APIUserAbortError'],
  quotaHints: ['insufficient_quota'],
};

/** Base URL (required, http(s), no credentials), timeout and key shape, under `path` (e.g. `providers.openai`). */
export function validateOpenAIConfig(config: { apiKey?: string; baseURL?: string; timeoutMs?: number; deployments?: unknown }, path: string): ConfigProblem[] {
  return [
    ...validateHostedEndpoint(path, { baseURL: config.baseURL, baseURLRequired: true, timeoutMs: config.timeoutMs, apiKey: config.apiKey }),
    ...validateDeployments(config.deployments, path, { baseURL: config.baseURL, baseURLRequired: true }),
  ];
}

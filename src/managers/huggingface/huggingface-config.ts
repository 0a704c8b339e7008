/**
 * The settings of `providers.huggingface` (schema, type, checks), shared by the definition
 * (huggingface-provider.ts) and the manager.
 */
import { describeValue } from '../../config/problems.js';
import { configField, type ConfigSchemaNode } from '../../config/schema-fields.js';
import type { ConfigProblem } from '../../core/types.js';
import { parseHttpUrl } from '../hosted-endpoint.js';
import { transportField } from '../../transport/transport-config.js';
import type { TransportConfig } from '../../transport/transport-settings.js';
import { deploymentsField, validateDeployments, type DeploymentConfig } from '../../routing/deployment-config.js';

/** HuggingFace Inference Providers or a dedicated endpoint / TGI. */
export interface HuggingFaceProviderConfig {
  /** The token (`hf_...`); needed for Inference Providers, optional for an endpoint. */
  apiKey: string;
  /** Empty = Inference Providers by model id; else a dedicated endpoint / TGI URL. */
  endpointUrl: string;
  /** How long the library waits for response headers, in ms. */
  timeoutMs: number;
  /** Handed to the library (proxies, custom agents, tests); programmatic config only. */
  fetch?: typeof fetch;
  /** Connection pool, proxy, TLS and timeouts of the upstream (src/transport/transport-settings.ts); unused when `fetch` is given. */
  transport?: TransportConfig;
  /**
   * Deployments (src/routing/): own tokens and endpoints (a deployment's `baseURL` is its endpoint URL;
   * absent: the provider's `endpointUrl`, empty = Inference Providers); empty = the provider itself.
   */
  deployments?: DeploymentConfig[];
}

/** The config section and provider name. */
export const HUGGINGFACE_ID = 'huggingface';

/** Defaults, formats and variables of `providers.huggingface` (`fetch` comes with `takesFetch`). */
export const HUGGINGFACE_CONFIG_SCHEMA: ConfigSchemaNode = {
  apiKey: configField('', 'sb-string', 'HuggingFace token; empty = provider not ready', { env: 'HF_TOKEN', sensitive: true }),
  endpointUrl: configField('', 'sb-optional-http-url', 'A dedicated Inference Endpoint / TGI URL; empty = Inference Providers', { env: 'HF_ENDPOINT_URL' }),
  timeoutMs: configField(60000, 'sb-int-min1', 'Total time for one request to this provider, in ms'),
  transport: transportField(),
  deployments: deploymentsField(),
};

/** The endpoint URL, timeout and deployments, under `path` (`providers.huggingface`). */
export function validateHuggingFaceConfig(config: HuggingFaceProviderConfig, path: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (config.endpointUrl && !parseHttpUrl(config.endpointUrl)) {
    problems.push({ key: `${path}.endpointUrl`, message: `must be empty (Inference Providers) or an http(s) URL of an endpoint / TGI server${describeValue(config.endpointUrl, 'endpointUrl')}` });
  }
  if (!Number.isFinite(config.timeoutMs) || config.timeoutMs < 0) {
    problems.push({ key: `${path}.timeoutMs`, message: `must be a number of milliseconds >= 0${describeValue(config.timeoutMs, 'timeoutMs')}` });
  }
  // A deployment without a URL of its own and a provider without one go to Inference Providers: no URL required.
  problems.push(...validateDeployments(config.deployments, path, { baseURL: config.endpointUrl || undefined, baseURLRequired: false }));
  return problems;
}

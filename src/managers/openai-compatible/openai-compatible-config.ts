/**
 * One named OpenAI-compatible endpoint's settings (`providers.openaiCompatible.<name>`); their
 * checks are the openai provider's (openai/openai-config.ts).
 */
import type { TransportConfig } from '../../transport/transport-settings.js';
import type { DeploymentConfig } from '../../routing/deployment-config.js';

/** One named OpenAI-compatible endpoint (vLLM, llama.cpp server, LM Studio, Together, Groq ...). */
export interface OpenAICompatibleConfig {
  baseURL: string;
  /** Empty when the server needs no key (then no Authorization header is sent at all). */
  apiKey: string;
  /** Absent: the SDK's own default (10 minutes) for the response headers. */
  timeoutMs?: number;
  /** Handed to the SDK (proxies, custom agents, tests); programmatic config only. */
  fetch?: typeof fetch;
  /** Connection pool, proxy, TLS and timeouts of the upstream (src/transport/transport-settings.ts); unused when `fetch` is given. */
  transport?: TransportConfig;
  /** Deployments (src/routing/): replicas or keys of this endpoint; empty = the endpoint itself. */
  deployments?: DeploymentConfig[];
}

/** The config section holding the named endpoints: `providers.openaiCompatible`. */
export const COMPATIBLE_SECTION = 'openaiCompatible';

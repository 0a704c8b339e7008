/**
 * OpenAICompatibleManager: one named OpenAI-compatible endpoint (vLLM, llama.cpp server, LM Studio,
 * Together, Groq ...) on the official `openai` SDK. The config key is the provider name
 * (`providers.openaiCompatible.vllm` serves `vllm:<model>`). Local servers usually need no key: an
 * empty key is allowed and then no Authorization header is sent at all.
 */
import type { ClientOptions } from 'openai';
import type { ManagerDeps } from '../base-llm-manager.js';
import { mergeErrorQuirks } from '../../core/error-mapping.js';
import { OPENAI_SDK_ERROR_QUIRKS, type OpenAIProviderConfig } from '../openai/openai-config.js';
import type { UpstreamFetch } from '../hosted-endpoint.js';
import { OpenAIManager } from '../openai/openai-manager.js';
import { missingSettingReason } from '../provider-definition.js';
import { COMPATIBLE_SECTION, type OpenAICompatibleConfig } from './openai-compatible-config.js';

/** The SDK refuses to start without some key; this one never leaves the process (the header is removed). */
const PLACEHOLDER_KEY = 'no-key-configured';

/**
 * The openai SDK's quirks, plus 529: proxies in front of several vendors (LiteLLM, OpenRouter, a
 * Portkey gateway) pass Anthropic's "overloaded" status through, and it heals like a 503.
 */
export const COMPATIBLE_ENDPOINT_QUIRKS = mergeErrorQuirks(OPENAI_SDK_ERROR_QUIRKS, { retryableStatuses: [529] });

/** A named OpenAI-compatible provider. */
export class OpenAICompatibleManager extends OpenAIManager {
  constructor(deps: ManagerDeps, name: string, config: OpenAICompatibleConfig) {
    const configPath = `providers.${COMPATIBLE_SECTION}.${name}`;
    super(
      deps,
      // timeoutMs is optional here; when it is absent the SDK keeps its own default (10 minutes).
      { apiKey: config.apiKey ?? '', baseURL: config.baseURL ?? '', timeoutMs: config.timeoutMs as number, fetch: config.fetch, transport: config.transport, deployments: config.deployments },
      { provider: name, apiKeyEnv: `${configPath}.apiKey`, configPath, errorQuirks: COMPATIBLE_ENDPOINT_QUIRKS },
    );
  }

  /** Ready without a key; not ready without a base URL (there is no sensible default server). */
  protected override notReadyReason(): string | undefined {
    return this.config.baseURL ? undefined : `${missingSettingReason(this.configPath, 'baseURL')} (the server's http(s) URL, e.g. http://127.0.0.1:8000/v1)`;
  }

  protected override clientOptions(settings: OpenAIProviderConfig = this.config, upstream?: UpstreamFetch): ClientOptions {
    const options = super.clientOptions(settings, upstream);
    if (settings.apiKey) return options;
    return { ...options, apiKey: PLACEHOLDER_KEY, defaultHeaders: { Authorization: null } };
  }

  /** Whatever the server lists is what it serves. */
  protected override isChatModel(_modelId: string): boolean {
    return true;
  }
}

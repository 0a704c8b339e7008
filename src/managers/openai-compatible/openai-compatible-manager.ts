/**
 * OpenAICompatibleManager: one named OpenAI-compatible endpoint (vLLM, llama.cpp server, LM Studio,
 * Together, Groq ...) on the official `openai` SDK. The config key is the provider name
 * (`providers.openaiCompatible.vllm` serves `vllm:<model>`). Local servers usually need no key: an
 * empty key is allowed and then no Authorization header is sent at all.
 */
import type { ClientOptions } from 'openai';
import type { OpenAICompatibleConfig } from '../../config/types.js';
import type { ManagerDeps } from '../base-llm-manager.js';
import { OpenAIManager } from '../openai/openai-manager.js';

/** The SDK refuses to start without some key; this one never leaves the process (the header is removed). */
const PLACEHOLDER_KEY = 'no-key-configured';

/** A named OpenAI-compatible provider. */
export class OpenAICompatibleManager extends OpenAIManager {
  constructor(deps: ManagerDeps, name: string, config: OpenAICompatibleConfig) {
    const configPath = `providers.openaiCompatible.${name}`;
    super(
      deps,
      // timeoutMs is optional here; when it is absent the SDK keeps its own default (10 minutes).
      { apiKey: config.apiKey ?? '', baseURL: config.baseURL ?? '', timeoutMs: config.timeoutMs as number, fetch: config.fetch },
      { provider: name, apiKeyEnv: `${configPath}.apiKey`, configPath },
    );
  }

  /** Ready without a key; not ready without a base URL (there is no sensible default server). */
  protected override notReadyReason(): string | undefined {
    return this.config.baseURL ? undefined : `set ${this.configPath}.baseURL (the server's http(s) URL, e.g. http://127.0.0.1:8000/v1)`;
  }

  protected override clientOptions(): ClientOptions {
    const options = super.clientOptions();
    if (this.config.apiKey) return options;
    return { ...options, apiKey: PLACEHOLDER_KEY, defaultHeaders: { Authorization: null } };
  }

  /** Whatever the server lists is what it serves. */
  protected override isChatModel(_modelId: string): boolean {
    return true;
  }
}

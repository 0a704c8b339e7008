/**
 * AnthropicManager: Claude models through the official `@anthropic-ai/sdk` Messages API.
 * The SDK client is built once, lazily, with `maxRetries: 0` (BaseLLMManager owns the one retry
 * loop) and `openTelemetry: false`: SDK 1.12 otherwise makes its own span for every call, which
 * would double our GenAI spans and token totals.
 *
 * Parameters: maxTokens (required by Anthropic: `defaultMaxTokens` when unset) and stop are sent.
 * temperature and topP are not: the API version SDK 1.x speaks (2026-10-21) rejects every sampling
 * parameter with a 400. Anthropic has no frequency/presence penalty and no seed. (convert-request.ts)
 */
import Anthropic from '@anthropic-ai/sdk';
import type { ErrorQuirks } from '../../core/error-mapping.js';
import type { CallContext, ModelInfo, ProviderRequest, ProviderResult, ProviderStreamPart, ValidationResult } from '../../core/types.js';
import { boundFetch } from '../../transport/bounded-fetch.js';
import { BaseLLMManager, type ManagerDeps } from '../base-llm-manager.js';
import { endpointAddress, sdkLogger } from '../hosted-endpoint.js';
import { envOf, missingSettingReason, validationOf } from '../provider-definition.js';
import { ANTHROPIC_CONFIG_SCHEMA, ANTHROPIC_ERROR_QUIRKS, ANTHROPIC_ID, validateAnthropicConfig, type AnthropicProviderConfig } from './anthropic-config.js';
import { toMessagesBody } from './convert-request.js';
import { mapMessage } from './map-response.js';
import { messageEventsToParts } from './stream-parts.js';

/** What the model cache holds for a Claude model: the shared client and the model name. */
export interface AnthropicModelHandle {
  client: Anthropic;
  modelId: string;
}

const CONFIG_PATH = `providers.${ANTHROPIC_ID}`;
/** A listing larger than this is cut; Anthropic lists a few dozen models. */
const MAX_LISTED_MODELS = 1_000;

/** The Anthropic provider. */
export class AnthropicManager extends BaseLLMManager<AnthropicModelHandle> {
  /** Always `anthropic`. */
  readonly provider = ANTHROPIC_ID;
  protected override readonly streamsHonourAbort = true;
  /** Read by BaseLLMManager.errorOrigin: the SDK's departures from plain HTTP (529, stream error types). */
  protected override readonly errorQuirks: ErrorQuirks = ANTHROPIC_ERROR_QUIRKS;
  private readonly config: AnthropicProviderConfig;
  private client?: Anthropic;

  constructor(deps: ManagerDeps, config: AnthropicProviderConfig) {
    super(deps);
    this.config = config;
    // Config registers keys it loads; a manager built by hand registers its own.
    this.keepSecret(config.apiKey);
  }

  protected override notReadyReason(): string | undefined {
    return this.config.apiKey ? undefined : missingSettingReason(CONFIG_PATH, 'apiKey', envOf(ANTHROPIC_CONFIG_SCHEMA, 'apiKey'));
  }

  protected override serverAddress(): { address: string; port?: number } | undefined {
    return endpointAddress(this.config.baseURL);
  }

  /** Base URL, timeout, key shape and defaultMaxTokens, under `providers.anthropic`. */
  override validateConfig(): ValidationResult {
    return validationOf(validateAnthropicConfig(this.config, CONFIG_PATH));
  }

  protected override defaultModelInfo(_modelId: string): Partial<ModelInfo> {
    return { local: false };
  }

  private getClient(): Anthropic {
    this.client ??= new Anthropic({
      apiKey: this.config.apiKey,
      baseURL: this.config.baseURL,
      maxRetries: 0,
      timeout: this.config.timeoutMs,
      // Every answer is bounded, through a fetch from config too.
      fetch: boundFetch(this.config.fetch ?? globalThis.fetch, this.responseLimits, { provider: this.provider }),
      openTelemetry: false,
      logger: sdkLogger(this.deps.logger, 'anthropic SDK'),
      logLevel: 'warn',
    });
    return this.client;
  }

  protected async loadModel(modelId: string): Promise<AnthropicModelHandle> {
    return { client: this.getClient(), modelId };
  }

  protected async doGenerate(model: AnthropicModelHandle, request: ProviderRequest, context: CallContext): Promise<ProviderResult> {
    const message = await model.client.messages.create({ ...toMessagesBody(request, this.config.defaultMaxTokens), stream: false }, { signal: context.signal });
    return mapMessage(message, { provider: this.provider, model: request.modelId });
  }

  protected override async *doStream(model: AnthropicModelHandle, request: ProviderRequest, context: CallContext): AsyncIterable<ProviderStreamPart> {
    const events = await model.client.messages.create({ ...toMessagesBody(request, this.config.defaultMaxTokens), stream: true }, { signal: context.signal });
    yield* messageEventsToParts(events, context.signal, { provider: this.provider, model: request.modelId });
  }

  /** GET /v1/models through the SDK, each merged with what the catalog knows. */
  override async listModels(): Promise<ModelInfo[]> {
    return this.discoverModels(() => this.getClient().models.list(), undefined, MAX_LISTED_MODELS);
  }

  /** Drop the SDK client (it holds no sockets of its own: fetch's pool does). */
  override async close(): Promise<void> {
    this.client = undefined;
  }
}

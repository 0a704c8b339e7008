/**
 * AnthropicManager: Claude models through the official `@anthropic-ai/sdk` Messages API.
 * The SDK client is built once, lazily, with `maxRetries: 0` (BaseLLMManager owns the one retry
 * loop) and `openTelemetry: false`: SDK 1.12 otherwise makes its own span for every call, which
 * would double our GenAI spans and token totals.
 *
 * Rich messages both ways (tools, images, structured output, thinking): convert-request.ts and the
 * converters it calls, map-response.ts, stream-parts.ts. Parameters: maxTokens (required by
 * Anthropic: `defaultMaxTokens` when unset) and stop are sent; temperature, topP, the penalties and
 * seed are refused before any request (refusals.ts): API version 2026-10-21, which SDK 1.12 speaks,
 * has no sampling parameters, and Anthropic never had the others.
 */
import Anthropic from '@anthropic-ai/sdk';
import type { ErrorQuirks } from '../../core/error-mapping.js';
import type { CallContext, ModelInfo, ProviderRequest, ProviderResult, ProviderStreamPart, ValidationResult } from '../../core/types.js';
import { boundFetch } from '../../transport/bounded-fetch.js';
import type { MessageCountTokensParams } from '@anthropic-ai/sdk/resources/messages';
import { BaseLLMManager, type ManagerDeps, type ProviderSupport, type TokenMeasure } from '../base-llm-manager.js';
import { toAnthropicConversation } from './convert-messages.js';
import { toAnthropicTools } from './convert-tools.js';
import { endpointAddress, sdkLogger, UpstreamFetch } from '../hosted-endpoint.js';
import { envOf, missingSettingReason, validationOf } from '../provider-definition.js';
import { ANTHROPIC_CONFIG_SCHEMA, ANTHROPIC_ERROR_QUIRKS, ANTHROPIC_ID, validateAnthropicConfig, type AnthropicProviderConfig } from './anthropic-config.js';
import { toMessagesRequest } from './convert-request.js';
import { mapMessage } from './map-response.js';
import { refuseUncarried } from './refusals.js';
import { messageEventsToParts } from './stream-parts.js';
import { DeploymentClients } from '../../routing/deployment-clients.js';
import { deploymentSettings, keyedForCalls } from '../../routing/deployment-config.js';

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
  /** Tool use, image blocks, structured output (native or the answer tool), extended thinking. */
  protected override readonly supports: ProviderSupport = { tools: true, vision: true, json: true, reasoning: true };
  private readonly config: AnthropicProviderConfig;
  private client?: Anthropic;
  /** Config's `fetch`, else the transport's pools (src/transport/). */
  private readonly upstream = new UpstreamFetch({ provider: ANTHROPIC_ID });
  /** One client per configured deployment (own key, base URL, pools), made on its first attempt. */
  private readonly deploymentClients: DeploymentClients<Anthropic>;

  constructor(deps: ManagerDeps, config: AnthropicProviderConfig) {
    super(deps);
    this.config = config;
    // Config registers keys it loads; a manager built by hand registers its own.
    this.keepSecret(config.apiKey);
    const deployments = config.deployments ?? [];
    this.useDeployments(deployments);
    this.deploymentClients = new DeploymentClients(ANTHROPIC_ID, deployments.length, (index, upstream) => this.buildClient(deploymentSettings(this.config, deployments[index]!), upstream));
  }

  /** Ready with the provider's key, or when every deployment brings its own. */
  protected override notReadyReason(): string | undefined {
    if (keyedForCalls(this.config.apiKey, this.config.deployments)) return undefined;
    return missingSettingReason(CONFIG_PATH, 'apiKey', envOf(ANTHROPIC_CONFIG_SCHEMA, 'apiKey'));
  }

  /** The client of the attempt's deployment, else the provider's own. */
  private clientOf(model: AnthropicModelHandle, context: CallContext): Anthropic {
    return context.deployment ? this.deploymentClients.get(context.deployment) : model.client;
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
    this.client ??= this.buildClient(this.config, this.upstream);
    return this.client;
  }

  /** An SDK client for `settings` (the provider's or a deployment's), sending through `upstream`. */
  private buildClient(settings: AnthropicProviderConfig, upstream: UpstreamFetch): Anthropic {
    return new Anthropic({
      apiKey: settings.apiKey,
      baseURL: settings.baseURL,
      maxRetries: 0,
      timeout: settings.timeoutMs,
      // Every answer is bounded, through a fetch from config too.
      fetch: boundFetch(upstream.fetch(settings.fetch, this.deps.transport, settings.transport), this.responseLimits, { provider: this.provider }),
      openTelemetry: false,
      logger: sdkLogger(this.deps.logger, 'anthropic SDK'),
      logLevel: 'warn',
    });
  }

  protected async loadModel(modelId: string): Promise<AnthropicModelHandle> {
    return { client: this.getClient(), modelId };
  }

  /** The base checks, then the fields this API cannot carry: refused before any span or request (refusals.ts). */
  protected override assertCallable(request: ProviderRequest, context: CallContext): void {
    super.assertCallable(request, context);
    refuseUncarried(request);
  }

  protected async doGenerate(model: AnthropicModelHandle, request: ProviderRequest, context: CallContext): Promise<ProviderResult> {
    const { body, answerTool } = toMessagesRequest(request, this.config.defaultMaxTokens);
    const message = await this.clientOf(model, context).messages.create({ ...body, stream: false }, { signal: context.signal });
    return mapMessage(message, { provider: this.provider, model: request.modelId }, answerTool);
  }

  protected override async *doStream(model: AnthropicModelHandle, request: ProviderRequest, context: CallContext): AsyncIterable<ProviderStreamPart> {
    const { body, answerTool } = toMessagesRequest(request, this.config.defaultMaxTokens);
    const events = await this.clientOf(model, context).messages.create({ ...body, stream: true }, { signal: context.signal });
    yield* messageEventsToParts(events, context.signal, { provider: this.provider, model: request.modelId }, answerTool);
  }

  /**
   * `sb.countTokens` through POST /v1/messages/count_tokens (Anthropic has no offline tokenizer for
   * current models): exact, one figure for the whole request, with the usual retries and timeout.
   */
  override async countTokens(request: ProviderRequest, signal: AbortSignal): Promise<TokenMeasure> {
    const { system, messages } = toAnthropicConversation(request);
    const body: MessageCountTokensParams = { model: request.modelId, messages, ...toAnthropicTools(request) };
    if (system !== undefined) body.system = system;
    const counted = await this.sideCall(request, signal, (attemptSignal, deployment) =>
      (deployment ? this.deploymentClients.get(deployment) : this.getClient()).messages.countTokens(body, { signal: attemptSignal }),
    );
    return { perMessage: [], fixed: counted.input_tokens, exact: true };
  }

  /** GET /v1/models through the SDK, each merged with what the catalog knows. */
  override async listModels(): Promise<ModelInfo[]> {
    return this.discoverModels(() => this.getClient().models.list(), undefined, MAX_LISTED_MODELS);
  }

  /** Drop the SDK client and release the transport's pools (the SDK holds no sockets of its own). */
  override async close(): Promise<void> {
    this.client = undefined;
    await Promise.all([this.upstream.close(), this.deploymentClients.close()]);
  }
}

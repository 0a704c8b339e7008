/**
 * OpenAIManager: OpenAI (and, through OpenAICompatibleManager, every server speaking its API) on the
 * official `openai` SDK. Chat completions serve both operations; streams ask for the usage chunk.
 * Rich messages (tools, tool calls and results, image parts, JSON formats, a reasoning effort) map
 * in convert-*.ts and back in read-answer.ts; a thinking budget, which this wire cannot carry, is
 * refused before any request.
 * The SDK client is built once, lazily, with `maxRetries: 0` (BaseLLMManager owns the one retry loop)
 * and with config as its only input: environment variables the SDK would otherwise read
 * (OPENAI_ORG_ID, OPENAI_PROJECT_ID, OPENAI_ADMIN_KEY, OPENAI_LOG) are switched off, and its log
 * lines go to our logger rather than the console.
 */
import OpenAI, { type ClientOptions } from 'openai';
import type { ErrorQuirks } from '../../core/error-mapping.js';
import type { CallContext, EmbedSupport, ModelInfo, ProviderEmbedding, ProviderEmbedRequest, ProviderRequest, ProviderResult, ProviderStreamPart, ValidationResult } from '../../core/types.js';
import { IMAGE_TOKENS_ESTIMATE } from '../../resilience/input-limits.js';
import { BaseLLMManager, type ManagerDeps, type ProviderSupport, type TokenMeasure } from '../base-llm-manager.js';
import { endpointAddress, sdkLogger, UpstreamFetch } from '../hosted-endpoint.js';
import { missingSettingReason, validationOf } from '../provider-definition.js';
import { OPENAI_PROVIDER, OPENAI_SDK_ERROR_QUIRKS, validateOpenAIConfig, type OpenAIProviderConfig } from './openai-config.js';
import { assertChatCompletionCarries, toChatCompletionBody } from './convert-request.js';
import { mapChatCompletion } from './map-response.js';
import { SseDoneTracker } from './sse-done-tracker.js';
import { chatChunksToParts } from './stream-parts.js';
import { measureOpenAIChat, openAIEncodingFor } from './openai-tokens.js';
import { DeploymentClients } from '../../routing/deployment-clients.js';
import { deploymentSettings, keyedForCalls } from '../../routing/deployment-config.js';
import { createOpenAIEmbeddings, openAIEmbedSupport } from './openai-embed.js';

/** What the model cache holds for an OpenAI model: the shared client and the model name. */
export interface OpenAIModelHandle {
  client: OpenAI;
  modelId: string;
}

/** Who this manager is, for providers built on it (openAICompatibleProvider, the named endpoints). */
export interface OpenAIManagerOptions {
  /** Provider name (the `provider` in `provider:model`); default `openai`. */
  provider?: string;
  /** The environment variable users set for the key, named in "not ready" messages; default `OPENAI_API_KEY`. */
  apiKeyEnv?: string;
  /** Dotted config path of this provider's settings, for messages; default `providers.<provider>`. */
  configPath?: string;
  /** How its failures are mapped beyond plain HTTP; default the openai SDK's (OPENAI_SDK_ERROR_QUIRKS). */
  errorQuirks?: ErrorQuirks;
}

/** A listing larger than this is cut: discovery wants the chat models, not an unbounded catalogue. */
const MAX_LISTED_MODELS = 5_000;

/** Model families on api.openai.com that the chat completions endpoint does not serve. */
const NON_CHAT_MODELS = /embedding|tts|whisper|dall-e|moderation|davinci|babbage|transcribe|realtime|audio|image|sora/i;

/** The OpenAI provider. */
export class OpenAIManager extends BaseLLMManager<OpenAIModelHandle> {
  /** `openai`, or the name given in the options. */
  readonly provider: string;
  protected override readonly streamsHonourAbort = true;
  /**
   * Chat completions carry tools, image parts, JSON answers and a reasoning effort; OpenAI-compatible
   * servers take the same fields (one that does not answers 400, mapped as usual).
   */
  protected override readonly supports: ProviderSupport = { tools: true, vision: true, json: true, reasoning: true };
  protected readonly config: OpenAIProviderConfig;
  /** The env var named when the key is missing. */
  protected readonly apiKeyEnv: string;
  /** Dotted config path, e.g. `providers.openai`. */
  protected readonly configPath: string;
  /** Read by BaseLLMManager.errorOrigin: the SDK's (and the provider's) departures from plain HTTP. */
  protected override readonly errorQuirks: ErrorQuirks;
  private client?: OpenAI;
  private readonly doneTracker = new SseDoneTracker();
  /** Config's `fetch`, else the transport's pools (src/transport/). */
  private readonly upstream: UpstreamFetch;
  /** One client per configured deployment (own key, base URL, pools), made on its first attempt. */
  private readonly deploymentClients: DeploymentClients<OpenAI>;

  constructor(deps: ManagerDeps, config: OpenAIProviderConfig, options: OpenAIManagerOptions = {}) {
    super(deps);
    this.config = config;
    this.provider = options.provider ?? OPENAI_PROVIDER.id;
    this.apiKeyEnv = options.apiKeyEnv ?? OPENAI_PROVIDER.apiKeyEnv;
    this.configPath = options.configPath ?? `providers.${this.provider}`;
    this.errorQuirks = options.errorQuirks ?? OPENAI_SDK_ERROR_QUIRKS;
    this.upstream = new UpstreamFetch({ provider: this.provider });
    // Config registers keys it loads; a manager built by hand registers its own.
    this.keepSecret(config.apiKey);
    const deployments = config.deployments ?? [];
    this.useDeployments(deployments);
    this.deploymentClients = new DeploymentClients(this.provider, deployments.length, (index, upstream) => new OpenAI(this.clientOptions(deploymentSettings(this.config, deployments[index]!), upstream)));
  }

  /** The client of the attempt's deployment, else the provider's own. */
  private clientOf(model: OpenAIModelHandle, context: CallContext): OpenAI {
    return context.deployment ? this.deploymentClients.get(context.deployment) : model.client;
  }

  /** Readiness and capabilities (the base), then what chat completions cannot carry (a thinking budget). */
  protected override assertCallable(request: ProviderRequest, context: CallContext): void {
    super.assertCallable(request, context);
    assertChatCompletionCarries(request, this.provider);
  }

  /** Ready with the provider's key, or when every deployment brings its own. */
  protected override notReadyReason(): string | undefined {
    return keyedForCalls(this.config.apiKey, this.config.deployments) ? undefined : missingSettingReason(this.configPath, 'apiKey', this.apiKeyEnv);
  }

  protected override serverAddress(): { address: string; port?: number } | undefined {
    return endpointAddress(this.config.baseURL);
  }

  /** Base URL (required, http(s), no credentials), timeout and key shape, under `configPath`. */
  override validateConfig(): ValidationResult {
    return validationOf(validateOpenAIConfig(this.config, this.configPath));
  }

  protected override defaultModelInfo(_modelId: string): Partial<ModelInfo> {
    return { local: false };
  }

  /** The SDK client options of `settings` (a deployment's, or the provider's); OpenAICompatibleManager adjusts authentication. */
  protected clientOptions(settings: OpenAIProviderConfig = this.config, upstream: UpstreamFetch = this.upstream): ClientOptions {
    return {
      apiKey: settings.apiKey,
      adminAPIKey: null,
      organization: settings.organization ?? null,
      project: null,
      baseURL: settings.baseURL,
      maxRetries: 0,
      timeout: settings.timeoutMs,
      // Bounded inside the [DONE] tracker, so a body cut at its bound can never look finished; a
      // fetch from config is wrapped the same way (every upstream answer is bounded).
      fetch: this.doneTracker.wrap(upstream.fetch(settings.fetch, this.deps.transport, settings.transport), this.responseLimits, { provider: this.provider }),
      logger: sdkLogger(this.deps.logger, 'openai SDK'),
      logLevel: 'warn',
    };
  }

  /** The shared client, built on first use (so a provider without a key never builds one). */
  protected getClient(): OpenAI {
    this.client ??= new OpenAI(this.clientOptions());
    return this.client;
  }

  /** Whether a listed model belongs in discovery (chat-capable). */
  protected isChatModel(modelId: string): boolean {
    return !NON_CHAT_MODELS.test(modelId);
  }

  protected async loadModel(modelId: string): Promise<OpenAIModelHandle> {
    // Made when first asked for: with deployments every attempt uses theirs, and the SDK refuses to
    // build a client without a key, which a provider whose deployments bring the keys need not have.
    const client = () => this.getClient();
    return {
      modelId,
      get client(): OpenAI {
        return client();
      },
    };
  }

  protected async doGenerate(model: OpenAIModelHandle, request: ProviderRequest, context: CallContext): Promise<ProviderResult> {
    const completion = await this.clientOf(model, context).chat.completions.create({ ...toChatCompletionBody(request, this.provider), stream: false }, { signal: context.signal });
    return mapChatCompletion(completion, { provider: this.provider, model: request.modelId });
  }

  protected override doStream(model: OpenAIModelHandle, request: ProviderRequest, context: CallContext): AsyncIterable<ProviderStreamPart> {
    // The chunk translator opens the request itself: one async-generator layer less per chunk.
    return chatChunksToParts(async () => {
      const { data: chunks, response } = await this.clientOf(model, context).chat.completions
        .create({ ...toChatCompletionBody(request, this.provider), stream: true, stream_options: { include_usage: true } }, { signal: context.signal })
        .withResponse();
      return { chunks, sawDone: () => this.doneTracker.sawDone(response) };
    }, context.signal, { provider: this.provider, model: request.modelId });
  }

  /** `POST /embeddings` through the SDK (openai-embed.ts), on the attempt's deployment: every OpenAI-compatible server takes it too. */
  protected override doEmbed(model: OpenAIModelHandle, request: ProviderEmbedRequest, context: CallContext): Promise<ProviderEmbedding> {
    return createOpenAIEmbeddings(this.clientOf(model, context), request, context.signal, { provider: this.provider, model: request.modelId });
  }

  /** 2048 inputs per request, fewer when the answer would outgrow `limits.maxResponseBytes`; `dimensions` on text-embedding-3 models. */
  override embedSupport(modelId: string, dimensions?: number): EmbedSupport {
    return openAIEmbedSupport(modelId, this.responseLimits, dimensions);
  }

  /** Exact counts for OpenAI model families (gpt-tokenizer); other models (a compatible server's) are estimated. */
  override async measureTokens(request: ProviderRequest): Promise<TokenMeasure | undefined> {
    const encoding = openAIEncodingFor(request.modelId);
    return encoding === undefined ? undefined : measureOpenAIChat(encoding, request.messages, request.tools, IMAGE_TOKENS_ESTIMATE);
  }

  /** GET /models through the SDK, chat models only, each merged with what the catalog knows. */
  override async listModels(): Promise<ModelInfo[]> {
    return this.discoverModels(() => this.getClient().models.list(), (id) => this.isChatModel(id), MAX_LISTED_MODELS);
  }

  /** Drop the SDK client and release the transport's pools (the SDK holds no sockets of its own). */
  override async close(): Promise<void> {
    this.client = undefined;
    await Promise.all([this.upstream.close(), this.deploymentClients.close()]);
  }
}

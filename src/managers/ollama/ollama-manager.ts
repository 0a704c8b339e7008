/**
 * OllamaManager: the native Ollama API over plain fetch. Chats go to `/api/chat`, text completions
 * to `/api/generate` (or `/api/chat` when they offer tools), both as one JSON answer or an NDJSON
 * stream that only counts as finished on its `done: true` line. Tools, images, `format` and `think`
 * map both ways (convert-request.ts, map-response.ts). Usage comes from `prompt_eval_count` /
 * `eval_count`; discovery from `/api/tags` and `/api/show`. Ollama needs no credentials, so the
 * manager is always ready. Config `deployments` (src/routing/) are replicas: each its own base URL,
 * timeout and pooled transport; the router picks one per attempt.
 */
import { malformedAnswer } from '../../core/answer-errors.js';
import { ProviderError } from '../../core/errors.js';
import type { CallContext, EmbedSupport, ModelInfo, ProviderEmbedding, ProviderEmbedRequest, ProviderRequest, ProviderResult, ProviderStreamPart, ValidationResult } from '../../core/types.js';
import { BaseLLMManager, type ManagerDeps } from '../base-llm-manager.js';
import { UpstreamFetch } from '../hosted-endpoint.js';
import { validationOf } from '../provider-definition.js';
import { OLLAMA_ID, validateOllamaConfig, type OllamaProviderConfig } from './ollama-config.js';
import { discoverOllamaModels } from './ollama-discovery.js';
import { readNdjson, requestOllama, type OllamaHttpOptions } from './ollama-http.js';
import { buildOllamaRequest } from './convert-request.js';
import { OllamaStreamMapper, toProviderResult } from './map-response.js';
import { checkAnswer } from './ollama-wire.js';
import { OLLAMA_EMBED_MAX_INPUTS, ollamaEmbed } from './ollama-embed.js';
import { DeploymentClients } from '../../routing/deployment-clients.js';
import { deploymentSettings } from '../../routing/deployment-config.js';

/** The handle the ModelCache keeps for an Ollama model: the server holds the weights. */
export interface OllamaModelHandle {
  model: string;
}

/** The Ollama provider (`ollama:<model>`, e.g. `ollama:llama3.2:3b`). */
export class OllamaManager extends BaseLLMManager<OllamaModelHandle> {
  readonly provider = OLLAMA_ID;
  protected override readonly streamsHonourAbort = true;
  /** /api/chat carries tools, images (as bytes), `format` and `think` (convert-request.ts). */
  protected override readonly supports = { tools: true, vision: true, json: true, reasoning: true };
  private readonly config: OllamaProviderConfig;
  /** Config's `fetch`, else the transport's pools (src/transport/). */
  private readonly upstream = new UpstreamFetch({ provider: OLLAMA_ID });
  /** Each deployment's settings and pools, made on its first attempt. */
  private readonly deploymentServers: DeploymentClients<{ settings: OllamaProviderConfig; upstream: UpstreamFetch }>;

  constructor(deps: ManagerDeps | undefined, config: OllamaProviderConfig) {
    super(deps);
    this.config = config;
    const deployments = config.deployments ?? [];
    this.useDeployments(deployments);
    this.deploymentServers = new DeploymentClients(OLLAMA_ID, deployments.length, (index, upstream) => ({ settings: deploymentSettings(config, deployments[index]!), upstream }));
  }

  /** The provider's own server (discovery, and calls of a provider without deployments). */
  private get http(): OllamaHttpOptions {
    return this.httpOf(this.config, this.upstream);
  }

  /** How one attempt reaches its server: the attempt's deployment, else the provider's. */
  private attemptHttp(context: CallContext): OllamaHttpOptions {
    if (!context.deployment) return this.http;
    const server = this.deploymentServers.get(context.deployment);
    // A deployment without its own timeoutMs runs on the provider's: name the key that applies.
    const own = this.config.deployments?.[context.deployment.index]?.timeoutMs !== undefined;
    return this.httpOf(server.settings, server.upstream, own ? `providers.${OLLAMA_ID}.deployments[${context.deployment.index}].timeoutMs` : undefined);
  }

  private httpOf(settings: OllamaProviderConfig, upstream: UpstreamFetch, timeoutKey?: string): OllamaHttpOptions {
    // A fetch from config is bounded too: requestOllama bounds every answer.
    const fetch = upstream.fetch(settings.fetch, this.deps.transport, settings.transport);
    const http: OllamaHttpOptions = { baseURL: settings.baseURL, fetch, timeoutMs: settings.timeoutMs, limits: this.responseLimits };
    if (timeoutKey) http.timeoutKey = timeoutKey;
    return http;
  }

  /** Checks the base URL, keep_alive and timeout before any call is made. */
  override validateConfig(): ValidationResult {
    return validationOf(validateOllamaConfig(this.config, `providers.${OLLAMA_ID}`));
  }

  protected override serverAddress(): { address: string; port?: number } | undefined {
    try {
      const url = new URL(this.config.baseURL);
      return { address: url.hostname, port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80 };
    } catch {
      return undefined;
    }
  }

  protected override defaultModelInfo(): Partial<ModelInfo> {
    return { local: true };
  }

  /**
   * Also refuses what Ollama cannot carry (a forced tool choice, https images, a thinking budget,
   * arguments that are no JSON object, reserved providerOptions) before an attempt starts: the body is
   * built once here for its checks, and again for the request.
   */
  protected override assertCallable(request: ProviderRequest, context: CallContext): void {
    super.assertCallable(request, context);
    buildOllamaRequest(request, false, this.config.keepAlive);
  }

  /** The server loads weights itself (on first use, kept per keep_alive): the handle is just the name. */
  protected async loadModel(modelId: string): Promise<OllamaModelHandle> {
    return { model: modelId };
  }

  /** Release the transport's pools (the provider's and every deployment's). */
  override async close(): Promise<void> {
    await Promise.all([this.upstream.close(), this.deploymentServers.close()]);
  }

  /** The models pulled on the server, with context length and size (`GET /api/tags`, `POST /api/show`). */
  override async listModels(): Promise<ModelInfo[]> {
    return discoverOllamaModels(this.http, this.provider);
  }

  /** `/api/embed` (ollama-embed.ts): 512 texts per request, `dimensions` passed on. */
  override embedSupport(): EmbedSupport {
    return { maxInputs: OLLAMA_EMBED_MAX_INPUTS, dimensions: true };
  }

  protected override doEmbed(handle: OllamaModelHandle, request: ProviderEmbedRequest, context: CallContext): Promise<ProviderEmbedding> {
    return ollamaEmbed(this.attemptHttp(context), { ...request, modelId: handle.model }, this.config.keepAlive, context.signal, { provider: this.provider, model: request.modelId });
  }

  protected async doGenerate(handle: OllamaModelHandle, request: ProviderRequest, context: CallContext): Promise<ProviderResult> {
    const { endpoint, body } = buildOllamaRequest({ ...request, modelId: handle.model }, false, this.config.keepAlive);
    const origin = { provider: this.provider, model: request.modelId };
    const response = await requestOllama(this.attemptHttp(context), endpoint, { method: 'POST', body, signal: context.signal }, origin);
    const answer = checkAnswer(JSON.parse(await response.text()), origin, true);
    if (typeof answer.error === 'string') throw new ProviderError(`${this.provider}:${request.modelId} failed: ${answer.error}`, { ...origin, retryable: false });
    return toProviderResult(answer);
  }

  protected override async *doStream(handle: OllamaModelHandle, request: ProviderRequest, context: CallContext): AsyncIterable<ProviderStreamPart> {
    const { endpoint, body } = buildOllamaRequest({ ...request, modelId: handle.model }, true, this.config.keepAlive);
    const origin = { provider: this.provider, model: request.modelId };
    const response = await requestOllama(this.attemptHttp(context), endpoint, { method: 'POST', body, signal: context.signal }, origin);
    const mapper = new OllamaStreamMapper();
    let carriedText = false;
    for await (const line of readNdjson<unknown>(response, origin, this.responseLimits.maxEventBytes)) {
      const chunk = checkAnswer(line, origin, false);
      if (typeof chunk.error === 'string') {
        // Ollama reports failures after the headers as an `error` line; a retry may well succeed.
        throw new ProviderError(`${this.provider}:${request.modelId} failed while streaming: ${chunk.error}`, { ...origin, retryable: true });
      }
      carriedText ||= chunk.message !== undefined || chunk.response !== undefined;
      // A `done` line after lines without any message is no answer, not an empty one.
      if (chunk.done === true && !carriedText) throw malformedAnswer(origin, 'the stream carried no message');
      yield* mapper.parts(chunk);
      if (chunk.done === true) return;
    }
    // The body ended without its `done: true` line: no finish part, so the base reports an interruption.
  }
}

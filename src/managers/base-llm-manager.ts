/**
 * BaseLLMManager: the template method every provider fills in. The public methods own what every
 * provider shares (model loading through the ModelCache, the one retry loop, timeouts, the GenAI
 * inference span, usage and cost); subclasses write only `loadModel`, `doGenerate`, optionally
 * `doStream`, `unloadModel`, `listModels` and their readiness check.
 */
import type { ModelOwner } from '../cache/model-cache.js';
import { throwIfAborted } from '../core/abort.js';
import { mapProviderError, type ErrorOrigin, type ErrorQuirks } from '../core/error-mapping.js';
import { AuthenticationError, InvalidRequestError, type LLMError } from '../core/errors.js';
import { requestTexts } from '../core/request-text.js';
import { processSecrets, SecretRegistry } from '../core/secrets.js';
import type { CallContext, CandidateContext, EmbedSupport, ManagedEmbedding, ManagedResult, ManagedStreamPart, ModelInfo, ProviderEmbedding, ProviderEmbedRequest, ProviderRequest, ProviderResult, ProviderStatus, ProviderStreamPart, ValidationResult } from '../core/types.js';
import { noopEmbedding, type InferenceRecorder } from '../telemetry/observer.js';
import { DEFAULT_RESPONSE_LIMITS, type ResponseLimits } from '../transport/bounded-fetch.js';
import { ModelCall, type ModelPort } from './model-call.js';
import { runSideCall } from './side-call.js';
import { discoverModelInfos } from './model-discovery.js';
import { runEmbedBatch, type EmbedPort } from './embed-call.js';
import { refuseUnsupported } from './capability-refusal.js';
import { managedResult, resultAsParts } from './provider-answer.js';
import { DEFAULT_EMBED_BATCH, type ManagerDeps, type ProviderSupport, type TokenMeasure } from './manager-deps.js';
import { ManagerDeployments, type DeploymentConfig, type DeploymentRef, type DeploymentStats } from '../routing/manager-deployments.js';

export type { ResilienceSettings } from './model-call.js';
export type { ManagerDeps, ProviderSupport, TokenMeasure } from './manager-deps.js';
export { DEFAULT_EMBED_BATCH } from './manager-deps.js';

/** Longest `id` / `model` an upstream answer may set on a result; longer is cut. */
const MAX_UPSTREAM_FIELD_CHARS = 256;

/** The template method for one provider. `TModel` is whatever `loadModel` returns. */
export abstract class BaseLLMManager<TModel = unknown> implements ModelOwner {
  /** Provider name, the part before the colon in `provider:model`. */
  abstract readonly provider: string;
  /** How its SDK departs from plain HTTP when it fails (error-mapping.ts ErrorQuirks, from the definition); absent = HTTP only. */
  protected readonly errorQuirks?: ErrorQuirks;
  /** In-process providers (llama.cpp) get INTERNAL spans; hosted ones CLIENT. */
  readonly inProcess: boolean = false;
  /**
   * True when this manager's streams reject a pending read as soon as `context.signal` aborts (every
   * built-in manager does; the contract suite checks it). Then stream timeouts just abort; otherwise
   * each chunk wait also races the timeout, which costs a few promises per chunk.
   */
  protected readonly streamsHonourAbort: boolean = false;
  /**
   * What this manager's wire format carries besides text: `tools` (definitions, calls and results),
   * `vision` (image parts), `json` (responseFormat json / json_schema), `reasoning` (params.reasoning).
   * A request needing one it lacks is refused before any network call (UnsupportedCapabilityError,
   * so the pipeline moves to the next candidate). None by default: a provider written before rich
   * messages refuses tools rather than dropping them silently.
   */
  protected readonly supports: ProviderSupport = {};

  private attachedDeps: ManagerDeps | undefined;
  /** `serverAddress()` asked once: parsing a base URL on every call is waste. */
  private server: { value: { address: string; port?: number } | undefined } | undefined;
  /** Deps given to the constructor stay; deps attached by a registry follow the latest registry. */
  private readonly ownsDeps: boolean;
  /** The port its calls use, built on first use and again when the deps (and so the settings) change. */
  private port: ModelPort<TModel> | undefined;
  /** The port its embedding batches use, rebuilt like `port`. */
  private embedding: EmbedPort<TModel> | undefined;
  /** Credentials this manager holds, registered with whichever deps it gets (constructor or attach). */
  private readonly ownSecrets: string[] = [];
  /** Scrubs with this manager's own credentials when its deps bring no registry (hand-built deps in tests). */
  private readonly localSecrets = new SecretRegistry(processSecrets);
  /** Config `deployments` and their router (src/routing/). */
  private readonly deployments = new ManagerDeployments(() => this.provider, () => this.attachedDeps);

  /**
   * Built-in managers get their deps from the container. A manager built by a user (a custom
   * provider, the testing FakeProvider) may omit them: `registry.register(manager)` attaches them.
   */
  constructor(deps?: ManagerDeps) {
    this.attachedDeps = deps;
    this.ownsDeps = deps !== undefined;
  }

  /** Shared services: model cache, catalog, telemetry, logger, resilience settings. */
  protected get deps(): ManagerDeps {
    if (!this.attachedDeps) {
      throw new InvalidRequestError(`Manager "${this.provider}" is not registered: pass it to sb.registry.register(manager) first`);
    }
    return this.attachedDeps;
  }

  /** The bounds every upstream answer passes through (bounded-fetch.ts); the defaults until deps bring `responseLimits`. */
  protected get responseLimits(): ResponseLimits {
    return this.attachedDeps?.responseLimits ?? DEFAULT_RESPONSE_LIMITS;
  }

  /** True once deps are attached (by the constructor or the registry). */
  get isAttached(): boolean {
    return this.attachedDeps !== undefined;
  }

  /**
   * Give a manager built without deps the switchboard's; the registry calls this on `register`.
   * Registering the same user-built manager with a newer switchboard moves it there.
   */
  attach(deps: ManagerDeps): void {
    if (this.ownsDeps) return;
    this.attachedDeps = deps;
    for (const value of this.ownSecrets) deps.secrets?.register(value);
  }

  /**
   * Keep a credential out of everything this manager emits: registered with the switchboard's secret
   * registry (now when deps are there, else when a registry attaches them). Subclasses call it for
   * their API keys; config keys are registered already, a hand-built manager's are not.
   */
  protected keepSecret(value: string | undefined): void {
    if (!value) return;
    this.ownSecrets.push(value);
    this.localSecrets.register(value);
    this.attachedDeps?.secrets?.register(value);
  }

  /** Route attempts over config `deployments` (subclass constructors; empty: none). Their keys are secrets. */
  protected useDeployments(deployments: readonly DeploymentConfig[] | undefined): void {
    for (const deployment of this.deployments.configure(deployments)) this.keepSecret(deployment.apiKey);
  }

  /** `stats().byDeployment` entries of this provider, keyed `provider/deployment` (empty without deployments). */
  deploymentStats(): Record<string, DeploymentStats> {
    return this.deployments.stats();
  }

  /** The registry upstream text is scrubbed with. */
  protected get secrets(): SecretRegistry {
    return this.attachedDeps?.secrets ?? this.localSecrets;
  }

  /**
   * Where an attempt's failure happened, with the cleaning of upstream text: the registry's scrubbing
   * after taking out whatever the request itself carried (an upstream quoting a caller's guess back
   * must not turn the scrubbing into an oracle; secrets.ts).
   */
  protected errorOrigin(request: ProviderRequest): ErrorOrigin {
    const secrets = this.secrets;
    return { provider: this.provider, model: request.modelId, quirks: this.errorQuirks, clean: (text) => secrets.scrubUpstream(text, requestTexts(request)) };
  }

  /** An `id` / `model` field an upstream answered with, bounded and cleaned (undefined stays undefined). */
  protected upstreamField(value: unknown, request: Pick<ProviderRequest, 'modelId'>): string | undefined {
    if (typeof value !== 'string' || value === '') return undefined;
    // The model echoed back exactly is the caller's own text: nothing to clean, nothing to learn.
    if (value === request.modelId) return value;
    return this.secrets.scrubUpstream(value, [request.modelId], MAX_UPSTREAM_FIELD_CHARS);
  }

  /** Load (or fetch the handle of) a model on a ModelCache miss. */
  protected abstract loadModel(modelId: string): Promise<TModel>;
  /** Free what `loadModel` took; called once when the model leaves the cache. */
  protected unloadModel?(model: TModel): Promise<void>;
  /** One attempt at a complete answer. Throw provider/SDK errors as they come: the base maps them. */
  protected abstract doGenerate(model: TModel, request: ProviderRequest, context: CallContext): Promise<ProviderResult>;
  /**
   * One attempt at a stream; must end with a `finish` part (a stream without one is an interruption).
   * Optional: without it, streaming yields the whole answer as one delta.
   */
  protected doStream?(model: TModel, request: ProviderRequest, context: CallContext): AsyncIterable<ProviderStreamPart>;
  /**
   * One upstream request for the embeddings of `request.input` (at most `embedSupport().maxInputs`
   * texts): one vector per input, in order, as the provider sent them. Optional: a provider without
   * embeddings leaves it out, and `sb.embed` refuses it before any call. Throw what the SDK throws.
   */
  protected doEmbed?(model: TModel, request: ProviderEmbedRequest, context: CallContext): Promise<ProviderEmbedding>;

  /** Why calls cannot be made (missing credentials), or undefined when ready. Checked before any network call. */
  protected notReadyReason(): string | undefined {
    return undefined;
  }

  /** Host and port for `server.address` / `server.port`, when the provider is remote. Asked once per manager. */
  protected serverAddress(): { address: string; port?: number } | undefined {
    return undefined;
  }

  /** Defaults for models the catalog does not list. */
  protected defaultModelInfo(_modelId: string): Partial<ModelInfo> {
    return { local: this.inProcess };
  }

  /** True when this provider serves embeddings (it implements `doEmbed`). */
  get embeds(): boolean {
    return this.doEmbed !== undefined;
  }

  /**
   * How this provider takes embedding requests for `modelId` (of `dimensions`, when the call asks for
   * them): its batch size (longer input lists are split) and whether `dimensions` is honoured.
   * Providers with embeddings override it.
   */
  embedSupport(_modelId: string, _dimensions?: number): EmbedSupport {
    return { maxInputs: DEFAULT_EMBED_BATCH, dimensions: false };
  }

  /** Readiness as `registry.listProviders()` shows it. */
  status(): ProviderStatus {
    const reason = this.notReadyReason();
    return reason ? { name: this.provider, ready: false, reason } : { name: this.provider, ready: true };
  }

  /** Check this provider's settings; the registry reports problems at start-up. */
  validateConfig(): ValidationResult {
    return { ok: true, problems: [] };
  }

  /** What is known about a model (catalog plus discovery; a minimal entry for unlisted hosted models). */
  getModelInfo(modelId: string): ModelInfo {
    return this.deps.catalog.resolve(this.provider, modelId, this.defaultModelInfo(modelId));
  }

  /** Models this provider offers; the default lists the catalog's entries for it. Discovery overrides this. */
  async listModels(): Promise<ModelInfo[]> {
    return this.deps.catalog.list().filter((info) => info.provider === this.provider);
  }

  /** Discovery over `{ id }` pages: readiness first, each id merged with the catalog, at most `max` (bounded). */
  protected async discoverModels(list: () => AsyncIterable<{ id: string }>, keep: (id: string) => boolean = () => true, max = 5_000): Promise<ModelInfo[]> {
    this.assertReady();
    return discoverModelInfos(list, keep, max, (id) => this.getModelInfo(id), { provider: this.provider, quirks: this.errorQuirks });
  }

  /** The loaded model instance, through the ModelCache (loads on a miss). */
  async getModel(modelId: string): Promise<TModel> {
    const lease = await this.acquireModel(modelId);
    lease.release();
    return lease.model;
  }

  /** ModelOwner: the cache calls this exactly once per evicted model. */
  async releaseModel(model: unknown): Promise<void> {
    await this.unloadModel?.(model as TModel);
  }

  /** Close clients and free resources (the switchboard's `close()` calls it after the cache is cleared). */
  async close(): Promise<void> {}

  /**
   * Hold a model for one attempt; eviction waits until it is released. `info` saves looking the model
   * up again; `signal` (the attempt's) stops waiting for a slow load when the call is aborted or times out.
   */
  protected acquireModel(modelId: string, info: ModelInfo = this.getModelInfo(modelId), signal?: AbortSignal) {
    // Only in-process weights use this process's memory; a server's (remote or a local Ollama) must not
    // count. A hosted model's handle goes to the hosted pool, so handles never evict loaded weights.
    const kind = this.inProcess ? 'local' : 'hosted';
    const bytes = this.inProcess ? info.memoryBytes : undefined;
    return this.deps.modelCache.acquire<TModel>(`${this.provider}:${modelId}`, this, () => this.loadModel(modelId), bytes, signal, kind);
  }

  /**
   * The tokens of a request for one of this provider's models, counted by the model's own tokenizer
   * without any network call (API.md `countTokens`); undefined when this provider has none locally (the
   * pipeline then estimates). Used for the context-window check and history trimming, near a limit only.
   */
  async measureTokens(_request: ProviderRequest): Promise<TokenMeasure | undefined> {
    return undefined;
  }

  /**
   * `sb.countTokens` for this provider: `measureTokens` by default; a provider whose tokenizer lives
   * behind an endpoint overrides this (with the call's signal and the usual error mapping).
   */
  async countTokens(request: ProviderRequest, _signal: AbortSignal): Promise<TokenMeasure | undefined> {
    return this.measureTokens(request);
  }

  /**
   * A provider request beside a generation (a count endpoint, embeddings): readiness checked, then
   * the generation's retry policy, total timeout and error mapping (side-call.ts). With deployments,
   * each attempt gets the router's pick (`deployment`: use its client), counted against its rpm.
   */
  protected sideCall<T>(request: ProviderRequest, signal: AbortSignal, attempt: (signal: AbortSignal, deployment?: DeploymentRef) => Promise<T>): Promise<T> {
    this.assertReady(request.modelId);
    const pool = this.deployments.router;
    // A count generates nothing: only the request is charged to the deployment, no tokens.
    const routing = pool && { pool, modelId: request.modelId, tokens: 0 };
    const port = { resilience: this.deps.resilience, mapError: (error: unknown, attemptSignal: AbortSignal) => this.mapError(error, request, attemptSignal), where: `${this.provider}:${request.modelId}`, routing };
    return runSideCall(port, signal, attempt);
  }

  /** Throw AuthenticationError (naming what to set) when the provider is not ready; aborts too. */
  protected assertCallable(request: ProviderRequest, context: CallContext): void {
    throwIfAborted(context.signal);
    this.assertReady(request.modelId);
    refuseUnsupported(request, this.supports, this.provider);
  }

  /** Throw AuthenticationError naming what to set when the provider is not ready (checked before any network call). */
  private assertReady(modelId?: string): void {
    const reason = this.notReadyReason();
    if (reason) throw new AuthenticationError(`Provider "${this.provider}" is not ready: ${reason}`, modelId === undefined ? { provider: this.provider } : { provider: this.provider, model: modelId });
  }

  /** Map anything thrown by an attempt to our error classes. */
  protected mapError(error: unknown, request: ProviderRequest, signal?: AbortSignal): LLMError {
    return mapProviderError(error, this.errorOrigin(request), signal);
  }

  /**
   * One batch of embeddings (`sb.embed` splits longer input lists by `embedSupport`): readiness, then
   * the side-call retry loop and total timeout with a model lease per attempt, the answer checked, the
   * `embeddings {model}` span, usage and cost (embed-call.ts). A provider without `doEmbed` is refused.
   */
  async embedResponse(request: ProviderEmbedRequest, context: CandidateContext): Promise<ManagedEmbedding> {
    throwIfAborted(context.signal);
    if (!this.doEmbed) {
      throw new InvalidRequestError(`Provider "${this.provider}" has no embeddings; use a provider that embeds (openai, OpenAI-compatible endpoints, huggingface, ollama, llamacpp)`, { provider: this.provider, model: request.modelId });
    }
    this.assertReady(request.modelId);
    const info = context.modelInfo ?? this.getModelInfo(request.modelId);
    const start = { provider: this.provider, model: request.modelId, inputs: request.input.length, dimensions: request.dimensions, inProcess: this.inProcess, server: (this.server ??= { value: this.serverAddress() }).value, tenantId: context.caller?.tenantId };
    const recorder = this.deps.observer.startEmbedding?.(start) ?? noopEmbedding;
    return runEmbedBatch(this.embedPort, request, context, info, recorder);
  }

  /** What this manager lends its embedding batches (built once, like `runtime`). */
  private get embedPort(): EmbedPort<TModel> {
    if (this.embedding && this.embedding.resilience === this.deps.resilience) return this.embedding;
    const secrets = () => this.secrets;
    this.embedding = {
      provider: this.provider,
      resilience: this.deps.resilience,
      lease: (modelId, info, signal) => this.acquireModel(modelId, info, signal),
      embed: (model, request, context) => this.doEmbed!(model, request, context),
      // Upstream text is cleaned of secrets, except where it quotes the request's own texts back (secrets.ts).
      mapError: (error, request, signal) =>
        mapProviderError(error, { provider: this.provider, model: request.modelId, quirks: this.errorQuirks, clean: (text) => secrets().scrubUpstream(text, [request.modelId, ...request.input]) }, signal),
      upstreamField: (value, request) => this.upstreamField(value, request),
      deployments: this.deployments.router,
    };
    return this.embedding;
  }

  /** One complete answer: retries, the total timeout, span, usage and cost included. */
  async generateResponse(request: ProviderRequest, context: CandidateContext): Promise<ManagedResult> {
    this.assertCallable(request, context);
    const recorder = this.startRecorder(request, context, false);
    let info = context.modelInfo;
    return new ModelCall(this.runtime, request, context, recorder, () => (info ??= this.getModelInfo(request.modelId))).generate();
  }

  /** A stream of deltas then one finish; retried only before the first delta; never ends short silently. */
  streamResponse(request: ProviderRequest, context: CandidateContext): AsyncIterable<ManagedStreamPart> {
    this.assertCallable(request, context);
    const recorder = this.startRecorder(request, context, true);
    // Resolved inside the stream's attempt loop, so a failing look-up is reported like any attempt failure.
    let info = context.modelInfo;
    return new ModelCall(this.runtime, request, context, recorder, () => (info ??= this.getModelInfo(request.modelId))).stream();
  }

  /** What this manager lends its calls (built once: its settings and protected hooks). */
  private get runtime(): ModelPort<TModel> {
    if (this.port && this.port.resilience === this.deps.resilience) return this.port;
    const resilience = this.deps.resilience;
    const field = (value: unknown, request: ProviderRequest) => this.upstreamField(value, request);
    this.port = {
      provider: this.provider,
      resilience,
      raceTimeouts: !this.streamsHonourAbort,
      lease: (modelId, info, signal) => this.acquireModel(modelId, info, signal),
      generate: (model, request, context) => this.doGenerate(model, request, context),
      stream: (model, request, context) => (this.doStream ? this.doStream(model, request, context) : this.streamFromGenerate(model, request, context)),
      mapError: (error, request, signal) => this.mapError(error, request, signal),
      finish: (request, value, attempts, latencyMs, info) => managedResult(`${this.provider}:${request.modelId}`, value, attempts, latencyMs, info, request, field),
      deployments: this.deployments.router,
    };
    return this.port;
  }

  /** For providers without `doStream`: the whole answer as one delta, then finish. */
  private async *streamFromGenerate(model: TModel, request: ProviderRequest, context: CallContext): AsyncIterable<ProviderStreamPart> {
    yield* resultAsParts(await this.doGenerate(model, request, context));
  }

  private startRecorder(request: ProviderRequest, context: CandidateContext, stream: boolean): InferenceRecorder {
    return this.deps.observer.startInference({
      operation: request.operation,
      provider: this.provider,
      model: request.modelId,
      request,
      stream,
      inProcess: this.inProcess,
      server: (this.server ??= { value: this.serverAddress() }).value,
      bot: context.caller?.bot,
      tenantId: context.caller?.tenantId,
      parent: context.telemetryParent,
    });
  }
}

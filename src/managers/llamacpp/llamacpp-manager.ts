/**
 * LlamaCppManager: local GGUF models in-process through node-llama-cpp (an optional peer dependency,
 * imported on first use). `llamacpp:<name>` is `<modelsDir>/<name>.gguf`; loading and unloading go
 * through the ModelCache, so its byte bound (file sizes) decides which models stay in memory.
 *
 * Concurrency: each loaded model has one context sequence and serves one call at a time, in arrival
 * order; at most `maxWaitingCalls` calls wait per model, more fail fast with a retryable RateLimitError.
 * Tools go through node-llama-cpp function calling (a forced call through a grammar), JSON answers
 * through JSON-schema grammars; images and reasoning settings are refused (`supports`).
 */
import { availableParallelism } from 'node:os';
import type { Llama } from 'node-llama-cpp';
import type { CallContext, EmbedSupport, ModelInfo, ProviderEmbedding, ProviderEmbedRequest, ProviderRequest, ProviderResult, ProviderStatus, ProviderStreamPart, ValidationResult } from '../../core/types.js';
import { checkRequest, planGeneration } from './generation-plan.js';
import { BaseLLMManager, type ManagerDeps, type TokenMeasure } from '../base-llm-manager.js';
import { validationOf } from '../provider-definition.js';
import { CallQueue } from './call-queue.js';
import { GgufDirectory, type GgufModelFile } from './gguf-directory.js';
import { countPromptTokens, runChat, streamChat, type LoadedGguf } from './llama-chat-run.js';
import { LLAMACPP_ID, validateLlamaCppConfig, type LlamaCppProviderConfig } from './llamacpp-config.js';
import { NodeLlamaCppLoader, type ImportNodeLlamaCpp } from './node-llama-cpp-loader.js';
import { EmbeddingContexts, embedWithGguf, LLAMACPP_EMBED_MAX_INPUTS } from './llamacpp-embed.js';

/** Options beyond the config block (programmatic only). */
export interface LlamaCppManagerOptions {
  /** Loading progress of a model, 0..1 (the CLI draws a bar from it). */
  onLoadProgress?: (modelId: string, progress: number) => void;
  /** Calls that may wait for one model while it answers another; default 32. */
  maxWaitingCalls?: number;
  /** How node-llama-cpp is imported (bundlers, tests); default `import('node-llama-cpp')`. */
  importModule?: ImportNodeLlamaCpp;
}

const DEFAULT_MAX_WAITING = 32;
/** Function calling and JSON-schema grammars work with any GGUF chat model; images and thinking are not carried. */
const CAPABILITIES: ModelInfo['capabilities'] = { streaming: true, tools: true, vision: false, json: true, reasoning: false };

/** Local GGUF models (`llamacpp:<file name without .gguf>`). */
export class LlamaCppManager extends BaseLLMManager<LoadedGguf> {
  readonly provider = LLAMACPP_ID;
  protected override readonly streamsHonourAbort = true;
  override readonly inProcess = true;
  /** Tools (node-llama-cpp function calling; a grammar for a forced call) and JSON answers (grammars): generation-plan.ts. */
  protected override readonly supports = { tools: true, json: true };
  /** Threads generation uses: config `threads`, or the machine's available parallelism when 0. */
  readonly threads: number;

  private readonly config: LlamaCppProviderConfig;
  private readonly options: LlamaCppManagerOptions;
  private readonly loader: NodeLlamaCppLoader;
  private readonly directory: GgufDirectory;
  private llama: Promise<Llama> | undefined;
  /** Each loaded model's embedding context, made on its first embedding call, freed with the model. */
  private readonly embeddingContexts: EmbeddingContexts;

  constructor(deps: ManagerDeps | undefined, config: LlamaCppProviderConfig, options: LlamaCppManagerOptions = {}) {
    super(deps);
    this.config = config;
    this.options = options;
    // node-llama-cpp's own default (4 threads) on a 2-core machine makes generation ~500x slower.
    this.threads = config.threads > 0 ? Math.floor(config.threads) : availableParallelism();
    this.loader = new NodeLlamaCppLoader(options.importModule);
    this.directory = new GgufDirectory(config.modelsDir, this.loader);
    this.embeddingContexts = new EmbeddingContexts(this.threads);
  }

  /** Absolute path of the models directory. */
  get modelsDir(): string {
    return this.directory.dir;
  }

  /** Not ready when node-llama-cpp is not installed (the reason names the install command). */
  override status(): ProviderStatus {
    const reason = this.loader.unavailableReason();
    return reason ? { name: this.provider, ready: false, reason } : { name: this.provider, ready: true };
  }

  /** Checks threads, context size, the models directory setting and the prices. */
  override validateConfig(): ValidationResult {
    return validationOf(validateLlamaCppConfig(this.config, `providers.${LLAMACPP_ID}`));
  }

  /** Catalog facts first, then what the GGUF file says, then config pricing; never a made-up price. */
  override getModelInfo(modelId: string): ModelInfo {
    const info = super.getModelInfo(modelId);
    const file = this.directory.known(modelId);
    const pricing = info.pricing ?? this.config.pricing?.[modelId];
    return {
      ...info,
      local: true,
      contextWindow: info.contextWindow ?? file?.contextLength,
      memoryBytes: info.memoryBytes ?? file?.bytes,
      ...(pricing ? { pricing: { ...pricing } } : {}),
    };
  }

  protected override defaultModelInfo(): Partial<ModelInfo> {
    return { local: true, capabilities: { ...CAPABILITIES } };
  }

  /** The GGUF files in modelsDir, described from their headers (for discovery). */
  override async listModels(): Promise<ModelInfo[]> {
    const files = await this.directory.list();
    return files.map((file) => this.toModelInfo(file));
  }

  /** The GGUF file behind `llamacpp:<modelId>` with its header facts (architecture, context length). */
  describeModel(modelId: string): Promise<GgufModelFile> {
    return this.directory.find(modelId);
  }

  /**
   * Before a load, look the file up, so the ModelCache learns its size before deciding what to evict
   * (the info resolved before the call is not reused: on a first call it predates the look-up). A
   * loaded model needs no look-up: skipping it saves a `stat` per call and keeps calls in arrival
   * order (file-system answers come back in any order).
   */
  protected override async acquireModel(modelId: string, _info?: ModelInfo, signal?: AbortSignal) {
    if (!this.deps.modelCache.has(`${this.provider}:${modelId}`)) await this.directory.find(modelId);
    return super.acquireModel(modelId, undefined, signal);
  }

  /**
   * The model's own count of the rendered prompt (chat template and function documentation included),
   * exact; loads the model when needed (a call to it would load it anyway). One figure for the whole
   * prompt: the template does not split into messages.
   */
  override async measureTokens(request: ProviderRequest): Promise<TokenMeasure> {
    const lease = await this.acquireModel(request.modelId);
    try {
      const plan = await planGeneration(lease.model.model.llama, request);
      return { perMessage: [], fixed: countPromptTokens(lease.model, plan.history, plan.functions), exact: true };
    } finally {
      lease.release();
    }
  }

  /** Also refuses what llama.cpp cannot take (generation-plan.ts `checkRequest`) before a model is loaded for it. */
  protected override assertCallable(request: ProviderRequest, context: CallContext): void {
    super.assertCallable(request, context);
    checkRequest(request);
  }

  protected async loadModel(modelId: string): Promise<LoadedGguf> {
    const file = await this.directory.find(modelId);
    const bindings = await this.loader.load();
    const llama = await this.getLlama();
    const model = await llama.loadModel({
      modelPath: file.path,
      onLoadProgress: this.options.onLoadProgress ? (progress: number) => this.options.onLoadProgress?.(modelId, progress) : undefined,
    });
    try {
      const trained = model.trainContextSize;
      const contextSize = this.config.contextSize > 0 ? Math.min(this.config.contextSize, trained) : trained;
      const context = await model.createContext({ contextSize, sequences: 1, threads: this.threads });
      return {
        name: modelId,
        file,
        model,
        context,
        sequence: context.getSequence(),
        // The model's own Jinja template when it has one (a few ms); otherwise (or when the template
        // does not render) node-llama-cpp's resolution by architecture, which takes ~0.5 s.
        chatWrapper: bindings.resolveChatWrapper(model, { type: 'jinjaTemplate', warningLogs: false }),
        queue: new CallQueue(this.options.maxWaitingCalls ?? DEFAULT_MAX_WAITING, { provider: this.provider, model: modelId }),
        bindings,
      };
    } catch (error) {
      await model.dispose();
      throw error;
    }
  }

  /** Waits for the call under way (if any), then frees the context and the weights. */
  protected override async unloadModel(loaded: LoadedGguf): Promise<void> {
    await loaded.queue.close();
    await this.embeddingContexts.dispose(loaded);
    await loaded.context.dispose();
    await loaded.model.dispose();
  }

  /** The model's embedding context (llamacpp-embed.ts): 64 texts per batch, no `dimensions` (the length is the model's). */
  override embedSupport(): EmbedSupport {
    return { maxInputs: LLAMACPP_EMBED_MAX_INPUTS, dimensions: false };
  }

  protected override doEmbed(loaded: LoadedGguf, request: ProviderEmbedRequest, context: CallContext): Promise<ProviderEmbedding> {
    return embedWithGguf(loaded, this.embeddingContexts, request, context.signal);
  }

  protected async doGenerate(loaded: LoadedGguf, request: ProviderRequest, context: CallContext): Promise<ProviderResult> {
    return runChat(loaded, request, context.signal);
  }

  protected override doStream(loaded: LoadedGguf, request: ProviderRequest, context: CallContext): AsyncIterable<ProviderStreamPart> {
    return streamChat(loaded, request, context.signal);
  }

  /** Frees the llama.cpp backend; models still in the ModelCache should be evicted first. */
  override async close(): Promise<void> {
    const llama = this.llama;
    this.llama = undefined;
    if (!llama) return;
    const instance = await llama.catch(() => undefined);
    await instance?.dispose();
  }

  /** One llama.cpp backend per manager, created on the first load with our thread count. */
  private getLlama(): Promise<Llama> {
    this.llama ??= this.loader.load().then((bindings) =>
      bindings.getLlama({
        gpu: this.config.gpu ? 'auto' : false,
        maxThreads: this.threads,
        // No model or binary is ever fetched or built at run time: the prebuilt binary or nothing.
        build: 'never',
        progressLogs: false,
        logLevel: bindings.LlamaLogLevel.error,
        logger: (level, message) => {
          const fields = { provider: this.provider, level, message: message.trim() };
          if (level === bindings.LlamaLogLevel.error || level === bindings.LlamaLogLevel.fatal) this.deps.logger.warn('node-llama-cpp reported an error', fields);
          else this.deps.logger.debug('node-llama-cpp', fields);
        },
      }),
    );
    this.llama.catch(() => {
      this.llama = undefined;
    });
    return this.llama;
  }

  private toModelInfo(file: GgufModelFile): ModelInfo {
    const info: ModelInfo = {
      id: `${this.provider}:${file.name}`,
      provider: this.provider,
      model: file.name,
      capabilities: { ...CAPABILITIES },
      local: true,
      memoryBytes: file.bytes,
    };
    if (file.contextLength !== undefined) info.contextWindow = file.contextLength;
    const pricing = this.config.pricing?.[file.name];
    if (pricing) info.pricing = { ...pricing };
    return info;
  }
}


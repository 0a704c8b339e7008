/**
 * FakeProvider (`llm-switchboard/testing`): a real manager, registered like any other, whose answers a
 * test scripts per model: replies (text, chunking, usage, finish reason, delays) and failures (any
 * LLMError, an HTTP status mapped exactly as a real provider's would be, or a stream cut short).
 * Everything above it (retries, timeouts, fallbacks, adapters, cost, telemetry) runs for real.
 */
import { sleep } from '../core/abort.js';
import { messageText, reasoningStreamParts } from '../core/messages.js';
import { errorFromStatus, type ErrorOrigin } from '../core/error-mapping.js';
import { InvalidRequestError, LLMError } from '../core/errors.js';
import type { CallContext, EmbedSupport, ModelInfo, ModelPricing, ProviderEmbedding, ProviderEmbedRequest, ProviderRequest, ProviderResult, ProviderStreamPart } from '../core/types.js';
import { BaseLLMManager, DEFAULT_EMBED_BATCH, type ProviderSupport } from '../managers/base-llm-manager.js';
import { fakeEmbedding } from './fake-embedding.js';
import { FAKE_PROVIDER_NAME } from './fake-provider-name.js';
import {
  checkReply,
  connectionReset,
  remember,
  richFieldsOf,
  replyFinishReason,
  replyReasoning,
  replyText,
  replyUsage,
  splitWords,
  type FakeCall,
  type FakeFailure,
  type FakeHttpFailure,
  type FakeProviderOptions,
  type FakeReply,
} from './fake-script.js';

type Step = { reply: FakeReply } | { failure: FakeFailure };
interface FakeModel {
  name: string;
}

/** Scripted steps kept at once. */
const MAX_SCRIPTED = 10_000;

/** A scripted provider for tests: `fake.reply('fake:echo', { text: 'hi' })`, then call `fake:echo`. */
export class FakeProvider extends BaseLLMManager<FakeModel> {
  readonly provider: string;
  protected override readonly streamsHonourAbort = true;
  protected override readonly supports: ProviderSupport;
  /** Every attempt received, oldest first (at most 10,000). */
  readonly calls: FakeCall[] = [];
  /** Every embedding batch received (model name, its texts, dimensions asked), oldest first (at most 10,000). */
  readonly embedCalls: Array<{ model: string; input: string[]; dimensions?: number }> = [];
  /** Models loaded and unloaded through the ModelCache, in order. */
  readonly loads: string[] = [];
  readonly unloads: string[] = [];

  private readonly queues = new Map<string, Step[]>();
  private readonly pricing = new Map<string, ModelPricing>();
  private scripted = 0;
  private defaultReply: FakeProviderOptions['defaultReply'];

  constructor(private readonly options: FakeProviderOptions = {}) {
    super(options.deps);
    this.provider = options.provider ?? FAKE_PROVIDER_NAME;
    this.defaultReply = options.defaultReply;
    this.supports = { tools: true, vision: true, json: true, reasoning: true, ...options.supports };
    for (const [model, price] of Object.entries(options.pricing ?? {})) this.pricing.set(model, { ...price });
  }

  /** Queue a reply for the next attempt on `model` (`fake:echo` or `echo`). */
  reply(model: string, reply: FakeReply = {}): this {
    checkReply(reply);
    return this.enqueue(model, { reply: { ...reply } });
  }

  /** Queue a failure for the next attempt on `model`. */
  fail(model: string, failure: FakeFailure): this {
    if (!LLMError.isInstance(failure)) {
      if ('status' in failure && !(Number.isInteger(failure.status) && failure.status >= 400 && failure.status <= 599)) {
        throw new InvalidRequestError('FakeProvider.fail: status must be an HTTP error status (400-599)');
      }
      if ('interruptAfterChunks' in failure) {
        if (!Number.isInteger(failure.interruptAfterChunks) || failure.interruptAfterChunks < 0) {
          throw new InvalidRequestError('FakeProvider.fail: interruptAfterChunks must be a whole number >= 0');
        }
        if (failure.reply) checkReply(failure.reply);
      }
    }
    return this.enqueue(model, { failure });
  }

  /** Replace the answer used when nothing is scripted. */
  setDefaultReply(reply: FakeReply | ((request: ProviderRequest) => FakeReply)): this {
    if (typeof reply !== 'function') checkReply(reply);
    this.defaultReply = reply;
    return this;
  }

  /** Price a model (per million tokens) so calls report a cost. */
  setPricing(model: string, pricing: ModelPricing): this {
    this.pricing.set(this.modelName(model), { ...pricing });
    return this;
  }

  /** Scripted steps not used yet, for one model or all. */
  pending(model?: string): number {
    return model === undefined ? this.scripted : (this.queues.get(this.modelName(model))?.length ?? 0);
  }

  /** Forget scripts, recorded calls and loads; the default reply goes back to the constructor's. */
  reset(): void {
    this.queues.clear();
    this.scripted = 0;
    this.calls.length = 0;
    this.embedCalls.length = 0;
    this.loads.length = 0;
    this.unloads.length = 0;
    this.defaultReply = this.options.defaultReply;
  }

  protected override notReadyReason(): string | undefined {
    return this.options.notReady;
  }

  protected override defaultModelInfo(modelId: string): Partial<ModelInfo> {
    const info: Partial<ModelInfo> = { local: false };
    const price = this.pricing.get(modelId);
    if (price) info.pricing = { ...price };
    if (this.options.contextWindow !== undefined) info.contextWindow = this.options.contextWindow;
    return info;
  }

  override async listModels(): Promise<ModelInfo[]> {
    const names = new Set([...(this.options.models ?? []), ...this.pricing.keys()]);
    const listed = await super.listModels();
    for (const info of listed) names.delete(info.model);
    return [...listed, ...[...names].map((name) => this.getModelInfo(name))];
  }

  protected async loadModel(modelId: string): Promise<FakeModel> {
    if (this.options.models && !this.options.models.includes(modelId)) {
      throw errorFromStatus(404, `The model '${modelId}' does not exist`, this.origin(modelId));
    }
    if (this.options.loadDelayMs) await sleep(this.options.loadDelayMs);
    remember(this.loads, modelId);
    return { name: modelId };
  }

  protected override async unloadModel(model: FakeModel): Promise<void> {
    remember(this.unloads, model.name);
  }

  protected async doGenerate(model: FakeModel, request: ProviderRequest, context: CallContext): Promise<ProviderResult> {
    const step = this.nextStep(model.name, request, context, false);
    if ('failure' in step) {
      if ('interruptAfterChunks' in step.failure) {
        await sleep(step.failure.reply?.delayMs ?? 0, context.signal);
        throw connectionReset();
      }
      throw await this.failureError(step.failure, model.name, context.signal);
    }
    const reply = step.reply;
    await sleep(reply.delayMs ?? 0, context.signal);
    const text = replyText(reply);
    const result: ProviderResult = { id: reply.id ?? `fake-${this.calls.length}`, text, finishReason: replyFinishReason(reply), usage: replyUsage(reply, request, text), responseModel: reply.responseModel ?? model.name };
    if (reply.toolCalls) result.toolCalls = structuredClone(reply.toolCalls);
    const reasoning = replyReasoning(reply);
    if (reasoning) result.reasoning = structuredClone(reasoning);
    return result;
  }

  protected override async *doStream(model: FakeModel, request: ProviderRequest, context: CallContext): AsyncIterable<ProviderStreamPart> {
    const step = this.nextStep(model.name, request, context, true);
    let reply: FakeReply;
    let limit = Infinity;
    if ('failure' in step) {
      if (!('interruptAfterChunks' in step.failure)) throw await this.failureError(step.failure, model.name, context.signal);
      reply = step.failure.reply ?? this.defaultFor(request);
      limit = step.failure.interruptAfterChunks;
    } else {
      reply = step.reply;
    }
    await sleep(reply.delayMs ?? 0, context.signal);
    const reasoning = replyReasoning(reply);
    // As a provider that signs thinking streams it: each block's text, its signature, redacted blocks whole.
    for (const part of reasoningStreamParts(reasoning)) yield part;
    const chunks = reply.chunks ?? splitWords(replyText(reply));
    for (let i = 0; i < chunks.length; i++) {
      // The connection "closes": the stream ends without its finish part.
      if (i >= limit) return;
      if (i > 0 && reply.chunkDelayMs) await sleep(reply.chunkDelayMs, context.signal);
      yield { type: 'text-delta', text: chunks[i]! };
    }
    if (limit !== Infinity) return;
    const toolCalls = reply.toolCalls ?? [];
    for (let index = 0; index < toolCalls.length; index++) {
      // Arguments arrive in two pieces, as real providers split them.
      const { id, name, arguments: args } = toolCalls[index]!;
      const half = Math.ceil(args.length / 2);
      yield { type: 'tool-call-delta', index, id, name, argumentsDelta: args.slice(0, half) };
      yield { type: 'tool-call-delta', index, argumentsDelta: args.slice(half) };
    }
    const text = chunks.join('');
    const finish: ProviderStreamPart = { type: 'finish', finishReason: replyFinishReason(reply), usage: replyUsage(reply, request, text), id: reply.id ?? `fake-${this.calls.length}`, responseModel: reply.responseModel ?? model.name };
    if (reply.toolCalls) finish.toolCalls = structuredClone(reply.toolCalls);
    if (reasoning) finish.reasoning = structuredClone(reasoning);
    yield finish;
  }

  /**
   * Embeddings: `fakeEmbedding(text, dimensions)` per input (deterministic unit vectors, 8 numbers unless
   * the call asks for `dimensions`), input tokens counted as characters / 4. A failure scripted with
   * `fail()` at the head of the model's queue fails the batch as it would a chat attempt; scripted
   * replies are chat answers and are left for chat calls.
   */
  protected override async doEmbed(model: FakeModel, request: ProviderEmbedRequest, context: CallContext): Promise<ProviderEmbedding> {
    const entry = { model: `${this.provider}:${model.name}`, input: [...request.input], ...(request.dimensions === undefined ? {} : { dimensions: request.dimensions }) };
    remember(this.embedCalls, entry);
    const queue = this.queues.get(model.name);
    const head = queue?.[0];
    if (head && 'failure' in head) {
      queue!.shift();
      this.scripted--;
      if (queue!.length === 0) this.queues.delete(model.name);
      if ('interruptAfterChunks' in head.failure) throw connectionReset();
      throw await this.failureError(head.failure, model.name, context.signal);
    }
    const inputTokens = request.input.reduce((sum, text) => sum + Math.ceil(text.length / 4), 0);
    return { embeddings: request.input.map((text) => fakeEmbedding(text, request.dimensions)), inputTokens, responseModel: model.name };
  }

  /** Batches of `options.embedBatchSize` (default the library's), `dimensions` honoured. */
  override embedSupport(_modelId: string, _dimensions?: number): EmbedSupport {
    return { maxInputs: this.options.embedBatchSize ?? DEFAULT_EMBED_BATCH, dimensions: true };
  }

  private enqueue(model: string, step: Step): this {
    if (this.scripted >= MAX_SCRIPTED) throw new InvalidRequestError(`FakeProvider holds at most ${MAX_SCRIPTED} scripted steps; call reset()`);
    const name = this.modelName(model);
    const queue = this.queues.get(name) ?? [];
    queue.push(step);
    this.queues.set(name, queue);
    this.scripted++;
    return this;
  }

  /** Record the attempt and take the model's next scripted step (or the default reply). */
  private nextStep(modelId: string, request: ProviderRequest, context: CallContext, stream: boolean): Step {
    const call: FakeCall = {
      model: `${this.provider}:${modelId}`,
      modelId,
      operation: request.operation,
      messages: structuredClone(request.messages),
      params: structuredClone(request.params),
      rich: richFieldsOf(request),
      stream,
    };
    const caller = context.caller;
    if (caller?.bot !== undefined) call.bot = caller.bot;
    if (caller?.sessionId !== undefined) call.sessionId = caller.sessionId;
    if (caller?.tenantId !== undefined) call.tenantId = caller.tenantId;
    if (caller?.userId !== undefined) call.userId = caller.userId;
    remember(this.calls, call);
    const queue = this.queues.get(modelId);
    const step = queue?.shift();
    if (step) {
      this.scripted--;
      if (queue!.length === 0) this.queues.delete(modelId);
      return step;
    }
    return { reply: this.defaultFor(request) };
  }

  private defaultFor(request: ProviderRequest): FakeReply {
    const reply = this.defaultReply;
    if (typeof reply === 'function') return reply(request);
    if (reply) return reply;
    const lastUser = [...request.messages].reverse().find((message) => message.role === 'user');
    return { text: lastUser ? messageText(lastUser) : '' };
  }

  private async failureError(failure: LLMError | FakeHttpFailure, modelId: string, signal: AbortSignal): Promise<LLMError> {
    if (LLMError.isInstance(failure)) return failure;
    await sleep(failure.delayMs ?? 0, signal);
    return errorFromStatus(failure.status, failure.message ?? `fake HTTP ${failure.status}`, this.origin(modelId), { headers: failure.headers, code: failure.code });
  }

  /** Where a scripted failure happened, with the quirks the options declare (as a real manager's errorOrigin has). */
  private origin(modelId: string): ErrorOrigin {
    return { provider: this.provider, model: modelId, quirks: this.options.errorQuirks };
  }

  /** `fake:echo` and `echo` both name the model `echo` of this provider. */
  private modelName(model: string): string {
    if (typeof model !== 'string' || model === '') throw new InvalidRequestError('FakeProvider: a model name is required, e.g. "fake:echo"');
    return model.startsWith(`${this.provider}:`) ? model.slice(this.provider.length + 1) : model;
  }
}


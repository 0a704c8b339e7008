/**
 * OllamaManager: the native Ollama API over plain fetch. Chats go to `/api/chat`, text completions
 * to `/api/generate`, both as one JSON answer or an NDJSON stream that only counts as finished on its
 * `done: true` line. Usage comes from `prompt_eval_count` / `eval_count`; discovery from `/api/tags`
 * and `/api/show`. Ollama needs no credentials, so the manager is always ready.
 */
import { malformedAnswer } from '../../core/answer-errors.js';
import { ProviderError } from '../../core/errors.js';
import type { CallContext, ModelInfo, ProviderRequest, ProviderResult, ProviderStreamPart, ValidationResult } from '../../core/types.js';
import { BaseLLMManager, type ManagerDeps } from '../base-llm-manager.js';
import { validationOf } from '../provider-definition.js';
import { OLLAMA_ID, validateOllamaConfig, type OllamaProviderConfig } from './ollama-config.js';
import { discoverOllamaModels } from './ollama-discovery.js';
import { readNdjson, requestOllama, type OllamaHttpOptions } from './ollama-http.js';
import { buildOllamaRequest, checkAnswer, chunkText, toFinishReason, toUsage } from './ollama-wire.js';

/** The handle the ModelCache keeps for an Ollama model: the server holds the weights. */
export interface OllamaModelHandle {
  model: string;
}

/** The Ollama provider (`ollama:<model>`, e.g. `ollama:llama3.2:3b`). */
export class OllamaManager extends BaseLLMManager<OllamaModelHandle> {
  readonly provider = OLLAMA_ID;
  protected override readonly streamsHonourAbort = true;
  private readonly config: OllamaProviderConfig;

  constructor(deps: ManagerDeps | undefined, config: OllamaProviderConfig) {
    super(deps);
    this.config = config;
  }

  private get http(): OllamaHttpOptions {
    // A fetch from config is bounded too: requestOllama bounds every answer.
    return { baseURL: this.config.baseURL, fetch: this.config.fetch ?? globalThis.fetch, timeoutMs: this.config.timeoutMs, limits: this.responseLimits };
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

  /** The server loads weights itself (on first use, kept per keep_alive): the handle is just the name. */
  protected async loadModel(modelId: string): Promise<OllamaModelHandle> {
    return { model: modelId };
  }

  /** The models pulled on the server, with context length and size (`GET /api/tags`, `POST /api/show`). */
  override async listModels(): Promise<ModelInfo[]> {
    return discoverOllamaModels(this.http, this.provider);
  }

  protected async doGenerate(handle: OllamaModelHandle, request: ProviderRequest, context: CallContext): Promise<ProviderResult> {
    const { endpoint, body } = buildOllamaRequest({ ...request, modelId: handle.model }, false, this.config.keepAlive);
    const origin = { provider: this.provider, model: request.modelId };
    const response = await requestOllama(this.http, endpoint, { method: 'POST', body, signal: context.signal }, origin);
    const answer = checkAnswer(JSON.parse(await response.text()), origin, true);
    if (typeof answer.error === 'string') throw new ProviderError(`${this.provider}:${request.modelId} failed: ${answer.error}`, { ...origin, retryable: false });
    return {
      text: chunkText(answer),
      finishReason: toFinishReason(answer.done_reason),
      usage: toUsage(answer),
      responseModel: answer.model,
    };
  }

  protected override async *doStream(handle: OllamaModelHandle, request: ProviderRequest, context: CallContext): AsyncIterable<ProviderStreamPart> {
    const { endpoint, body } = buildOllamaRequest({ ...request, modelId: handle.model }, true, this.config.keepAlive);
    const origin = { provider: this.provider, model: request.modelId };
    const response = await requestOllama(this.http, endpoint, { method: 'POST', body, signal: context.signal }, origin);
    let carriedText = false;
    for await (const line of readNdjson<unknown>(response, origin, this.responseLimits.maxEventBytes)) {
      const chunk = checkAnswer(line, origin, false);
      if (typeof chunk.error === 'string') {
        // Ollama reports failures after the headers as an `error` line; a retry may well succeed.
        throw new ProviderError(`${this.provider}:${request.modelId} failed while streaming: ${chunk.error}`, { ...origin, retryable: true });
      }
      const text = chunkText(chunk);
      if (text) yield { type: 'text-delta', text };
      carriedText ||= chunk.message !== undefined || chunk.response !== undefined;
      if (chunk.done === true) {
        // A `done` line after lines without any message is no answer, not an empty one.
        if (!carriedText) throw malformedAnswer(origin, 'the stream carried no message');
        yield { type: 'finish', finishReason: toFinishReason(chunk.done_reason), usage: toUsage(chunk), responseModel: chunk.model };
        return;
      }
    }
    // The body ended without its `done: true` line: no finish part, so the base reports an interruption.
  }
}

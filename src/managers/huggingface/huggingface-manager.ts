/**
 * HuggingFaceManager on `@huggingface/inference`: Inference Providers by model id
 * (`huggingface:org/model`, token in `providers.huggingface.apiKey`, from HF_TOKEN) or a dedicated
 * endpoint / TGI server through `endpointUrl` (token optional there). Chats use chatCompletion(Stream),
 * text completions textGeneration(Stream), which 4.13 POSTs to `<endpointUrl>/v1/completions`.
 * Chat completion is OpenAI's wire, read with the openai manager's readers: tool calls, images and
 * JSON formats go there (a text completion carrying them too: convert-request.ts needsChat).
 *
 * The library re-sends a 503 at once and without limit unless told not to: every call passes
 * `retry_on_error: false`, so the base's retry loop is the only one.
 * Config `deployments` (src/routing/): each has its own token, endpoint (its `baseURL`), timeout and
 * transport pools, one InferenceClient made on its first attempt; the router picks one per attempt.
 */
import { InferenceClient, InferenceClientProviderApiError, InferenceClientProviderOutputError } from '@huggingface/inference';
import { malformedAnswer } from '../../core/answer-errors.js';
import type { CallContext, EmbedSupport, ProviderEmbedding, ProviderEmbedRequest, ProviderRequest, ProviderResult, ProviderStreamPart, ValidationResult } from '../../core/types.js';
import { answerResult, checkChatCompletion } from '../openai/map-response.js';
import { AnswerDeltas } from '../openai/read-answer.js';
import { BaseLLMManager, type ManagerDeps, type ProviderSupport } from '../base-llm-manager.js';
import { UpstreamFetch } from '../hosted-endpoint.js';
import { envOf, missingSettingReason, validationOf } from '../provider-definition.js';
import { HUGGINGFACE_CONFIG_SCHEMA, HUGGINGFACE_ID, validateHuggingFaceConfig, type HuggingFaceProviderConfig } from './huggingface-config.js';
import { needsChat, toChatArgs, toTextGenerationArgs } from './convert-request.js';
import { adaptHuggingFaceError } from './huggingface-errors.js';
import { chunkDelta, chunkFinish, chunkText, completionDetails, toFinishReason, toUsage, type StreamChunk } from './read-response.js';
import { ResponseTap } from './response-tap.js';
import { featureExtractionEmbeddings, HUGGINGFACE_EMBED_MAX_INPUTS } from './huggingface-embed.js';
import { DeploymentClients } from '../../routing/deployment-clients.js';
import { deploymentSettings, type DeploymentConfig } from '../../routing/deployment-config.js';

/** The handle the ModelCache keeps for a hosted model: the name; the endpoint holds the weights. */
export interface HuggingFaceModelHandle {
  model: string;
}

const ROUTER = { address: 'router.huggingface.co', port: 443 };
const CONFIG_PATH = `providers.${HUGGINGFACE_ID}`;

/** What one attempt talks to: the provider's own client and settings, or one deployment's. */
interface HuggingFaceTarget {
  client: InferenceClient;
  settings: HuggingFaceProviderConfig;
  /** Its transport pools (each deployment has its own). */
  upstream: UpstreamFetch;
}

/** The provider's settings as `deployment` sees them: its `baseURL` is its endpoint URL (absent: the provider's). */
export function huggingFaceDeploymentSettings(config: HuggingFaceProviderConfig, deployment: DeploymentConfig): HuggingFaceProviderConfig {
  const { baseURL, ...merged } = deploymentSettings({ ...config, baseURL: config.endpointUrl }, deployment);
  return { ...merged, endpointUrl: baseURL ?? '' };
}

/** The library's client for `settings` (a token and, for a dedicated endpoint / TGI, its URL). */
function inferenceClient(settings: HuggingFaceProviderConfig): InferenceClient {
  return new InferenceClient(settings.apiKey, settings.endpointUrl ? { endpointUrl: settings.endpointUrl } : {});
}

/** HuggingFace Inference Providers and endpoints (`huggingface:<org/model>`). */
export class HuggingFaceManager extends BaseLLMManager<HuggingFaceModelHandle> {
  readonly provider = HUGGINGFACE_ID;
  protected override readonly streamsHonourAbort = true;
  /**
   * Chat completion carries tools, image parts and JSON formats. No reasoning setting: neither TGI
   * nor the router has one field every provider behind it honours (reasoning an endpoint returns is read).
   */
  protected override readonly supports: ProviderSupport = { tools: true, vision: true, json: true };
  private readonly config: HuggingFaceProviderConfig;
  private readonly token: string;
  /** The provider's own client, settings and pools (config's `fetch`, else the transport's; src/transport/). */
  private readonly own: HuggingFaceTarget;
  /** One target per configured deployment (own token, endpoint, pools), made on its first attempt. */
  private readonly deploymentTargets: DeploymentClients<HuggingFaceTarget>;

  constructor(deps: ManagerDeps | undefined, config: HuggingFaceProviderConfig) {
    super(deps);
    this.config = config;
    // HF_TOKEN reaches us through the config (`providers.huggingface.apiKey`); reading the process
    // environment here would bypass the env a caller hands to loadConfig.
    this.token = config.apiKey;
    this.keepSecret(this.token);
    this.own = { client: inferenceClient(config), settings: config, upstream: new UpstreamFetch({ provider: HUGGINGFACE_ID }) };
    const deployments = config.deployments ?? [];
    this.useDeployments(deployments);
    this.deploymentTargets = new DeploymentClients(HUGGINGFACE_ID, deployments.length, (index, upstream) => {
      const settings = huggingFaceDeploymentSettings(config, deployments[index]!);
      return { client: inferenceClient(settings), settings, upstream };
    });
  }

  /** The attempt's deployment, else the provider itself. */
  private targetOf(context: CallContext): HuggingFaceTarget {
    return context.deployment ? this.deploymentTargets.get(context.deployment) : this.own;
  }

  /**
   * A token is needed for Inference Providers; a dedicated endpoint may be open. Ready when the
   * provider is, or when every deployment is (by its own or the provider's token and endpoint).
   */
  protected override notReadyReason(): string | undefined {
    const ready = (token: string | undefined, endpoint: string | undefined) => Boolean(token || endpoint);
    const deployments = this.config.deployments ?? [];
    if (ready(this.token, this.config.endpointUrl)) return undefined;
    if (deployments.length > 0 && deployments.every((d) => ready(d.apiKey ?? this.token, d.baseURL ?? this.config.endpointUrl))) return undefined;
    return missingSettingReason(CONFIG_PATH, 'apiKey', envOf(HUGGINGFACE_CONFIG_SCHEMA, 'apiKey'));
  }

  /** Checks the endpoint URL and timeout before any call is made. */
  override validateConfig(): ValidationResult {
    return validationOf(validateHuggingFaceConfig(this.config, CONFIG_PATH));
  }

  protected override serverAddress(): { address: string; port?: number } | undefined {
    if (!this.config.endpointUrl) return ROUTER;
    try {
      const url = new URL(this.config.endpointUrl);
      return { address: url.hostname, port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80 };
    } catch {
      return undefined;
    }
  }

  protected async loadModel(modelId: string): Promise<HuggingFaceModelHandle> {
    return { model: modelId };
  }

  /** Release the transport's pools (the provider's and every deployment's). */
  override async close(): Promise<void> {
    await Promise.all([this.own.upstream.close(), this.deploymentTargets.close()]);
  }

  private tap(target: HuggingFaceTarget, request: Pick<ProviderRequest, 'modelId'>, captureJson = false): ResponseTap {
    const { settings } = target;
    const fetch = target.upstream.fetch(settings.fetch, this.deps.transport, settings.transport);
    return new ResponseTap(fetch, this.responseLimits, settings.timeoutMs, this.origin(request), captureJson);
  }

  private origin(request: Pick<ProviderRequest, 'modelId'>): { provider: string; model: string } {
    return { provider: this.provider, model: request.modelId };
  }

  /**
   * A library failure in our terms: HTTP failures keep their status and headers (adaptHuggingFaceError);
   * a 200 the library could not read, or that answered a stream request with something other than
   * an event stream, is a malformed answer (retryable), not a failure of the request.
   */
  private failure(error: unknown, tap: ResponseTap, request: ProviderRequest): unknown {
    if (error instanceof InferenceClientProviderOutputError) return malformedAnswer(this.origin(request), 'the body is not the answer the endpoint should send');
    if (error instanceof InferenceClientProviderApiError && error.httpResponse.status < 300) {
      return malformedAnswer(this.origin(request), 'the answer to a stream request is not an event stream');
    }
    return adaptHuggingFaceError(error, tap.headers);
  }

  private options(tap: ResponseTap, signal: AbortSignal) {
    return { retry_on_error: false, signal, fetch: tap.fetch };
  }

  /** Feature extraction (huggingface-embed.ts): 32 texts per request, no `dimensions`. */
  override embedSupport(): EmbedSupport {
    return { maxInputs: HUGGINGFACE_EMBED_MAX_INPUTS, dimensions: false };
  }

  protected override doEmbed(handle: HuggingFaceModelHandle, request: ProviderEmbedRequest, context: CallContext): Promise<ProviderEmbedding> {
    const target = this.targetOf(context);
    return featureExtractionEmbeddings(target.client, handle.model, request, this.tap(target, request), context.signal, this.origin(request));
  }

  protected async doGenerate(handle: HuggingFaceModelHandle, request: ProviderRequest, context: CallContext): Promise<ProviderResult> {
    const target = { ...request, modelId: handle.model };
    const endpoint = this.targetOf(context);
    if (request.operation === 'text_completion' && !needsChat(request)) {
      const tap = this.tap(endpoint, request, true);
      try {
        const output = await endpoint.client.textGeneration(toTextGenerationArgs(target, false), this.options(tap, context.signal));
        const details = completionDetails(await tap.json());
        return { text: output.generated_text, finishReason: details.finishReason, usage: details.usage, id: details.id, responseModel: details.model };
      } catch (error) {
        throw this.failure(error, tap, request);
      }
    }
    const tap = this.tap(endpoint, request);
    try {
      const output = await endpoint.client.chatCompletion(toChatArgs(target, false), this.options(tap, context.signal));
      // The library returns a non-JSON 200 as a Blob and checks nothing: the OpenAI shape is checked here.
      const { choice, answer } = checkChatCompletion(output, this.origin(request));
      const result = answerResult(answer, toFinishReason(choice.finish_reason));
      result.usage = toUsage(output.usage);
      result.id = output.id;
      result.responseModel = output.model;
      return result;
    } catch (error) {
      throw this.failure(error, tap, request);
    }
  }

  protected override async *doStream(handle: HuggingFaceModelHandle, request: ProviderRequest, context: CallContext): AsyncIterable<ProviderStreamPart> {
    const target = { ...request, modelId: handle.model };
    const endpoint = this.targetOf(context);
    const tap = this.tap(endpoint, request);
    const origin = this.origin(request);
    const options = this.options(tap, context.signal);
    const chunks = (
      request.operation === 'text_completion' && !needsChat(request)
        ? endpoint.client.textGenerationStream(toTextGenerationArgs(target, true), options)
        : endpoint.client.chatCompletionStream(toChatArgs(target, true), options)
    ) as AsyncIterable<StreamChunk>;
    // The library ends quietly both on `[DONE]` and on a dropped connection: only a finish reason
    // (usage may follow it in its own chunk) tells a complete stream from an interrupted one.
    let finish: string | undefined;
    let last: StreamChunk | undefined;
    let usage: StreamChunk['usage'];
    // Made on the first delta that is more than text: a plain text stream never pays for it.
    let rich: AnswerDeltas | undefined;
    try {
      for await (const chunk of chunks) {
        last = chunk;
        if (chunk.usage) usage = chunk.usage;
        const delta = chunkDelta(chunk);
        if (delta && AnswerDeltas.isRich(delta)) yield* (rich ??= new AnswerDeltas(origin)).parts(delta);
        else {
          const text = chunkText(chunk, origin);
          if (text) yield { type: 'text-delta', text };
        }
        finish = chunkFinish(chunk) ?? finish;
      }
    } catch (error) {
      throw this.failure(error, tap, request);
    }
    if (finish === undefined) return;
    const { finishReason, toolCalls, reasoning } = rich ? rich.finish(toFinishReason(finish)) : { finishReason: toFinishReason(finish) };
    yield { type: 'finish', finishReason, usage: toUsage(usage), id: last?.id, responseModel: last?.model, toolCalls, reasoning };
  }
}

/**
 * The shapes every layer shares: messages, requests, results, stream parts and usage.
 * Public call shapes are in API.md ("Calls"); provider-facing shapes are what a
 * BaseLLMManager subclass receives and returns.
 */

import type { ChatMessage, AssistantMessage, ReasoningBlock, ReasoningBlockPart, ReasoningParams, RichRequestFields, ToolCall } from './messages.js';

export * from './messages.js';

/** Generation parameters; request values override bot values, which override provider defaults. */
export interface CallParams {
  temperature?: number;
  maxTokens?: number;
  topP?: number;
  /** Sample from the K most likely next tokens only (providers whose wire has no such field refuse it). */
  topK?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  /** One stop sequence or several. */
  stop?: string | string[];
  seed?: number;
  /** Total time allowed for this call (all attempts of one candidate), in ms. */
  timeoutMs?: number;
  /** How much a reasoning model should think: an `effort` or a `maxTokens` thinking budget. */
  reasoning?: ReasoningParams;
}

/** Why a generation ended, normalised across providers. */
export type FinishReason = 'stop' | 'length' | 'content-filter' | 'tool-calls' | 'error' | 'other';

/** Token usage, normalised: input includes cache reads and writes, output includes reasoning. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  reasoningTokens?: number;
}

/** Exactly one target: a model id (`provider:model`), a bot type, or a session (which implies its bot). */
export interface TargetFields {
  model?: string;
  bot?: string;
  sessionId?: string;
}

/** Fields shared by every public call (the rich fields, tools and response format, included). */
export interface CallOptions extends TargetFields, RichRequestFields {
  params?: CallParams;
  /** Aborting cancels the upstream request and rejects with AbortError. */
  signal?: AbortSignal;
  /** `false` skips the response cache for this call. */
  cache?: boolean;
  /**
   * The tenant a call without a session belongs to (the gateway passes its key's tenant): it scopes the
   * response cache. With a session, the session's tenant applies and a different one here is refused.
   */
  tenantId?: string;
}

/** `sb.generate(...)`: a single prompt. */
export interface GenerateRequest extends CallOptions {
  prompt: string;
}

/** `sb.chat(...)`: a conversation. */
export interface ChatCallRequest extends CallOptions {
  messages: ChatMessage[];
}

/** `sb.stream(...)` takes either shape. */
export type StreamRequest = GenerateRequest | ChatCallRequest;

/** Any public call request. */
export type AnyCallRequest = GenerateRequest | ChatCallRequest;

/** What a call returns. */
export interface GenerateResult {
  id: string;
  /** After output adapters. */
  text: string;
  /** `provider:model` that answered (may be a fallback). */
  model: string;
  /** The model name the provider reported. */
  responseModel?: string;
  finishReason: FinishReason;
  usage: Usage;
  /** null when the model has no price; never a made-up 0. */
  costUsd: number | null;
  /** Served from the response cache (no provider call). */
  cached: boolean;
  /** Provider calls made, retries and fallbacks included. */
  attempts: number;
  /** Adapter names applied, in order. */
  adapters: string[];
  latencyMs: number;
  /** The tools the model asked to call ([] when none; finishReason `tool-calls` when it asked). */
  toolCalls: ToolCall[];
  /** With responseFormat `json` / `json_schema`: the parsed answer (`json_schema`: validated against the schema). */
  object?: unknown;
  /** The model's thinking text, when the provider returns it (never adapted, never in telemetry by default). */
  reasoning?: string;
  /**
   * The stop sequence (`params.stop`) that ended the answer, when the provider says which one did
   * (not every provider does); finishReason is `stop` all the same. Absent when none did or the provider does not say.
   */
  stopSequence?: string;
  /**
   * The answer as an assistant message (adapted text, tool calls, reasoning blocks with their
   * signatures): append it to the conversation as is.
   */
  message: AssistantMessage;
}

/** A tool call being written, as it streams: its index in the answer, and pieces of its arguments. */
export interface ToolCallDelta {
  index: number;
  id?: string;
  name?: string;
  argumentsDelta: string;
}

/** One part of `sb.stream(...)`: deltas (text already adapted), then exactly one finish, last. */
export type StreamPart =
  | { type: 'text-delta'; text: string }
  | { type: 'reasoning-delta'; text: string }
  | ReasoningBlockPart
  | ({ type: 'tool-call-delta' } & ToolCallDelta)
  | { type: 'tool-call'; toolCall: ToolCall }
  | { type: 'finish'; result: GenerateResult };

/**
 * The request as adapters see it and as managers receive it: messages and parameters,
 * after the bot's system prompt and parameter merge.
 */
export interface ChatRequest extends RichRequestFields {
  messages: ChatMessage[];
  params: CallParams;
  /** `chat` for `sb.chat`, `text_completion` for `sb.generate` (managers may use a completion endpoint). */
  operation: 'chat' | 'text_completion';
}

/** The request one manager receives for one model. */
export interface ProviderRequest extends ChatRequest {
  /** The model name without the provider prefix (`gpt-4o-mini`). */
  modelId: string;
}

/** Who a call is for, from its plan (bot, session, user, tenant); none of it for a plain model call. */
export interface CallIdentity {
  bot?: string;
  sessionId?: string;
  userId?: string;
  tenantId?: string;
}

/** What a provider's `doGenerate` / `doStream` receive for one attempt. */
export interface CallContext {
  /** Cancels the upstream request: the caller's signal joined with our timeouts. */
  signal: AbortSignal;
  /** Who the call is for: for managers that route or record by it (the testing FakeProvider). */
  caller?: Readonly<CallIdentity>;
  /**
   * The deployment this attempt goes to (`providers.<p>.deployments[index]`, chosen by the router);
   * absent when the provider has no deployments: its own client serves the attempt.
   */
  deployment?: { readonly name: string; readonly index: number };
}

/**
 * What the pipeline hands a manager for one candidate (`generateResponse` / `streamResponse`): the
 * attempt's signal plus what the base class needs for attempt counting and telemetry. Subclasses'
 * `do*` methods see only the CallContext part.
 */
export interface CandidateContext extends CallContext {
  /** Called once per provider attempt (the pipeline counts attempts across candidates). */
  onAttempt?: () => void;
  /** The deployment an attempt goes to (its configured name; providers with deployments): the pipeline's fallback event names the last one. */
  onDeployment?: (name: string) => void;
  /** Parent telemetry context (opaque; an OpenTelemetry Context) for inference spans. */
  telemetryParent?: unknown;
  /**
   * What the pipeline already resolved for this model (`getModelInfo(request.modelId)`), so the
   * manager does not resolve it again on every call; managers resolve it themselves when absent.
   */
  modelInfo?: ModelInfo;
}

/** What a provider returns before the base class adds cost, attempts and timing. */
export interface ProviderResult {
  id?: string;
  text: string;
  finishReason: FinishReason;
  /** Normalised usage; absent when the server reported none (cost is then null). */
  usage?: Usage;
  responseModel?: string;
  /** The tool calls of the answer, in order (absent or empty: none). */
  toolCalls?: ToolCall[];
  /** The reasoning blocks of the answer, with what the provider needs back (signatures). */
  reasoning?: ReasoningBlock[];
  /** The stop sequence that ended the answer, when the provider reports which one did. */
  stopSequence?: string;
}

/**
 * What a provider stream yields; `finish` must come last or the stream counts as interrupted. Deltas
 * are for the caller to see as they come; the finish carries the complete tool calls and reasoning
 * blocks (the provider assembles them from its wire events).
 */
export type ProviderStreamPart =
  | { type: 'text-delta'; text: string }
  | { type: 'reasoning-delta'; text: string }
  | ReasoningBlockPart
  | ({ type: 'tool-call-delta' } & ToolCallDelta)
  | { type: 'finish'; finishReason: FinishReason; usage?: Usage; id?: string; responseModel?: string; toolCalls?: ToolCall[]; reasoning?: ReasoningBlock[]; stopSequence?: string };

/** A provider result after the manager has priced and timed it. */
export interface ManagedResult extends ProviderResult {
  /** `provider:model`. */
  model: string;
  /** The tool calls, `[]` when none. */
  toolCalls: ToolCall[];
  usage: Usage;
  /** True when the server reported usage; false when the zeros are unknown, not measured. */
  usageReported: boolean;
  costUsd: number | null;
  attempts: number;
  latencyMs: number;
}

/** A managed stream: deltas, then one `finish` carrying the managed result (text = the joined text deltas). */
export type ManagedStreamPart =
  | { type: 'text-delta'; text: string }
  | { type: 'reasoning-delta'; text: string }
  | ReasoningBlockPart
  | ({ type: 'tool-call-delta' } & ToolCallDelta)
  | { type: 'finish'; result: ManagedResult };

/** Prices per million tokens. */
export interface ModelPricing {
  inputPerMTok: number;
  outputPerMTok: number;
  cacheReadPerMTok?: number;
  cacheWritePerMTok?: number;
}

/** What the catalog (and discovery) knows about one model. */
export interface ModelInfo {
  /** `provider:model`. */
  id: string;
  provider: string;
  model: string;
  contextWindow?: number;
  maxOutputTokens?: number;
  /** `reasoning`: takes `params.reasoning` (an effort or a thinking budget). */
  capabilities: { streaming: boolean; tools: boolean; vision: boolean; json: boolean; reasoning: boolean };
  pricing?: ModelPricing;
  deprecated?: { since?: string; replacement?: string };
  local: boolean;
  memoryBytes?: number;
  /**
   * What the model is for: absent or `chat` for a generation model, `embedding` for an embedding model
   * (served by `sb.embed` only; a generation call to one is refused before any network call).
   */
  kind?: ModelKind;
}

/** What a model is for (catalog `kind`). */
export type ModelKind = 'chat' | 'embedding';

/** A problem found while validating configuration. */
export interface ConfigProblem {
  /** Dotted key path, e.g. `bots.support.fallbacks[0]`. */
  key: string;
  message: string;
}

/** Result of `BaseLLMManager.validateConfig()`. */
export interface ValidationResult {
  ok: boolean;
  problems: ConfigProblem[];
}

/** A provider's readiness as `registry.listProviders()` reports it. */
export interface ProviderStatus {
  name: string;
  ready: boolean;
  reason?: string;
}

/** Filter for `registry.listModels`. */
export interface ModelFilter {
  provider?: string;
  capability?: keyof ModelInfo['capabilities'];
  local?: boolean;
  includeDeprecated?: boolean;
  /** Only generation models (`chat`, which includes models with no `kind`) or only embedding models. */
  kind?: ModelKind;
}

/** `sb.embed(...)` (API.md "Embeddings"): vectors for one text or many, from one model. */
export interface EmbedRequest {
  /** `provider:model` of an embedding model (the provider must serve embeddings: BaseLLMManager.embeds). */
  model: string;
  /** One text or several; each a non-empty string. The answer keeps their order. */
  input: string | string[];
  /** Output dimensions, where the provider honours them for the model (EmbedSupport.dimensions); elsewhere refused. */
  dimensions?: number;
  /** Aborting cancels the upstream request and rejects with AbortError. */
  signal?: AbortSignal;
  /** The tenant the call belongs to: it scopes the response cache. */
  tenantId?: string;
  /** `false` skips the response cache for this call (when the cache is enabled in config). */
  cache?: boolean;
  /** An end-user id, forwarded to providers whose embedding API has a field for one. */
  user?: string;
}

/** What `sb.embed` returns. */
export interface EmbedResult {
  /** One vector per input, in input order, exactly as the provider sent it. */
  embeddings: number[][];
  /** `provider:model` that answered. */
  model: string;
  /** Input tokens as the provider counted them (0 when it reports none; cost is then null). */
  usage: { inputTokens: number };
  /** null when the model has no price or the provider reported no usage; 0 for a cache hit. */
  costUsd: number | null;
  /** Served from the response cache (no provider call). */
  cached: boolean;
  /** Provider calls made (one per batch, retries included). */
  attempts: number;
  latencyMs: number;
  /** The model name the provider reported (the first batch's). */
  responseModel?: string;
}

/** One batch of an embedding call, as one manager receives it. */
export interface ProviderEmbedRequest {
  /** The model name without the provider prefix. */
  modelId: string;
  /** The texts of this batch (at most the provider's batch size), each non-empty. */
  input: string[];
  dimensions?: number;
  user?: string;
}

/** What a provider's `doEmbed` returns for one batch. */
export interface ProviderEmbedding {
  /** One vector per input, in order. */
  embeddings: number[][];
  /** Input tokens the provider reported; absent when it reports none. */
  inputTokens?: number;
  responseModel?: string;
}

/** One batch after the manager checked, priced and timed it. */
export interface ManagedEmbedding {
  embeddings: number[][];
  /** `provider:model`. */
  model: string;
  /** The provider's count, 0 when `usageReported` is false. */
  inputTokens: number;
  usageReported: boolean;
  costUsd: number | null;
  responseModel?: string;
  attempts: number;
  latencyMs: number;
}

/** How a provider takes embedding requests (BaseLLMManager.embedSupport). */
export interface EmbedSupport {
  /** Most inputs in one upstream request; longer input lists are split into batches of this size. */
  maxInputs: number;
  /** Whether `dimensions` is honoured for this model. */
  dimensions: boolean;
}

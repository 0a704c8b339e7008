/**
 * The shapes every layer shares: messages, requests, results, stream parts and usage.
 * Public call shapes are in API.md ("Calls"); provider-facing shapes are what a
 * BaseLLMManager subclass receives and returns.
 */

import type { ChatMessage, AssistantMessage, ReasoningBlock, ReasoningParams, RichRequestFields, ToolCall } from './messages.js';

export * from './messages.js';

/** Generation parameters; request values override bot values, which override provider defaults. */
export interface CallParams {
  temperature?: number;
  maxTokens?: number;
  topP?: number;
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
}

/**
 * What the pipeline hands a manager for one candidate (`generateResponse` / `streamResponse`): the
 * attempt's signal plus what the base class needs for attempt counting and telemetry. Subclasses'
 * `do*` methods see only the CallContext part.
 */
export interface CandidateContext extends CallContext {
  /** Called once per provider attempt (the pipeline counts attempts across candidates). */
  onAttempt?: () => void;
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
}

/**
 * What a provider stream yields; `finish` must come last or the stream counts as interrupted. Deltas
 * are for the caller to see as they come; the finish carries the complete tool calls and reasoning
 * blocks (the provider assembles them from its wire events).
 */
export type ProviderStreamPart =
  | { type: 'text-delta'; text: string }
  | { type: 'reasoning-delta'; text: string }
  | ({ type: 'tool-call-delta' } & ToolCallDelta)
  | { type: 'finish'; finishReason: FinishReason; usage?: Usage; id?: string; responseModel?: string; toolCalls?: ToolCall[]; reasoning?: ReasoningBlock[] };

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
}

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
}

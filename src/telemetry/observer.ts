/**
 * The seam between the call path and telemetry. Managers and the pipeline report what happens
 * through these interfaces; `src/telemetry/` turns the reports into OpenTelemetry spans and metrics,
 * stats and events. Implementations must never throw into the call path (see `safely`).
 */
import type { LLMError } from '../core/errors.js';
import type { CallParams, ChatMessage, ManagedResult, ProviderRequest, ReasoningBlock, ToolCall } from '../core/types.js';

/** What starts one inference span (one model tried). */
export interface InferenceStart {
  operation: 'chat' | 'text_completion';
  provider: string;
  /** Model name without the provider prefix. */
  model: string;
  request: ProviderRequest;
  stream: boolean;
  /** CLIENT for hosted providers, INTERNAL for in-process models. */
  inProcess: boolean;
  server?: { address: string; port?: number };
  bot?: string;
  /** The call's tenant: its token and cost points carry `switchboard.tenant` (configured tenants only). */
  tenantId?: string;
  /** The parent telemetry context (an OpenTelemetry Context) when the call runs under an agent span. */
  parent?: unknown;
}

/** Reports for one inference span. Each method is called at most as documented. */
export interface InferenceRecorder {
  /** A failed attempt that will be retried after `delayMs`. */
  retry(attempt: number, error: LLMError, delayMs: number): void;
  /**
   * The deployment the next attempt goes to (its configured name; undefined: none was free), once per
   * attempt of a provider with deployments. Optional: recorders without it ignore deployments.
   */
  deployment?(name: string | undefined, server?: { address: string; port?: number }): void;
  /** First text delta of a stream (once). */
  firstChunk(): void;
  /** The call succeeded (once; ends the span). */
  end(result: ManagedResult): void;
  /** The call failed (once; ends the span). */
  fail(error: LLMError): void;
}

/** What starts a pipeline call (`invoke_agent {bot}` when a bot or session is the target). */
export interface CallStart {
  operation: 'chat' | 'text_completion';
  stream: boolean;
  bot?: string;
  sessionId?: string;
  /** Primary model id (`provider:model`). */
  model: string;
  /** Who the call is for (events carry them as they are; metrics and stats only a configured tenant). */
  tenantId?: string;
  userId?: string;
  /** For content capture (opt-in); never recorded otherwise. */
  messages: ChatMessage[];
  params: CallParams;
}

/** The final facts of a pipeline call. */
export interface CallOutcome {
  id: string;
  text: string;
  model: string;
  usage: ManagedResult['usage'];
  costUsd: number | null;
  cached: boolean;
  attempts: number;
  adapters: string[];
  latencyMs: number;
  finishReason: string;
  responseModel?: string;
  /** The tool calls of the answer (content: recorded only with capture on). */
  toolCalls?: ToolCall[];
  /** The answer as a message (its reasoning blocks are content too). */
  message?: { reasoning?: ReasoningBlock[] };
}

/** Reports for one pipeline call. */
export interface CallRecorder {
  /** The telemetry context inference spans should use as parent (opaque to the pipeline). */
  readonly parent: unknown;
  /** A response-cache lookup. */
  cacheLookup(hit: boolean): void;
  /** Moving from a failed candidate to the next one; `deployment`: the last deployment of `from` tried, if any. */
  fallback(from: string, to: string, error: LLMError, deployment?: string): void;
  /** A memory call: how many stored history messages go to `candidate`, and how many were trimmed to fit it. */
  history?(candidate: string, sent: number, trimmed: number): void;
  /** Success (once). */
  end(outcome: CallOutcome): void;
  /** Failure (once). */
  fail(error: LLMError, attempts: number): void;
  /**
   * The stream consumer left before the finish part: close the call as cancelled.
   * Called after every stream; a no-op when `end` or `fail` already ran.
   */
  abandon?(attempts: number): void;
}

/** What starts the span of one embedding request (one batch of `sb.embed` sent to one model). */
export interface EmbeddingStart {
  provider: string;
  /** Model name without the provider prefix. */
  model: string;
  /** Texts in this batch (a count only: the texts are content and never recorded). */
  inputs: number;
  /** Dimensions asked for, when the call asked. */
  dimensions?: number;
  inProcess: boolean;
  server?: { address: string; port?: number };
  /** The call's tenant: its token and cost points carry `switchboard.tenant` (configured tenants only). */
  tenantId?: string;
}

/** The facts of one finished embedding request. */
export interface EmbeddingOutcome {
  inputTokens: number;
  /** False when the provider reported no token count (no token metric, no cost). */
  usageReported: boolean;
  costUsd: number | null;
  /** Length of the vectors returned. */
  dimensions: number;
  responseModel?: string;
  attempts: number;
  latencyMs: number;
}

/** Reports for one embedding request's span. */
export interface EmbeddingRecorder {
  /** A failed attempt that will be retried after `delayMs`. */
  retry(attempt: number, error: LLMError, delayMs: number): void;
  /** The deployment the next attempt goes to (providers with deployments). Optional, like InferenceRecorder's. */
  deployment?(name: string, server?: { address: string; port?: number }): void;
  /** Success (once; ends the span). */
  end(outcome: EmbeddingOutcome): void;
  /** Failure (once; ends the span). */
  fail(error: LLMError): void;
}

/** What starts one `sb.embed` call (all its batches). */
export interface EmbedCallStart {
  /** `provider:model`. */
  model: string;
  /** Texts in the call. */
  inputs: number;
  /** The call's tenant (events as it is; metrics and stats only a configured tenant). */
  tenantId?: string;
}

/** The final facts of one `sb.embed` call. */
export interface EmbedCallOutcome {
  model: string;
  inputTokens: number;
  costUsd: number | null;
  cached: boolean;
  attempts: number;
  latencyMs: number;
}

/** Reports for one `sb.embed` call (stats, the request and cache counters, `call.*` events). */
export interface EmbedCallRecorder {
  /** A response-cache lookup. */
  cacheLookup(hit: boolean): void;
  /** Success (once). */
  end(outcome: EmbedCallOutcome): void;
  /** Failure (once). */
  fail(error: LLMError, attempts: number): void;
}

/** Everything the call path reports to. */
export interface CallObserver {
  startCall(start: CallStart): CallRecorder;
  startInference(start: InferenceStart): InferenceRecorder;
  /** An `sb.embed` call; absent on observers written before embeddings (nothing is then recorded). */
  startEmbedCall?(start: EmbedCallStart): EmbedCallRecorder;
  /** The span of one embedding request; absent on observers written before embeddings. */
  startEmbedding?(start: EmbeddingStart): EmbeddingRecorder;
}

const noopInference: InferenceRecorder = { retry() {}, firstChunk() {}, end() {}, fail() {} };
const noopCall: CallRecorder = { parent: undefined, cacheLookup() {}, fallback() {}, end() {}, fail() {} };
/** An embedding recorder that records nothing. */
export const noopEmbedding: EmbeddingRecorder = { retry() {}, end() {}, fail() {} };
/** An embed-call recorder that records nothing. */
export const noopEmbedCall: EmbedCallRecorder = { cacheLookup() {}, end() {}, fail() {} };

/** An observer that records nothing (tests of other layers, or telemetry fully off). */
export const noopObserver: CallObserver = {
  startCall: () => noopCall,
  startInference: () => noopInference,
  startEmbedCall: () => noopEmbedCall,
  startEmbedding: () => noopEmbedding,
};

/**
 * Run a telemetry step; a failure is logged and swallowed, because telemetry never breaks a call.
 */
export function safely(step: () => void, log?: (message: string, error: unknown) => void): void {
  try {
    step();
  } catch (error) {
    log?.('telemetry step failed', error);
  }
}

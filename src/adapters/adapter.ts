/**
 * The adapter contract (API.md "Adapters"). An adapter is a plain object of optional hooks: one for
 * the request before the call, one for the whole output text, and a factory for a stream transformer
 * that adapts a stream chunk by chunk. The AdapterManager creates one instance per activation (its
 * options bound) and reuses it for every call, so per-stream state belongs in the stream transformer.
 */
import type { ChatRequest } from '../core/types.js';

/** What an adapter knows about the call it is adapting. */
export interface AdapterContext {
  bot?: string;
  sessionId?: string;
  userId?: string;
  tenantId?: string;
  /** Session metadata (empty when there is no session). */
  metadata: Record<string, unknown>;
  /** The primary model as `provider:model` (the answer may come from a fallback). */
  model: string;
}

/**
 * Adapts one stream. `push` receives each delta and returns what may be released now; `flush` is
 * called once at the end and returns whatever was held back. Concatenating every return value must
 * give the same text as the adapter's `transformOutput` on the whole text.
 */
export interface StreamTransformer {
  push(delta: string): string;
  flush(): string;
  /** Optional: true once the transformer wants no more input (max-length has emitted its limit). */
  readonly done?: boolean;
}

/** An adapter: every hook is optional; `name` is how errors and results refer to it. */
export interface Adapter {
  name: string;
  /** Runs before the call; returns the request to send (a new object, or the same one). */
  transformRequest?(request: ChatRequest, context: AdapterContext): ChatRequest | Promise<ChatRequest>;
  /** Runs on the whole output text (calls, and streams whose adapter has no stream transformer). */
  transformOutput?(text: string, context: AdapterContext): string | Promise<string>;
  /** A fresh transformer per stream; without one, streams release this adapter's output at the end. */
  createStreamTransformer?(context: AdapterContext): StreamTransformer;
  /**
   * True when `transformRequest` changes the request, so the response-cache key must include
   * `cacheKey`. An adapter with `transformRequest` counts as request-changing unless this is `false`.
   */
  readonly changesRequest?: boolean;
  /** Stable text describing the options that affect the request (part of the response-cache key). */
  readonly cacheKey?: string;
}

/** Builds an adapter from its options; throws (ideally an InvalidRequestError) on bad options. */
export type AdapterFactory = (options: Record<string, unknown>) => Adapter;

/** Which bot type and session a call belongs to; either may be absent. */
export interface AdapterTarget {
  bot?: string;
  sessionId?: string;
}

/**
 * The composed stream transformation of a chain. `flush` returns a Promise because an adapter that
 * only has `transformOutput` runs at the end of the stream and may be async.
 */
export interface StreamPipeline {
  /** Feed one upstream delta; returns the adapted text that may be sent now (often ''). */
  push(delta: string): string;
  /** End of the upstream stream: everything still held, adapted. Call once. */
  flush(): Promise<string>;
  /** True once a stage wants no more input: stop reading the upstream stream and flush. */
  readonly stopped: boolean;
}

/** An adapter as activated: the name it was registered under, the options it was built with, the instance. */
export interface ActiveAdapter {
  readonly name: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly adapter: Adapter;
}

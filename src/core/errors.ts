/**
 * The error hierarchy. Every error the library throws is an LLMError; `LLMError.isInstance(e)`
 * works across duplicated bundles because it checks a `Symbol.for` marker, not the prototype chain.
 * Messages never carry secrets: text that came from upstream was scrubbed by the switchboard's
 * SecretRegistry where it arrived (the managers' error mapping), and every message also passes
 * `scrubKeyShapes`, which knows no secret, so a message built from what a caller sent can never tell
 * the caller anything about a key (secrets.ts).
 */
import type { ConfigProblem } from './types.js';
import { excerpt, scrubKeyShapes } from './secrets.js';

const MARKER = Symbol.for('llm-switchboard.error');

/** Every `code` an LLMError can have: stable, machine-readable, one per error class. */
export type LLMErrorCode =
  | 'config_error'
  | 'invalid_request'
  | 'no_such_provider'
  | 'no_such_model'
  | 'authentication'
  | 'rate_limit'
  | 'timeout'
  | 'provider_error'
  | 'context_length'
  | 'stream_interrupted'
  | 'circuit_open'
  | 'budget_exceeded'
  | 'aborted'
  | 'adapter_error'
  | 'invalid_output'
  | 'unsupported_capability'
  | 'store_unavailable'
  | 'permission_denied';

/**
 * An LLMError (of any copy of this package) with this code: what every subclass's `isInstance`
 * checks, since `instanceof` fails across duplicated bundles and codes are stable across versions.
 */
function hasCode(value: unknown, code: LLMErrorCode): boolean {
  return LLMError.isInstance(value) && value.code === code;
}

/** Options common to every LLMError. */
export interface LLMErrorOptions {
  provider?: string;
  model?: string;
  cause?: unknown;
  retryable?: boolean;
}

/** Base class: `code`, `provider?`, `model?`, `retryable`, `cause`. */
export class LLMError extends Error {
  /** Stable machine-readable code, e.g. `rate_limit`. */
  readonly code: LLMErrorCode;
  readonly provider?: string;
  readonly model?: string;
  /** Whether trying the same call again may succeed. */
  readonly retryable: boolean;
  readonly [MARKER] = true;

  constructor(code: LLMErrorCode, message: string, options: LLMErrorOptions = {}) {
    super(scrubKeyShapes(message), options.cause === undefined ? undefined : { cause: sanitizeCause(options.cause) });
    this.name = new.target.name;
    this.code = code;
    this.provider = options.provider;
    this.model = options.model;
    this.retryable = options.retryable ?? false;
  }

  /** True for any LLMError, even one from another copy of this package (each subclass has its own `isInstance`). */
  static isInstance(value: unknown): value is LLMError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }

  /** A serialisable form with no secrets and no raw upstream objects. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { name: this.name, code: this.code, message: this.message, retryable: this.retryable };
    if (this.provider) out.provider = this.provider;
    if (this.model) out.model = this.model;
    return out;
  }
}

/**
 * Upstream errors (SDK errors, fetch failures) can hold request objects and header maps; the
 * cause we keep is a plain Error with its message, name and HTTP status if any. Error mapping hands
 * in causes whose upstream text it already scrubbed; key shapes are hidden here once more.
 */
function sanitizeCause(cause: unknown): unknown {
  if (LLMError.isInstance(cause)) return cause;
  if (cause instanceof Error) {
    const plain = new Error(scrubKeyShapes(cause.message));
    plain.name = cause.name;
    const status = (cause as { status?: unknown }).status;
    if (typeof status === 'number') (plain as Error & { status?: number }).status = status;
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') (plain as Error & { code?: string }).code = code;
    plain.stack = `${plain.name}: ${plain.message}`;
    return plain;
  }
  return typeof cause === 'string' ? scrubKeyShapes(cause) : undefined;
}

/** Invalid configuration; `problems` lists every bad key path at once. */
export class ConfigError extends LLMError {
  /** True for a ConfigError of any copy of this package. */
  static override isInstance(value: unknown): value is ConfigError {
    return hasCode(value, 'config_error');
  }
  declare readonly code: 'config_error';
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[], options: LLMErrorOptions = {}) {
    const lines = problems.map((p) => `  - ${p.key}: ${p.message}`).join('\n');
    super('config_error', `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines}`, options);
    this.problems = problems.map((p) => ({ key: p.key, message: scrubKeyShapes(p.message) }));
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), problems: this.problems };
  }
}

/** The request is malformed; the message says what to change. Never retried, never falls back. */
export class InvalidRequestError extends LLMError {
  /** True for a InvalidRequestError of any copy of this package. */
  static override isInstance(value: unknown): value is InvalidRequestError {
    return hasCode(value, 'invalid_request');
  }
  declare readonly code: 'invalid_request';
  constructor(message: string, options: LLMErrorOptions = {}) {
    super('invalid_request', message, options);
  }
}

/** No manager is registered for the provider named in a model id. */
export class NoSuchProviderError extends LLMError {
  /** True for a NoSuchProviderError of any copy of this package. */
  static override isInstance(value: unknown): value is NoSuchProviderError {
    return hasCode(value, 'no_such_provider');
  }
  declare readonly code: 'no_such_provider';
  constructor(provider: string, known: string[] = []) {
    // The name is caller text: quoted as a short excerpt only (RELIABILITY.md "Secrets").
    super('no_such_provider', `Unknown provider "${excerpt(provider)}"${known.length ? `; known providers: ${known.join(', ')}` : ''}`, { provider });
  }
}

/** The provider does not have this model. */
export class NoSuchModelError extends LLMError {
  /** True for a NoSuchModelError of any copy of this package. */
  static override isInstance(value: unknown): value is NoSuchModelError {
    return hasCode(value, 'no_such_model');
  }
  declare readonly code: 'no_such_model';
  constructor(message: string, options: LLMErrorOptions = {}) {
    super('no_such_model', message, options);
  }
}

/** Missing or rejected credentials. */
export class AuthenticationError extends LLMError {
  /** True for a AuthenticationError of any copy of this package. */
  static override isInstance(value: unknown): value is AuthenticationError {
    return hasCode(value, 'authentication');
  }
  declare readonly code: 'authentication';
  constructor(message: string, options: LLMErrorOptions = {}) {
    super('authentication', message, options);
  }
}

/**
 * Whose limit a RateLimitError is (RELIABILITY.md "Rate limits are not outages"):
 * - `upstream`: a provider's 429; the model cools down for its Retry-After, the circuit stays closed;
 * - `quota`: the provider account is exhausted; waiting will not help (not retryable);
 * - `client`: one of our own limits (RateLimiter, ConcurrencyLimiter, the llama.cpp call queue).
 */
export type RateLimitKind = 'upstream' | 'quota' | 'client';

/** 429 from the provider, or our own client-side limit; `kind` says which. */
export class RateLimitError extends LLMError {
  /** True for a RateLimitError of any copy of this package. */
  static override isInstance(value: unknown): value is RateLimitError {
    return hasCode(value, 'rate_limit');
  }
  declare readonly code: 'rate_limit';
  /**
   * How long to wait before trying again, when known: the provider's Retry-After, the time left of a
   * model's cooldown, or the estimated wait until one of our own limits grants a permit.
   */
  readonly retryAfterMs?: number;
  /** Whose limit this is; default `upstream` (the error a provider's 429 becomes). */
  readonly kind: RateLimitKind;
  constructor(message: string, options: LLMErrorOptions & { retryAfterMs?: number; kind?: RateLimitKind } = {}) {
    // An exhausted quota does not heal by retrying; the others do once their wait has passed.
    super('rate_limit', message, { retryable: options.kind !== 'quota', ...options });
    this.retryAfterMs = options.retryAfterMs;
    this.kind = options.kind ?? 'upstream';
  }
  override toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { ...super.toJSON(), kind: this.kind };
    if (this.retryAfterMs !== undefined) out.retryAfterMs = this.retryAfterMs;
    return out;
  }
}

/** A total, first-chunk or idle-chunk timeout. */
export class TimeoutError extends LLMError {
  /** True for a TimeoutError of any copy of this package. */
  static override isInstance(value: unknown): value is TimeoutError {
    return hasCode(value, 'timeout');
  }
  declare readonly code: 'timeout';
  constructor(message: string, options: LLMErrorOptions = {}) {
    super('timeout', message, { retryable: true, ...options });
  }
}

/** Any other provider failure; `status` is the HTTP status when there was one. */
export class ProviderError extends LLMError {
  /** True for a ProviderError of any copy of this package. */
  static override isInstance(value: unknown): value is ProviderError {
    return hasCode(value, 'provider_error');
  }
  declare readonly code: 'provider_error';
  readonly status?: number;
  /** Delay the provider asked for (Retry-After), when it sent one. */
  readonly retryAfterMs?: number;
  constructor(message: string, options: LLMErrorOptions & { status?: number; retryAfterMs?: number } = {}) {
    super('provider_error', message, options);
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
  override toJSON(): Record<string, unknown> {
    return this.status === undefined ? super.toJSON() : { ...super.toJSON(), status: this.status };
  }
}

/** The prompt does not fit the model's context window. */
export class ContextLengthError extends LLMError {
  /** True for a ContextLengthError of any copy of this package. */
  static override isInstance(value: unknown): value is ContextLengthError {
    return hasCode(value, 'context_length');
  }
  declare readonly code: 'context_length';
  constructor(message: string, options: LLMErrorOptions = {}) {
    super('context_length', message, options);
  }
}

/** A stream failed after its first delta; `partialText` is what the caller already received. */
export class StreamInterruptedError extends LLMError {
  /** True for a StreamInterruptedError of any copy of this package. */
  static override isInstance(value: unknown): value is StreamInterruptedError {
    return hasCode(value, 'stream_interrupted');
  }
  declare readonly code: 'stream_interrupted';
  readonly partialText: string;
  constructor(message: string, options: LLMErrorOptions & { partialText?: string } = {}) {
    super('stream_interrupted', message, options);
    this.partialText = options.partialText ?? '';
  }
}

/** The circuit breaker for this model is open: rejected without a call. */
export class CircuitOpenError extends LLMError {
  /** True for a CircuitOpenError of any copy of this package. */
  static override isInstance(value: unknown): value is CircuitOpenError {
    return hasCode(value, 'circuit_open');
  }
  declare readonly code: 'circuit_open';
  /** Time until the breaker lets its next probe through, when known. */
  readonly retryAfterMs?: number;
  constructor(message: string, options: LLMErrorOptions & { retryAfterMs?: number } = {}) {
    super('circuit_open', message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
  override toJSON(): Record<string, unknown> {
    return this.retryAfterMs === undefined ? super.toJSON() : { ...super.toJSON(), retryAfterMs: this.retryAfterMs };
  }
}

/** A bot, session or tenant budget would be exceeded. */
export class BudgetExceededError extends LLMError {
  /** True for a BudgetExceededError of any copy of this package. */
  static override isInstance(value: unknown): value is BudgetExceededError {
    return hasCode(value, 'budget_exceeded');
  }
  declare readonly code: 'budget_exceeded';
  /**
   * When every full budget is a time window (a day or a month): ms until the last of them starts over.
   * Absent when waiting does not help (a session budget is full for the session's life).
   */
  readonly retryAfterMs?: number;
  constructor(message: string, options: LLMErrorOptions & { retryAfterMs?: number } = {}) {
    super('budget_exceeded', message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
  override toJSON(): Record<string, unknown> {
    const out = super.toJSON();
    if (this.retryAfterMs !== undefined) out.retryAfterMs = this.retryAfterMs;
    return out;
  }
}

/**
 * A tenant called what its config does not allow (`tenants.<id>.allowedModels` / `allowedBots`), or a
 * gateway key restricted to bots called a model. The message names the config key, never the id sent.
 */
export class PermissionError extends LLMError {
  /** True for a PermissionError of any copy of this package. */
  static override isInstance(value: unknown): value is PermissionError {
    return hasCode(value, 'permission_denied');
  }
  declare readonly code: 'permission_denied';
  constructor(message: string, options: LLMErrorOptions = {}) {
    super('permission_denied', message, options);
  }
}

/** The caller aborted. */
export class AbortError extends LLMError {
  /** True for a AbortError of any copy of this package. */
  static override isInstance(value: unknown): value is AbortError {
    return hasCode(value, 'aborted');
  }
  declare readonly code: 'aborted';
  constructor(message = 'The call was aborted', options: LLMErrorOptions = {}) {
    super('aborted', message, options);
  }
}

/** An adapter threw; the message names it. */
export class AdapterError extends LLMError {
  /** True for a AdapterError of any copy of this package. */
  static override isInstance(value: unknown): value is AdapterError {
    return hasCode(value, 'adapter_error');
  }
  declare readonly code: 'adapter_error';
  /** The adapter that failed. */
  readonly adapter: string;
  constructor(adapter: string, message: string, options: LLMErrorOptions = {}) {
    super('adapter_error', `Adapter "${adapter}" failed: ${message}`, options);
    this.adapter = adapter;
  }
}

/**
 * The answer is not what the request's responseFormat asked for (not JSON, or JSON that does not
 * validate against the schema): a failed attempt of that candidate; with no candidate left, this
 * error reaches the caller, carrying the text the model wrote.
 */
export class InvalidOutputError extends LLMError {
  /** True for an InvalidOutputError of any copy of this package. */
  static override isInstance(value: unknown): value is InvalidOutputError {
    return hasCode(value, 'invalid_output');
  }
  declare readonly code: 'invalid_output';
  /** What the model answered. */
  readonly text: string;
  constructor(message: string, options: LLMErrorOptions & { text?: string } = {}) {
    super('invalid_output', message, options);
    this.text = options.text ?? '';
  }
}

/** Capabilities a request may need of a model (the catalog's ModelInfo.capabilities). */
export type RequiredCapability = 'tools' | 'vision' | 'json' | 'reasoning';

/**
 * What a candidate cannot serve: a capability, or a request field its provider cannot carry, named by
 * its path (`params.temperature`, `toolChoice`).
 */
export type UnsupportedFeature = RequiredCapability | (string & {});

/** Is `feature` one of the catalog capabilities (rather than a field path)? */
export function isCapability(feature: UnsupportedFeature): feature is RequiredCapability {
  return feature === 'tools' || feature === 'vision' || feature === 'json' || feature === 'reasoning';
}

/**
 * A candidate cannot serve this request (the catalog says it lacks `tools`, `vision`, `json` or
 * `reasoning`, or its provider cannot carry a field the request sets): it is skipped and the next
 * candidate tried; the `fallback` event carries this error. When no candidate can, the caller gets an
 * InvalidRequestError naming the capability or field, before any network call.
 */
export class UnsupportedCapabilityError extends LLMError {
  /** True for an UnsupportedCapabilityError of any copy of this package. */
  static override isInstance(value: unknown): value is UnsupportedCapabilityError {
    return hasCode(value, 'unsupported_capability');
  }
  declare readonly code: 'unsupported_capability';
  /** What the model lacks: a capability, or the path of a field its provider cannot carry. */
  readonly capability: UnsupportedFeature;
  constructor(capability: UnsupportedFeature, message: string, options: LLMErrorOptions = {}) {
    super('unsupported_capability', message, options);
    this.capability = capability;
  }
}

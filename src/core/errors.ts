/**
 * The error hierarchy. Every error the library throws is an LLMError; `LLMError.isInstance(e)`
 * works across duplicated bundles because it checks a `Symbol.for` marker, not the prototype chain.
 * Messages never carry secrets: text that came from upstream passes through `scrubSecrets` first.
 */
import type { ConfigProblem } from './types.js';
import { scrubSecrets } from './secrets.js';

const MARKER = Symbol.for('llm-switchboard.error');

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
  readonly code: string;
  readonly provider?: string;
  readonly model?: string;
  /** Whether trying the same call again may succeed. */
  readonly retryable: boolean;
  readonly [MARKER] = true;

  constructor(code: string, message: string, options: LLMErrorOptions = {}) {
    super(scrubSecrets(message), options.cause === undefined ? undefined : { cause: sanitizeCause(options.cause) });
    this.name = new.target.name;
    this.code = code;
    this.provider = options.provider;
    this.model = options.model;
    this.retryable = options.retryable ?? false;
  }

  /** True for any LLMError, even one from another copy of this package. */
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
 * cause we keep is a plain Error with a scrubbed message, its name and an HTTP status if any.
 */
function sanitizeCause(cause: unknown): unknown {
  if (LLMError.isInstance(cause)) return cause;
  if (cause instanceof Error) {
    const plain = new Error(scrubSecrets(cause.message));
    plain.name = cause.name;
    const status = (cause as { status?: unknown }).status;
    if (typeof status === 'number') (plain as Error & { status?: number }).status = status;
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') (plain as Error & { code?: string }).code = code;
    plain.stack = `${plain.name}: ${plain.message}`;
    return plain;
  }
  return typeof cause === 'string' ? scrubSecrets(cause) : undefined;
}

/** Invalid configuration; `problems` lists every bad key path at once. */
export class ConfigError extends LLMError {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[], options: LLMErrorOptions = {}) {
    const lines = problems.map((p) => `  - ${p.key}: ${p.message}`).join('\n');
    super('config_error', `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines}`, options);
    this.problems = problems.map((p) => ({ key: p.key, message: scrubSecrets(p.message) }));
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), problems: this.problems };
  }
}

/** The request is malformed; the message says what to change. Never retried, never falls back. */
export class InvalidRequestError extends LLMError {
  constructor(message: string, options: LLMErrorOptions = {}) {
    super('invalid_request', message, options);
  }
}

/** No manager is registered for the provider named in a model id. */
export class NoSuchProviderError extends LLMError {
  constructor(provider: string, known: string[] = []) {
    super('no_such_provider', `Unknown provider "${provider}"${known.length ? `; known providers: ${known.join(', ')}` : ''}`, { provider });
  }
}

/** The provider does not have this model. */
export class NoSuchModelError extends LLMError {
  constructor(message: string, options: LLMErrorOptions = {}) {
    super('no_such_model', message, options);
  }
}

/** Missing or rejected credentials. */
export class AuthenticationError extends LLMError {
  constructor(message: string, options: LLMErrorOptions = {}) {
    super('authentication', message, options);
  }
}

/** 429 from the provider, or our own client-side limit. */
export class RateLimitError extends LLMError {
  /** How long the provider asked us to wait, when it said. */
  readonly retryAfterMs?: number;
  constructor(message: string, options: LLMErrorOptions & { retryAfterMs?: number } = {}) {
    super('rate_limit', message, { retryable: true, ...options });
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** A total, first-chunk or idle-chunk timeout. */
export class TimeoutError extends LLMError {
  constructor(message: string, options: LLMErrorOptions = {}) {
    super('timeout', message, { retryable: true, ...options });
  }
}

/** Any other provider failure; `status` is the HTTP status when there was one. */
export class ProviderError extends LLMError {
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
  constructor(message: string, options: LLMErrorOptions = {}) {
    super('context_length', message, options);
  }
}

/** A stream failed after its first delta; `partialText` is what the caller already received. */
export class StreamInterruptedError extends LLMError {
  readonly partialText: string;
  constructor(message: string, options: LLMErrorOptions & { partialText?: string } = {}) {
    super('stream_interrupted', message, options);
    this.partialText = options.partialText ?? '';
  }
}

/** The circuit breaker for this model is open: rejected without a call. */
export class CircuitOpenError extends LLMError {
  constructor(message: string, options: LLMErrorOptions = {}) {
    super('circuit_open', message, options);
  }
}

/** A bot or session budget would be exceeded. */
export class BudgetExceededError extends LLMError {
  constructor(message: string, options: LLMErrorOptions = {}) {
    super('budget_exceeded', message, options);
  }
}

/** The caller aborted. */
export class AbortError extends LLMError {
  constructor(message = 'The call was aborted', options: LLMErrorOptions = {}) {
    super('aborted', message, options);
  }
}

/** An adapter threw; the message names it. */
export class AdapterError extends LLMError {
  /** The adapter that failed. */
  readonly adapter: string;
  constructor(adapter: string, message: string, options: LLMErrorOptions = {}) {
    super('adapter_error', `Adapter "${adapter}" failed: ${message}`, options);
    this.adapter = adapter;
  }
}

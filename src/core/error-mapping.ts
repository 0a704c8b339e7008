/**
 * The one place that turns an HTTP status or an SDK/fetch failure into our error classes,
 * and decides what is retryable (RELIABILITY.md "Semantics"). It knows HTTP, fetch and Node's
 * socket errors; what one provider or SDK does differently (an extra status, error types inside a
 * stream, its error class names, its wording for an empty account) arrives as `ErrorQuirks` in the
 * `ErrorOrigin`, declared by that provider's definition (src/managers/<provider>/).
 */
import {
  AbortError,
  AuthenticationError,
  ContextLengthError,
  InvalidRequestError,
  LLMError,
  NoSuchModelError,
  ProviderError,
  RateLimitError,
  TimeoutError,
} from './errors.js';
import { malformedAnswer, ResponseLimitError } from './answer-errors.js';
import { MAX_UPSTREAM_TEXT_CHARS, scrubKeyShapes } from './secrets.js';

/**
 * What one provider (or the SDK it is built on) does differently from plain HTTP, declared by its
 * definition. Every field is optional: an origin without quirks is mapped by HTTP semantics alone.
 */
export interface ErrorQuirks {
  /** Statuses worth another attempt besides 408, 409, 429, 500, 502, 503 and 504 (e.g. a 529 "overloaded"). */
  readonly retryableStatuses?: readonly number[];
  /**
   * Error `type`s an error event inside a stream carries (no HTTP status there), with the status
   * each stands for, e.g. `{ overloaded_error: 529 }`; matched against the event body's type, else as
   * a whole word of the error message.
   */
  readonly streamErrorTypes?: Readonly<Record<string, number>>;
  /** Class names of the SDK's "no answer in time" errors: TimeoutError (retryable). */
  readonly timeoutErrorNames?: readonly string[];
  /** Class names of the SDK's connection failures (when no socket error code is in the cause chain): retryable. */
  readonly connectionErrorNames?: readonly string[];
  /** Class names of the SDK's "aborted by the caller" errors, besides the standard `AbortError`. */
  readonly abortErrorNames?: readonly string[];
  /**
   * Words (case-insensitive) in an error code or message saying the account is out of quota or
   * credit: a 429 or a 400 with one of them is a non-retryable quota RateLimitError.
   */
  readonly quotaHints?: readonly string[];
}

/** Where an upstream failure happened, for the message and the error fields. */
export interface ErrorOrigin {
  provider: string;
  model?: string;
  /** The provider's departures from plain HTTP (its definition's `errorQuirks`); none = HTTP semantics only. */
  quirks?: ErrorQuirks;
  /**
   * Cleans text an upstream wrote before it goes into a message or a cause: the manager's
   * `SecretRegistry.scrubUpstream` with the request's own text as echoes (BaseLLMManager passes it).
   * Default: key shapes hidden and the text bounded.
   */
  clean?: (text: string) => string;
}

/** The default cleaning of upstream text: no registry at hand, so key shapes only, bounded. */
function defaultClean(text: string): string {
  return scrubKeyShapes(text.length > MAX_UPSTREAM_TEXT_CHARS ? `${text.slice(0, MAX_UPSTREAM_TEXT_CHARS)}…` : text);
}

/**
 * What we keep of an upstream error as a cause: a plain Error with its cleaned message, name, HTTP
 * status and code; never the SDK's object (it holds request options and header maps).
 */
export function cleanCause(error: unknown, origin: ErrorOrigin): unknown {
  if (!(error instanceof Error) || LLMError.isInstance(error)) return error;
  const clean = origin.clean ?? defaultClean;
  const plain = new Error(clean(error.message));
  plain.name = error.name;
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number') (plain as Error & { status?: number }).status = status;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') (plain as Error & { code?: string }).code = code;
  plain.stack = `${plain.name}: ${plain.message}`;
  return plain;
}

/** Statuses worth another attempt by HTTP semantics: timeouts, conflicts, rate limits, server errors. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 409, 429, 500, 502, 503, 504]);

const CONTEXT_LENGTH_HINTS = /context[_ ]length|maximum context|prompt is too long|too many tokens|context window/i;
/** A 429 naming quota or billing is an empty account, not a busy server, whoever sends it. */
const QUOTA_HINTS = /quota|billing/i;
const CONNECTION_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

const DECIMAL = /^\d+(\.\d+)?$/;
const NO_QUIRKS: ErrorQuirks = {};

/**
 * One set of quirks from several (an SDK's, then a provider's own): lists are joined, stream types
 * merged with later parts winning.
 */
export function mergeErrorQuirks(...parts: Array<ErrorQuirks | undefined>): ErrorQuirks {
  const given = parts.filter((part): part is ErrorQuirks => part !== undefined);
  const joined = <T>(pick: (quirks: ErrorQuirks) => readonly T[] | undefined): T[] => [...new Set(given.flatMap((quirks) => [...(pick(quirks) ?? [])]))];
  return {
    retryableStatuses: joined((quirks) => quirks.retryableStatuses),
    streamErrorTypes: Object.fromEntries(given.flatMap((quirks) => Object.entries(quirks.streamErrorTypes ?? {}))),
    timeoutErrorNames: joined((quirks) => quirks.timeoutErrorNames),
    connectionErrorNames: joined((quirks) => quirks.connectionErrorNames),
    abortErrorNames: joined((quirks) => quirks.abortErrorNames),
    quotaHints: joined((quirks) => quirks.quotaHints),
  };
}

/** Whether a code or message carries one of the quirks' quota words. */
function hasQuotaHint(text: string, quirks: ErrorQuirks): boolean {
  const lower = text.toLowerCase();
  return (quirks.quotaHints ?? []).some((hint) => lower.includes(hint.toLowerCase()));
}

/** Header lookup that accepts a Headers object or a plain record. */
export type HeaderSource = Headers | Record<string, string | string[] | undefined> | undefined | null;

function header(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const wanted = name.toLowerCase();
  const found = Object.keys(record).find((key) => key.toLowerCase() === wanted);
  const value = found === undefined ? undefined : record[found];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The delay a response asks for: `retry-after-ms`, else `retry-after` in seconds or as an HTTP date.
 * Returns undefined when there is no usable header.
 */
export function parseRetryAfter(headers: HeaderSource, now: number = Date.now()): number | undefined {
  const ms = header(headers, 'retry-after-ms')?.trim();
  if (ms && DECIMAL.test(ms)) return Number(ms);
  const retryAfter = header(headers, 'retry-after')?.trim();
  if (!retryAfter) return undefined;
  // RFC 9110: delay-seconds is digits only; Number() would also accept "0x10" or "1e2".
  if (DECIMAL.test(retryAfter)) return Number(retryAfter) * 1000;
  // Otherwise only an HTTP date (it has a weekday/month name); "-1" must not parse as a year.
  if (!/[a-z]/i.test(retryAfter)) return undefined;
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Build our error for an HTTP failure. `detail` is the upstream message: `origin.clean` cleans it
 * (secrets and the request's own text taken out) before it enters the message.
 */
export function errorFromStatus(
  status: number,
  detail: string,
  origin: ErrorOrigin,
  extra: { headers?: HeaderSource; code?: string; cause?: unknown } = {},
): LLMError {
  const where = origin.model ? `${origin.provider}:${origin.model}` : origin.provider;
  const options = { provider: origin.provider, model: origin.model, cause: extra.cause === undefined ? undefined : cleanCause(extra.cause, origin) };
  const cleaned = detail ? (origin.clean ?? defaultClean)(detail) : '';
  const text = `${where} answered ${status}: ${cleaned || 'no detail'}`;
  const retryAfterMs = parseRetryAfter(extra.headers);
  const codeText = `${extra.code ?? ''} ${detail}`;
  const quirks = origin.quirks ?? NO_QUIRKS;
  if (status === 401 || status === 403) {
    return new AuthenticationError(`${text}. Check the API key configured for provider "${origin.provider}".`, options);
  }
  if (status === 404) {
    return new NoSuchModelError(`${text}. The provider does not know this model (or the base URL is wrong).`, options);
  }
  // Some providers answer an empty account with 400 (their quota words say so): generic words on a 400 do not.
  if ((status === 429 && (QUOTA_HINTS.test(codeText) || hasQuotaHint(codeText, quirks))) || (status === 400 && hasQuotaHint(codeText, quirks))) {
    // Quota exhaustion will not heal by waiting: not retryable, but a fallback (another account) may answer.
    return new RateLimitError(`${text}. The account's quota is exhausted.`, { ...options, retryable: false, kind: 'quota' });
  }
  if (status === 429) {
    return new RateLimitError(text, { ...options, retryAfterMs, kind: 'upstream' });
  }
  if ((status === 400 || status === 413 || status === 422) && CONTEXT_LENGTH_HINTS.test(codeText)) {
    return new ContextLengthError(text, options);
  }
  if (status === 400 || status === 413 || status === 422) {
    return new InvalidRequestError(text, options);
  }
  if (status === 408 || status === 504) {
    return new ProviderError(text, { ...options, status, retryable: true, retryAfterMs });
  }
  const retryable = RETRYABLE_STATUSES.has(status) || (quirks.retryableStatuses ?? []).includes(status);
  return new ProviderError(text, { ...options, status, retryable, retryAfterMs });
}

/**
 * The class name of an SDK error. Some SDKs leave `name` as "Error" on every class they define, so
 * the constructor's name is the one that tells their error classes apart.
 */
function errorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const name = (error as { name?: unknown }).name;
  if (typeof name === 'string' && name !== 'Error') return name;
  const constructorName = (error as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof constructorName === 'string' ? constructorName : undefined;
}

function isAbortLike(name: string | undefined, quirks: ErrorQuirks): boolean {
  return name !== undefined && (name === 'AbortError' || (quirks.abortErrorNames ?? []).includes(name));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * An error event inside a stream has no HTTP status; its type (one of the quirks' stream error
 * types) says what it would have been, so it can be retried like that status.
 */
function streamErrorStatus(error: unknown, quirks: ErrorQuirks): number | undefined {
  const types = quirks.streamErrorTypes;
  if (!types) return undefined;
  const body = (error as { error?: unknown })?.error as { type?: unknown; error?: { type?: unknown } } | undefined;
  const type = body?.error?.type ?? body?.type;
  const text = typeof type === 'string' ? type : error instanceof Error ? error.message : '';
  for (const [name, status] of Object.entries(types)) {
    if (new RegExp(`\\b${escapeRegExp(name)}\\b`).test(text)) return status;
  }
  return undefined;
}

/** The connection failed (reset, refused, DNS): retryable. */
function connectionCode(error: unknown, name: string | undefined, quirks: ErrorQuirks): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  if (name !== undefined && (quirks.connectionErrorNames ?? []).includes(name)) return name;
  if (error instanceof TypeError && /fetch failed|terminated|socket/i.test(error.message)) return 'fetch_failed';
  return undefined;
}

/**
 * Our own error, thrown as it is or carried as the cause of an SDK's (a fetch that rejects, e.g. on
 * a response bound, reaches the caller of the SDKs as APIConnectionError with it as the cause).
 */
function ownError(error: unknown): LLMError | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (LLMError.isInstance(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Map anything a provider SDK or fetch throws to an LLMError. Duck-typed on `status`, `headers`,
 * `error` (the parsed body) and `name` (read against `origin.quirks`), which covers the official
 * SDKs and plain fetch. `signal` tells a caller's abort from a connection failure.
 */
export function mapProviderError(error: unknown, origin: ErrorOrigin, signal?: AbortSignal): LLMError {
  const options = { provider: origin.provider, model: origin.model, cause: cleanCause(error, origin) };
  const clean = origin.clean ?? defaultClean;
  // An aborted attempt fails for the abort's reason (our TimeoutError, or the caller's abort), whatever
  // the SDK made of it: an SDK that ends a stream quietly on abort would otherwise look like an interruption.
  if (signal?.aborted) {
    const reason = signal.reason;
    if (LLMError.isInstance(reason)) return reason;
    return new AbortError(undefined, options);
  }
  const own = ownError(error);
  if (own) return ResponseLimitError.isInstance(own) ? own.at(origin) : own;
  const quirks = origin.quirks ?? NO_QUIRKS;
  const name = errorName(error);
  if (isAbortLike(name, quirks)) return new AbortError(undefined, options);
  const status = (error as { status?: unknown })?.status;
  if (typeof status === 'number' && status >= 400) {
    const body = (error as { error?: unknown }).error as { error?: { message?: string; code?: string; type?: string }; message?: string; code?: string; type?: string } | undefined;
    const inner = body?.error ?? body;
    const detail = inner?.message ?? (error as Error).message ?? '';
    const code = inner?.code ?? inner?.type;
    return errorFromStatus(status, String(detail), origin, { headers: (error as { headers?: HeaderSource }).headers, code: typeof code === 'string' ? code : undefined, cause: error });
  }
  const where = origin.model ? `${origin.provider}:${origin.model}` : origin.provider;
  const inStream = streamErrorStatus(error, quirks);
  if (inStream !== undefined) {
    return errorFromStatus(inStream, error instanceof Error ? error.message : String(error), origin, { cause: error });
  }
  if (name !== undefined && (quirks.timeoutErrorNames ?? []).includes(name)) {
    return new TimeoutError(`${where} did not answer in time`, options);
  }
  const connection = connectionCode(error, name, quirks);
  if (connection) {
    return new ProviderError(`${where}: connection failed (${connection})`, { ...options, retryable: true });
  }
  if (error instanceof SyntaxError) {
    // No cause and no detail: a JSON.parse message quotes the start of the body it choked on.
    return malformedAnswer(origin, 'the body is not valid JSON');
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ProviderError(`${where} failed: ${clean(message)}`, { ...options, retryable: false });
}

/**
 * Every failure the gateway answers with, in OpenAI's error body `{ error: { message, type, code, param } }`
 * and the HTTP status an OpenAI client expects, so the official SDKs raise their matching error classes.
 * The mapping is the one table in docs/gateway.md ("Errors"). Messages pass through `scrubKeyShapes`
 * only: they are clean where they were made, and a scrubbing that knows the keys would, applied to
 * text a caller sent, tell the caller which of its guesses are key pieces (core/secrets.ts).
 */
import { BudgetExceededError, CircuitOpenError, LLMError, ProviderError, RateLimitError, UnsupportedCapabilityError } from '../core/errors.js';
import { scrubKeyShapes } from '../core/secrets.js';

/** OpenAI's error object. */
export interface OpenAIErrorObject {
  message: string;
  type: string;
  code: string | null;
  param: string | null;
}

/** A failure ready to send: status, body, extra headers. */
export interface HttpFailure {
  status: number;
  body: { error: OpenAIErrorObject };
  headers: Record<string, string>;
  /** How loudly to log it: client mistakes are debug, our or upstream trouble is warn. */
  severity: 'debug' | 'warn' | 'error';
  /** Detail for the log only (never sent), e.g. the upstream authentication message. */
  logDetail?: string;
}

/** A failure the gateway itself decides (auth, routing, body checks), with its exact HTTP form. */
export class GatewayHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(scrubKeyShapes(message));
    this.name = 'GatewayHttpError';
  }

  /** A 400 about one field of the request body. */
  static invalid(message: string, param: string | null = null, code: string | null = null): GatewayHttpError {
    return new GatewayHttpError(400, message, 'invalid_request_error', code, param);
  }
}

/** Status the client sees when it went away (nginx's convention); nothing is usually left to read it. */
export const CLIENT_CLOSED_STATUS = 499;

function failure(status: number, message: string, type: string, code: string | null, param: string | null = null, extra: Partial<HttpFailure> = {}): HttpFailure {
  return { status, body: { error: { message: scrubKeyShapes(message), type, code, param } }, headers: extra.headers ?? {}, severity: extra.severity ?? 'debug', logDetail: extra.logDetail };
}

function retryAfterHeaders(ms: number | undefined): Record<string, string> {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return {};
  return { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))), 'retry-after-ms': String(Math.ceil(ms)) };
}

/**
 * `retry-after` for an answer that is a wait, not a failure (a rate limit, an open circuit): always
 * sent, the known wait in whole seconds (at least 1) or 1 s when the wait is unknown; `retry-after-ms`
 * only when it is known.
 */
function waitHeaders(ms: number | undefined): Record<string, string> {
  const known = retryAfterHeaders(ms);
  return known['retry-after'] ? known : { 'retry-after': '1' };
}

/** Fastify's own errors (body limit, JSON syntax, media type) carry a `code` like FST_ERR_CTP_BODY_TOO_LARGE. */
function fromFastify(error: { code?: unknown; statusCode?: unknown; message?: unknown }, bodyLimitBytes: number): HttpFailure | undefined {
  const code = typeof error.code === 'string' ? error.code : '';
  const status = typeof error.statusCode === 'number' ? error.statusCode : undefined;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) {
    return failure(413, `The request body is larger than this gateway accepts (${bodyLimitBytes} bytes, server.bodyLimitBytes)`, 'invalid_request_error', 'request_too_large');
  }
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) {
    return failure(415, 'Send the request body as JSON with the header Content-Type: application/json', 'invalid_request_error', 'unsupported_media_type');
  }
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return failure(400, 'The request body is empty; send a JSON object', 'invalid_request_error', 'invalid_json');
  if (code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') return failure(400, 'The Content-Length header does not match the body', 'invalid_request_error', 'invalid_body');
  if (code.startsWith('FST_ERR_CTP') || (error instanceof SyntaxError && status === 400)) {
    return failure(400, 'The request body is not valid JSON', 'invalid_request_error', 'invalid_json');
  }
  if (status !== undefined && status >= 400 && status < 500) {
    return failure(status, typeof error.message === 'string' ? error.message : 'Bad request', 'invalid_request_error', null);
  }
  return undefined;
}

/**
 * The OpenAI request field behind a capability or field path a model cannot take (an
 * UnsupportedCapabilityError's `capability`); field paths under `params.` are named without the prefix.
 */
const OPENAI_PARAM_OF_FEATURE: Record<string, string> = {
  tools: 'tools',
  toolChoice: 'tool_choice',
  parallelToolCalls: 'parallel_tool_calls',
  vision: 'messages',
  json: 'response_format',
  responseFormat: 'response_format',
  reasoning: 'reasoning_effort',
  'params.reasoning': 'reasoning_effort',
  'params.reasoning.effort': 'reasoning_effort',
  'params.maxTokens': 'max_tokens',
  'params.topP': 'top_p',
  'params.frequencyPenalty': 'frequency_penalty',
  'params.presencePenalty': 'presence_penalty',
};

/** A 400 `unsupported_parameter` naming the OpenAI field behind `feature`. */
function unsupportedFeature(message: string, feature: string): HttpFailure {
  const param = Object.prototype.hasOwnProperty.call(OPENAI_PARAM_OF_FEATURE, feature) ? OPENAI_PARAM_OF_FEATURE[feature]! : feature.replace(/^params\./, '');
  return failure(400, message, 'invalid_request_error', 'unsupported_parameter', param);
}

/** The HTTP form of a library error. */
function fromLLMError(error: LLMError): HttpFailure {
  const where = error.provider ? `provider "${error.provider}"` : 'the provider';
  switch (error.code) {
    case 'invalid_request':
      // No candidate could take a field or capability: when the error says which, name OpenAI's field.
      if (UnsupportedCapabilityError.isInstance(error.cause)) return unsupportedFeature(error.message, error.cause.capability);
      return failure(400, error.message, 'invalid_request_error', null);
    case 'config_error':
      return failure(400, error.message, 'invalid_request_error', 'config_error');
    case 'no_such_provider':
    case 'no_such_model':
      return failure(404, error.message, 'invalid_request_error', 'model_not_found', 'model');
    case 'context_length':
      return failure(400, error.message, 'invalid_request_error', 'context_length_exceeded', 'messages');
    case 'authentication':
      // The caller's gateway key was fine; the gateway's own credentials for the provider were not.
      return failure(502, `The gateway could not authenticate with ${where}: its credentials for it are missing or were rejected. This is a gateway configuration problem; see the gateway logs.`, 'api_error', 'upstream_authentication_failed', null, {
        severity: 'warn',
        logDetail: error.message,
      });
    case 'rate_limit': {
      const limited = error as RateLimitError;
      // Only an exhausted quota is final; a provider's 429 or one of our own limits passes, and the caller is told when.
      if (limited.kind === 'quota') {
        return failure(429, error.message, 'insufficient_quota', 'insufficient_quota', null, { headers: { 'x-should-retry': 'false' }, severity: 'warn' });
      }
      return failure(429, error.message, 'rate_limit_error', 'rate_limit_exceeded', null, { headers: waitHeaders(limited.retryAfterMs) });
    }
    case 'budget_exceeded':
      // Like OpenAI's quota error: 429 + insufficient_quota, and SDKs told not to retry (a budget does not heal in
      // seconds); `retry-after` says when a full day or month window starts over, when that is what is full.
      return failure(429, error.message, 'insufficient_quota', 'budget_exceeded', null, {
        headers: { 'x-should-retry': 'false', ...retryAfterHeaders((error as BudgetExceededError).retryAfterMs) },
      });
    case 'permission_denied':
      // A tenant's allow-lists or a bots-only key: the key is fine, this target is not for it.
      return failure(403, error.message, 'permission_error', 'permission_denied', 'model');
    case 'timeout':
      return failure(504, error.message, 'api_error', 'timeout', null, { severity: 'warn' });
    case 'circuit_open':
      // A 503 that says when to come back (the next probe), so no client hammers a failing model.
      return failure(503, error.message, 'api_error', 'circuit_open', null, { headers: waitHeaders((error as CircuitOpenError).retryAfterMs), severity: 'warn' });
    case 'aborted':
      return failure(CLIENT_CLOSED_STATUS, error.message, 'invalid_request_error', 'client_closed_request');
    case 'adapter_error':
      return failure(500, error.message, 'server_error', 'adapter_error', null, { severity: 'error' });
    case 'stream_interrupted':
      return failure(502, error.message, 'api_error', 'stream_interrupted', null, { severity: 'warn' });
    case 'invalid_output':
      // The model answered, but not JSON valid against the requested schema (after every candidate):
      // the upstream answer was bad, not the request.
      return failure(502, error.message, 'api_error', 'invalid_output', null, { severity: 'warn' });
    case 'unsupported_capability':
      return unsupportedFeature(error.message, (error as UnsupportedCapabilityError).capability);
    case 'provider_error': {
      const provider = error as ProviderError;
      return failure(502, error.message, 'api_error', 'upstream_error', null, { headers: retryAfterHeaders(provider.retryAfterMs), severity: 'warn' });
    }
    default:
      return failure(500, error.message, 'server_error', error.code, null, { severity: 'error' });
  }
}

/**
 * Map anything thrown while serving a request to its HTTP form. Unknown errors become a 500 whose
 * message says nothing about internals (the log gets the scrubbed detail).
 */
export function toHttpFailure(error: unknown, bodyLimitBytes: number): HttpFailure {
  if (error instanceof GatewayHttpError) {
    return failure(error.status, error.message, error.type, error.code, error.param, { headers: error.headers, severity: error.status >= 500 ? 'warn' : 'debug' });
  }
  if (LLMError.isInstance(error)) return fromLLMError(error);
  if (typeof error === 'object' && error !== null) {
    const fromFramework = fromFastify(error as { code?: unknown; statusCode?: unknown; message?: unknown }, bodyLimitBytes);
    if (fromFramework) return fromFramework;
  }
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return failure(500, 'The gateway failed while handling this request', 'server_error', 'internal_error', null, { severity: 'error', logDetail: scrubKeyShapes(detail) });
}

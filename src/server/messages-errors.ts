/**
 * Failures on the Anthropic routes (`/v1/messages`, `/v1/messages/count_tokens`) in Anthropic's error
 * shape, `{ type: 'error', error: { type, message }, request_id }`, with the `request-id` header, so
 * @anthropic-ai/sdk raises its matching classes (BadRequestError, AuthenticationError,
 * RateLimitError, ...). The status and the message are the gateway's one mapping (errors.ts
 * `toHttpFailure`); only the body's words change, and a field the switchboard names in its own terms
 * (`params.temperature`, `toolChoice`) is named by the Anthropic field the caller sent. Registered as
 * these routes' own error handler, so the auth hook's failures on them take this shape too while
 * every other route keeps OpenAI's.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LLMError, UnsupportedCapabilityError } from '../core/errors.js';
import { logFailure, type GatewayContext } from './context.js';
import { GatewayHttpError, toHttpFailure, type HttpFailure } from './errors.js';

/** Anthropic's error body (a type, not an interface, so that it is also a plain JSON record). */
export type AnthropicErrorBody = {
  type: 'error';
  error: { type: string; message: string };
  request_id?: string;
};

/** Anthropic's error type for each status its SDK maps to a class; other statuses fall back by class. */
const TYPE_OF_STATUS: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  503: 'overloaded_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

/** Anthropic's error type for an HTTP status. */
export function anthropicErrorType(status: number): string {
  return TYPE_OF_STATUS[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

/**
 * The Messages API field behind a switchboard feature or field path (an UnsupportedCapabilityError's
 * `capability`, or a path a provider's refusal names). Longest paths first: they are matched in order.
 */
const FIELD_OF_FEATURE: ReadonlyArray<[string, string]> = [
  ['params.reasoning.maxTokens', 'thinking.budget_tokens'],
  ['params.reasoning.effort', 'thinking'],
  ['params.reasoning', 'thinking'],
  ['params.maxTokens', 'max_tokens'],
  ['params.temperature', 'temperature'],
  ['params.topP', 'top_p'],
  ['params.topK', 'top_k'],
  ['params.stop', 'stop_sequences'],
  ['parallelToolCalls', 'tool_choice.disable_parallel_tool_use'],
  ['toolChoice', 'tool_choice'],
  ['responseFormat', 'output_config.format'],
  ['reasoning', 'thinking'],
  ['tools', 'tools'],
  ['vision', 'messages'],
  ['json', 'output_config.format'],
];

/** The UnsupportedCapabilityError behind a failure, if any (itself, or the cause of "no candidate could take it"). */
function unsupportedFeature(error: unknown): string | undefined {
  if (UnsupportedCapabilityError.isInstance(error)) return error.capability;
  if (LLMError.isInstance(error) && error.code === 'invalid_request' && UnsupportedCapabilityError.isInstance(error.cause)) return error.cause.capability;
  return undefined;
}

/** The shared route helpers' names for what this route calls otherwise (session-resolution.ts names `user`). */
const FIELD_OF_PARAM: Readonly<Record<string, string>> = { user: 'metadata.user_id' };

/**
 * The Anthropic field a failure is about: a gateway check's `param` (already the Anthropic path on
 * these routes), an unsupported feature's field, else the first switchboard field path a library
 * refusal names (a provider's own, e.g. a thinking budget a chat completion cannot carry).
 */
function fieldOf(error: unknown, http: HttpFailure): string | undefined {
  if (error instanceof GatewayHttpError) {
    const param = http.body.error.param;
    return param === null ? undefined : Object.prototype.hasOwnProperty.call(FIELD_OF_PARAM, param) ? FIELD_OF_PARAM[param] : param;
  }
  if (!LLMError.isInstance(error)) return undefined;
  const feature = unsupportedFeature(error);
  if (feature !== undefined) return FIELD_OF_FEATURE.find(([path]) => path === feature)?.[1] ?? feature.replace(/^params\./, '');
  if (error.code !== 'invalid_request') return undefined;
  return FIELD_OF_FEATURE.find(([path]) => path.startsWith('params.') && error.message.includes(path))?.[1];
}

/** A failure in Anthropic's shape: the HTTP failure (for status, headers and logging) and the body to send. */
export interface AnthropicFailure {
  http: HttpFailure;
  body: AnthropicErrorBody;
}

/** Map anything thrown on an Anthropic route to its status and Anthropic body. */
export function toAnthropicFailure(error: unknown, bodyLimitBytes: number): AnthropicFailure {
  const http = toHttpFailure(error, bodyLimitBytes);
  // Anthropic's body has no `param`: the message starts with the field instead, as Anthropic's own do ("max_tokens: Field required").
  const field = fieldOf(error, http);
  const message = field !== undefined && !http.body.error.message.startsWith(field) ? `${field}: ${http.body.error.message}` : http.body.error.message;
  return { http, body: { type: 'error', error: { type: anthropicErrorType(http.status), message } } };
}

/** The `event: error` payload of a stream that failed after it opened. */
export function anthropicStreamError(failure: HttpFailure): AnthropicErrorBody {
  return { type: 'error', error: { type: anthropicErrorType(failure.status), message: failure.body.error.message } };
}

/** The error handler of the Anthropic routes (fastify's route-level `errorHandler`). */
export function anthropicErrorHandler(context: GatewayContext) {
  return async (error: unknown, request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const { http, body } = toAnthropicFailure(error, context.bodyLimitBytes);
    logFailure(context, request, http);
    if (reply.sent || reply.raw.headersSent) return;
    await reply.code(http.status).headers({ ...http.headers, 'request-id': request.id }).send({ ...body, request_id: request.id });
  };
}

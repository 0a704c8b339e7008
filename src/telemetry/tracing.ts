/**
 * Spans (TELEMETRY.md "Spans"): one inference span per model tried, `{operation} {model}`, CLIENT
 * (INTERNAL in-process), with retries as span events; and the `invoke_agent {bot}` parent span of a
 * bot or session call. Message content is recorded only when capture is on, always scrubbed of
 * secrets; keys and Authorization values are never attributes.
 */
import { SpanKind, SpanStatusCode, context, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { ChatMessage, FinishReason, ManagedResult } from '../core/types.js';
import { scrubSecrets } from '../core/secrets.js';
import type { CallOutcome, CallStart, InferenceStart } from './observer.js';
import * as sc from './semconv.js';
import { inputContentAttributes, outputContentAttributes, specFinishReason, type Scrub } from './content.js';

export { specFinishReason, type Scrub } from './content.js';

/** Longest status message kept: enough to say what happened, small enough for any backend. */
const MAX_STATUS_MESSAGE = 512;
const ERROR_CODE_SHAPE = /^[a-z][a-z0-9_]{0,63}$/;

/** Low-cardinality `error.type`: the LLMError `code` (`rate_limit`, `timeout`...), else `_OTHER`. */
export function errorTypeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && ERROR_CODE_SHAPE.test(code) ? code : sc.ERROR_TYPE_OTHER;
}

/** The parent as an OpenTelemetry Context when it is one; otherwise the active context. */
export function parentContext(parent: unknown): Context {
  const candidate = parent as Partial<Context> | null | undefined;
  if (candidate && typeof candidate.getValue === 'function' && typeof candidate.setValue === 'function') return candidate as Context;
  return context.active();
}

/** Split `provider:model` at the first colon; a bare name is all model. */
export function splitModel(id: string): { provider?: string; model: string } {
  const at = id.indexOf(':');
  return at > 0 ? { provider: id.slice(0, at), model: id.slice(at + 1) } : { model: id };
}

function setIfDefined(attributes: Attributes, key: string, value: string | number | boolean | string[] | undefined): void {
  if (value !== undefined) attributes[key] = value;
}

/** Span-start attributes of an inference: the required ones, server and request parameters when set. */
export function inferenceStartAttributes(start: InferenceStart): Attributes {
  const params = start.request.params;
  const attributes: Attributes = {
    [sc.ATTR_OPERATION_NAME]: start.operation,
    [sc.ATTR_PROVIDER_NAME]: start.provider,
    [sc.ATTR_REQUEST_MODEL]: start.model,
    [sc.ATTR_REQUEST_STREAM]: start.stream,
  };
  setIfDefined(attributes, sc.ATTR_SERVER_ADDRESS, start.server?.address);
  setIfDefined(attributes, sc.ATTR_SERVER_PORT, start.server?.port);
  setIfDefined(attributes, sc.ATTR_REQUEST_MAX_TOKENS, params.maxTokens);
  setIfDefined(attributes, sc.ATTR_REQUEST_TEMPERATURE, params.temperature);
  setIfDefined(attributes, sc.ATTR_REQUEST_TOP_P, params.topP);
  setIfDefined(attributes, sc.ATTR_REQUEST_TOP_K, params.topK);
  setIfDefined(attributes, sc.ATTR_REQUEST_FREQUENCY_PENALTY, params.frequencyPenalty);
  setIfDefined(attributes, sc.ATTR_REQUEST_PRESENCE_PENALTY, params.presencePenalty);
  setIfDefined(attributes, sc.ATTR_REQUEST_STOP_SEQUENCES, params.stop === undefined ? undefined : ([] as string[]).concat(params.stop));
  setIfDefined(attributes, sc.ATTR_REQUEST_SEED, params.seed);
  const format = start.request.responseFormat?.type;
  if (format !== undefined) attributes[sc.ATTR_OUTPUT_TYPE] = format === 'text' ? 'text' : 'json';
  return attributes;
}

/** Start the inference span of one model tried. */
export function startInferenceSpan(tracer: Tracer, start: InferenceStart, captureContent: boolean, scrub: Scrub = scrubSecrets): Span {
  const attributes = inferenceStartAttributes(start);
  if (captureContent) Object.assign(attributes, inputContentAttributes(start.request.messages, scrub, start.request.tools));
  return tracer.startSpan(
    `${start.operation} ${start.model}`,
    { kind: start.inProcess ? SpanKind.INTERNAL : SpanKind.CLIENT, attributes },
    parentContext(start.parent),
  );
}

/** A retried attempt, as an event on the inference span. */
export function recordRetryEvent(span: Span, attempt: number, error: unknown, delayMs: number, deployment?: string): void {
  const attributes: Attributes = {
    [sc.ATTR_EVENT_ATTEMPT]: attempt,
    [sc.ATTR_ERROR_TYPE]: errorTypeOf(error),
    [sc.ATTR_EVENT_DELAY_MS]: Math.round(delayMs),
  };
  if (deployment !== undefined) attributes[sc.ATTR_SB_DEPLOYMENT] = deployment;
  span.addEvent(sc.EVENT_RETRY, attributes);
}

/** A move to the next candidate, as an event on the agent span (`deployment`: the failed model's last one tried). */
export function recordFallbackEvent(span: Span, from: string, to: string, error: unknown, deployment?: string): void {
  const attributes: Attributes = { [sc.ATTR_SB_MODEL]: from, [sc.ATTR_SB_FALLBACK_TO]: to, [sc.ATTR_ERROR_TYPE]: errorTypeOf(error) };
  if (deployment !== undefined) attributes[sc.ATTR_SB_DEPLOYMENT] = deployment;
  span.addEvent(sc.EVENT_FALLBACK, attributes);
}

/** Response attributes, usage (only when reported), cost and time to first chunk; ends the span. */
export function endInferenceSpan(span: Span, result: ManagedResult, timeToFirstChunkS: number | undefined, captureContent: boolean, scrub: Scrub = scrubSecrets): void {
  const attributes: Attributes = { [sc.ATTR_RESPONSE_FINISH_REASONS]: [specFinishReason(result.finishReason)], [sc.ATTR_SB_ATTEMPTS]: result.attempts };
  setIfDefined(attributes, sc.ATTR_RESPONSE_ID, result.id);
  setIfDefined(attributes, sc.ATTR_RESPONSE_MODEL, result.responseModel);
  if (result.usageReported) {
    const usage = result.usage;
    attributes[sc.ATTR_USAGE_INPUT_TOKENS] = usage.inputTokens;
    attributes[sc.ATTR_USAGE_OUTPUT_TOKENS] = usage.outputTokens;
    setIfDefined(attributes, sc.ATTR_USAGE_CACHE_READ_INPUT_TOKENS, usage.cacheReadTokens);
    setIfDefined(attributes, sc.ATTR_USAGE_CACHE_CREATION_INPUT_TOKENS, usage.cacheWriteTokens);
    setIfDefined(attributes, sc.ATTR_USAGE_REASONING_OUTPUT_TOKENS, usage.reasoningTokens);
  }
  if (result.costUsd !== null) attributes[sc.ATTR_SB_COST_USD] = result.costUsd;
  setIfDefined(attributes, sc.ATTR_RESPONSE_TIME_TO_FIRST_CHUNK, timeToFirstChunkS);
  if (captureContent) Object.assign(attributes, outputContentAttributes(result.text, result.finishReason, scrub, result.toolCalls, result.reasoning));
  span.setAttributes(attributes);
  span.end();
}

/** `error.type`, status ERROR with a scrubbed message; ends the span. */
export function failSpan(span: Span, error: unknown, extra: Attributes = {}, scrub: Scrub = scrubSecrets): void {
  const message = scrub(error instanceof Error ? error.message : String(error)).slice(0, MAX_STATUS_MESSAGE);
  span.setAttributes({ ...extra, [sc.ATTR_ERROR_TYPE]: errorTypeOf(error) });
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  span.end();
}

/** The `invoke_agent {bot}` span and the context its children use; none for a plain model call. */
export function startAgentSpan(tracer: Tracer, start: CallStart, captureContent: boolean, scrub: Scrub = scrubSecrets): { span: Span; context: Context } | undefined {
  if (start.bot === undefined && start.sessionId === undefined) return undefined;
  const primary = splitModel(start.model);
  const attributes: Attributes = { [sc.ATTR_OPERATION_NAME]: sc.OPERATION_INVOKE_AGENT, [sc.ATTR_REQUEST_MODEL]: primary.model };
  setIfDefined(attributes, sc.ATTR_PROVIDER_NAME, primary.provider);
  setIfDefined(attributes, sc.ATTR_AGENT_NAME, start.bot);
  setIfDefined(attributes, sc.ATTR_CONVERSATION_ID, start.sessionId);
  setIfDefined(attributes, sc.ATTR_REQUEST_STREAM, start.stream);
  if (captureContent) Object.assign(attributes, inputContentAttributes(start.messages, scrub));
  const name = start.bot === undefined ? sc.OPERATION_INVOKE_AGENT : `${sc.OPERATION_INVOKE_AGENT} ${start.bot}`;
  const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes }, context.active());
  return { span, context: trace.setSpan(context.active(), span) };
}

/** The call's outcome on the agent span; ends it. */
export function endAgentSpan(span: Span, start: CallStart, outcome: CallOutcome, captureContent: boolean, scrub: Scrub = scrubSecrets): void {
  const attributes: Attributes = {
    [sc.ATTR_SB_CACHE_HIT]: outcome.cached,
    [sc.ATTR_SB_ADAPTERS]: [...outcome.adapters],
    [sc.ATTR_SB_ATTEMPTS]: outcome.attempts,
    [sc.ATTR_RESPONSE_FINISH_REASONS]: [specFinishReason(outcome.finishReason)],
  };
  setIfDefined(attributes, sc.ATTR_RESPONSE_ID, outcome.id);
  setIfDefined(attributes, sc.ATTR_RESPONSE_MODEL, outcome.responseModel);
  if (outcome.costUsd !== null) attributes[sc.ATTR_SB_COST_USD] = outcome.costUsd;
  if (outcome.model !== start.model) attributes[sc.ATTR_SB_FALLBACK_MODEL] = outcome.model;
  if (captureContent) Object.assign(attributes, outputContentAttributes(outcome.text, outcome.finishReason, scrub, outcome.toolCalls, outcome.message?.reasoning));
  span.setAttributes(attributes);
  span.end();
}

/** `server.address` / `server.port` of where an attempt went (a deployment's own base URL). */
export function setServer(span: Span | undefined, server: { address: string; port?: number }): void {
  if (!span) return;
  span.setAttribute(sc.ATTR_SERVER_ADDRESS, server.address);
  if (server.port !== undefined) span.setAttribute(sc.ATTR_SERVER_PORT, server.port);
}

/**
 * Telemetry of `sb.embed` (TELEMETRY.md): one span `embeddings {model}` per upstream request (a batch),
 * `gen_ai.operation.name` = `embeddings`, the duration and input-token histograms, the cost counter and
 * the model's stats; and for the whole call the request and cache counters, the call stats and the
 * `call.*` events (marked `operation: 'embeddings'`). The texts are content and never recorded, with or
 * without content capture: a span carries their count only. Every step is guarded like the generation
 * recorders in telemetry.ts: telemetry never breaks a call.
 */
import { SpanKind, context, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import type { LLMError } from '../core/errors.js';
import { eventError, type SwitchboardEvents } from './events.js';
import type { MetricLabels } from './metric-labels.js';
import { OTHER_LABEL } from './metric-labels.js';
import type { SwitchboardMetrics } from './metrics.js';
import { safely, type EmbedCallOutcome, type EmbedCallRecorder, type EmbedCallStart, type EmbeddingOutcome, type EmbeddingRecorder, type EmbeddingStart } from './observer.js';
import * as sc from './semconv.js';
import type { StatsCollector } from './stats.js';
import { errorTypeOf, failSpan, recordRetryEvent, setServer } from './tracing.js';

/** What the embedding recorders report to (the same parts as the generation recorders). */
export interface EmbeddingTelemetryParts {
  tracer: Tracer;
  meter: () => SwitchboardMetrics;
  stats: StatsCollector;
  events: SwitchboardEvents;
  log: (message: string, error: unknown) => void;
  scrub: (text: string) => string;
  labels: MetricLabels;
}

/** The usage of an embedding as metrics and stats take it: input tokens, no output. */
function embeddingUsage(inputTokens: number) {
  return { inputTokens, outputTokens: 0, totalTokens: inputTokens };
}

/** Span-start attributes of one embedding request. */
export function embeddingStartAttributes(start: EmbeddingStart): Attributes {
  const attributes: Attributes = {
    [sc.ATTR_OPERATION_NAME]: sc.OPERATION_EMBEDDINGS,
    [sc.ATTR_PROVIDER_NAME]: start.provider,
    [sc.ATTR_REQUEST_MODEL]: start.model,
    [sc.ATTR_SB_EMBEDDINGS_INPUTS]: start.inputs,
  };
  if (start.server?.address !== undefined) attributes[sc.ATTR_SERVER_ADDRESS] = start.server.address;
  if (start.server?.port !== undefined) attributes[sc.ATTR_SERVER_PORT] = start.server.port;
  if (start.dimensions !== undefined) attributes[sc.ATTR_EMBEDDINGS_DIMENSION_COUNT] = start.dimensions;
  return attributes;
}

/** The recorder of one embedding request's span and metrics. */
export function startEmbedding(parts: EmbeddingTelemetryParts, start: EmbeddingStart): EmbeddingRecorder {
  const { log } = parts;
  const startedAt = performance.now();
  const tenant = parts.labels.tenant(start.tenantId);
  const key = () => ({ operation: sc.OPERATION_EMBEDDINGS, provider: start.provider, model: parts.labels.model(start.provider, start.model), ...(tenant === undefined ? {} : { tenant }) });
  let settled = false;
  let span: Span | undefined;
  safely(() => {
    span = parts.tracer.startSpan(`${sc.OPERATION_EMBEDDINGS} ${start.model}`, { kind: start.inProcess ? SpanKind.INTERNAL : SpanKind.CLIENT, attributes: embeddingStartAttributes(start) }, context.active());
  }, log);
  // The current attempt's deployment (providers with deployments): a configured name, never a key or URL.
  let deployment: string | undefined;
  const deploymentFailed = (error: LLMError) => {
    if (deployment !== undefined) safely(() => parts.meter().recordDeploymentAttempt(start.provider, deployment!, errorTypeOf(error)), log);
  };
  return {
    deployment(name: string, server?: { address: string; port?: number }) {
      if (settled) return;
      deployment = name;
      safely(() => span?.setAttribute(sc.ATTR_SB_DEPLOYMENT, name), log);
      const where = server ?? start.server;
      if (where) safely(() => setServer(span, where), log);
    },
    retry(failedAttempt: number, error: LLMError, delayMs: number) {
      if (settled) return;
      deploymentFailed(error);
      safely(() => span && recordRetryEvent(span, failedAttempt, error, delayMs, deployment), log);
      safely(() => parts.meter().recordRetry(start.provider, parts.labels.model(start.provider, start.model), errorTypeOf(error)), log);
      if (parts.events.hasListeners('retry')) {
        const event = { provider: start.provider, model: start.model, attempt: failedAttempt, delayMs, error: eventError(error) };
        safely(() => parts.events.emit('retry', deployment === undefined ? event : { ...event, deployment }), log);
      }
    },
    end(outcome: EmbeddingOutcome) {
      if (settled) return;
      settled = true;
      const durationS = (performance.now() - startedAt) / 1000;
      if (deployment !== undefined) safely(() => parts.meter().recordDeploymentAttempt(start.provider, deployment!), log);
      safely(() => {
        if (!span) return;
        const attributes: Attributes = { [sc.ATTR_SB_ATTEMPTS]: outcome.attempts };
        if (outcome.usageReported) attributes[sc.ATTR_USAGE_INPUT_TOKENS] = outcome.inputTokens;
        if (outcome.responseModel !== undefined) attributes[sc.ATTR_RESPONSE_MODEL] = outcome.responseModel;
        if (start.dimensions === undefined) attributes[sc.ATTR_EMBEDDINGS_DIMENSION_COUNT] = outcome.dimensions;
        if (outcome.costUsd !== null) attributes[sc.ATTR_SB_COST_USD] = outcome.costUsd;
        span.setAttributes(attributes);
        span.end();
      }, log);
      safely(() => parts.labels.admitModel(start.provider, start.model), log);
      const labels = key();
      const usage = outcome.usageReported ? embeddingUsage(outcome.inputTokens) : undefined;
      safely(
        () =>
          parts.meter().recordInference(labels, {
            durationS,
            responseModel: labels.model === OTHER_LABEL ? OTHER_LABEL : parts.labels.responseModel(outcome.responseModel),
            usage,
            costUsd: outcome.costUsd,
            inputOnly: true,
          }),
        log,
      );
      safely(() => parts.stats.inferenceFinished(parts.labels.modelId(start.provider, start.model), undefined, usage, outcome.costUsd, outcome.latencyMs), log);
    },
    fail(error: LLMError) {
      if (settled) return;
      settled = true;
      const durationS = (performance.now() - startedAt) / 1000;
      deploymentFailed(error);
      safely(() => span && failSpan(span, error, {}, parts.scrub), log);
      safely(() => parts.meter().recordInference(key(), { durationS, costUsd: null, errorType: errorTypeOf(error), inputOnly: true }), log);
      safely(() => parts.stats.inferenceFailed(parts.labels.modelId(start.provider, start.model)), log);
    },
  };
}

/** The recorder of one whole `sb.embed` call: stats, the request and cache counters, `call.*` events. */
export function startEmbedCall(parts: EmbeddingTelemetryParts, start: EmbedCallStart): EmbedCallRecorder {
  const { log } = parts;
  let settled = false;
  // Listed in stats' activeCalls under the model's bounded label (splitModelId: the first colon splits).
  const colon = start.model.indexOf(':');
  const label = colon > 0 ? parts.labels.modelId(start.model.slice(0, colon), start.model.slice(colon + 1)) : OTHER_LABEL;
  let callId: string | undefined;
  safely(() => {
    callId = parts.stats.callStarted({ model: label });
  }, log);
  const tenant = parts.labels.tenant(start.tenantId);
  const tenantId = start.tenantId === undefined ? {} : { tenantId: start.tenantId };
  return {
    cacheLookup(hit: boolean) {
      if (settled) return;
      safely(() => parts.meter().recordCacheLookup(undefined, hit), log);
      if (!hit) return;
      safely(() => parts.stats.cacheHit(), log);
      if (parts.events.hasListeners('cache.hit')) safely(() => parts.events.emit('cache.hit', { model: start.model }), log);
    },
    end(outcome: EmbedCallOutcome) {
      if (settled) return;
      settled = true;
      safely(() => parts.stats.callFinished(undefined, outcome.latencyMs, callId), log);
      if (tenant !== undefined) safely(() => parts.stats.tenantCallEnded(tenant, { failed: false, usage: { inputTokens: outcome.inputTokens, outputTokens: 0 }, costUsd: outcome.costUsd }), log);
      safely(() => parts.meter().recordRequest(undefined, undefined, tenant), log);
      if (!parts.events.hasListeners('call.finished')) return;
      safely(
        () =>
          parts.events.emit('call.finished', {
            ...tenantId,
            model: outcome.model,
            usage: embeddingUsage(outcome.inputTokens),
            costUsd: outcome.costUsd,
            latencyMs: outcome.latencyMs,
            cached: outcome.cached,
            attempts: outcome.attempts,
            adapters: [],
            finishReason: 'stop',
            operation: 'embeddings',
          }),
        log,
      );
    },
    fail(error: LLMError, attempts: number) {
      if (settled) return;
      settled = true;
      safely(() => parts.stats.callFailed(undefined, callId), log);
      if (tenant !== undefined) safely(() => parts.stats.tenantCallEnded(tenant, { failed: true }), log);
      safely(() => parts.meter().recordRequest(undefined, errorTypeOf(error), tenant), log);
      if (parts.events.hasListeners('call.failed')) safely(() => parts.events.emit('call.failed', { ...tenantId, model: start.model, error: eventError(error), attempts, operation: 'embeddings' }), log);
    },
  };
}

/**
 * `createTelemetry`: the CallObserver the call path reports to, turning each report into spans,
 * metrics, stats and events. Tracer and meter come from the providers given or the
 * `@opentelemetry/api` globals; the library never installs an SDK. Every step runs inside `safely`
 * and every recorder settles once, so nothing here can change or break a call.
 */
import { metrics, trace, type Meter, type MeterProvider, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { AbortError, type LLMError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ManagedResult } from '../core/types.js';
import { processSecrets, type SecretRegistry } from '../core/secrets.js';
import { SwitchboardEvents, eventError } from './events.js';
import { SwitchboardMetrics } from './metrics.js';
import { startEmbedCall, startEmbedding } from './embedding-telemetry.js';
import { noopEmbedCall, noopEmbedding, noopObserver, safely, type CallObserver, type CallOutcome, type CallRecorder, type CallStart, type InferenceRecorder, type InferenceStart } from './observer.js';
import { ATTR_SB_ATTEMPTS, ATTR_SB_DEPLOYMENT, ATTR_SB_HISTORY_SENT, ATTR_SB_HISTORY_TRIMMED, ATTR_SB_MODEL, ENV_CAPTURE_MESSAGE_CONTENT, EVENT_HISTORY, INSTRUMENTATION_SCOPE } from './semconv.js';
import { StatsCollector } from './stats.js';
import { MetricLabels, OTHER_LABEL } from './metric-labels.js';
import { endAgentSpan, endInferenceSpan, errorTypeOf, failSpan, recordFallbackEvent, recordRetryEvent, setServer, splitModel, startAgentSpan, startInferenceSpan } from './tracing.js';

/** Options of `createTelemetry`. */
export interface TelemetryOptions {
  /** Default: the global tracer provider (a no-op until an application installs an SDK). */
  tracerProvider?: TracerProvider;
  /** Default: the global meter provider, looked up again if the application installs one later. */
  meterProvider?: MeterProvider;
  /** Record message content on spans (also on with OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true). */
  captureContent?: boolean;
  /** Where instrumentation failures are reported. */
  logger?: Logger;
  /** Scrubs span content and status messages (the switchboard's registry); default the process-wide one. */
  secrets?: SecretRegistry;
  /** Dynamic models (outside catalog and bots) admitted as metric and stats labels; default 200. */
  maxModelLabels?: number;
  /** Latency samples kept per model for stats percentiles (default 1024). */
  statsWindow?: number;
}

/** What the switchboard wires in: the observer for the call path, `sb.stats()` and `sb.events`. */
export interface Telemetry {
  observer: CallObserver;
  stats: StatsCollector;
  events: SwitchboardEvents;
  /** The bounded label sets; the composition root tells them which models and bots are known. */
  labels: MetricLabels;
  /** The switchboard's tracer (its `tracerProvider`, else the global one): spans made outside the call path (chains) use it too. */
  tracer: Tracer;
}

/** Failures logged in full before logging thins out to one in this many (a broken exporter fails every call). */
const LOG_FIRST_FAILURES = 10;
const LOG_EVERY_NTH_FAILURE = 1000;

/** True when the option or the standard environment variable turns content capture on. */
export function contentCaptureEnabled(option: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  return option === true || env[ENV_CAPTURE_MESSAGE_CONTENT]?.trim().toLowerCase() === 'true';
}

/** Build the observer, stats and events from one set of providers. */
export function createTelemetry(options: TelemetryOptions = {}): Telemetry {
  const captureContent = contentCaptureEnabled(options.captureContent);
  const logger = options.logger;
  let failures = 0;
  const log = (message: string, error: unknown): void => {
    failures++;
    if (failures > LOG_FIRST_FAILURES && failures % LOG_EVERY_NTH_FAILURE !== 0) return;
    try {
      logger?.warn(message, { error: eventError(error), failures });
    } catch {
      // Nothing left to tell: the logger itself is broken.
    }
  };
  const stats = new StatsCollector({ window: options.statsWindow });
  const events = new SwitchboardEvents(logger);
  // The API's global tracer is a proxy that follows a later registration; the global meter is not,
  // so instruments are rebuilt when the global meter provider changes.
  const tracer: Tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(INSTRUMENTATION_SCOPE);
  let meterSource: MeterProvider | undefined;
  let instruments: SwitchboardMetrics | undefined;
  const meter = (): SwitchboardMetrics => {
    const provider = options.meterProvider ?? metrics.getMeterProvider();
    if (!instruments || provider !== meterSource) {
      const created: Meter = provider.getMeter(INSTRUMENTATION_SCOPE);
      instruments = new SwitchboardMetrics(created);
      meterSource = provider;
    }
    return instruments;
  };
  const secrets = options.secrets ?? processSecrets;
  const labels = new MetricLabels(options.maxModelLabels);
  const parts: Parts = { tracer, meter, stats, events, captureContent, log, scrub: (text) => secrets.scrub(text), labels };
  return {
    stats,
    events,
    labels,
    tracer,
    observer: {
      startInference: (start) => attempt(() => startInference(parts, start), log) ?? noopObserver.startInference(start),
      startCall: (start) => attempt(() => startCall(parts, start), log) ?? noopObserver.startCall(start),
      startEmbedCall: (start) => attempt(() => startEmbedCall(parts, start), log) ?? noopEmbedCall,
      startEmbedding: (start) => attempt(() => startEmbedding(parts, start), log) ?? noopEmbedding,
    },
  };
}

interface Parts {
  tracer: Tracer;
  meter: () => SwitchboardMetrics;
  stats: StatsCollector;
  events: SwitchboardEvents;
  captureContent: boolean;
  log: (message: string, error: unknown) => void;
  scrub: (text: string) => string;
  labels: MetricLabels;
}

/** The value of `step`, or undefined (logged) when it throws. */
function attempt<T>(step: () => T, log: Parts['log']): T | undefined {
  try {
    return step();
  } catch (error) {
    log('telemetry step failed', error);
    return undefined;
  }
}

function startInference(parts: Parts, start: InferenceStart): InferenceRecorder {
  const { log } = parts;
  const startedAt = performance.now();
  // Metric and stats labels come from bounded sets (metric-labels.ts); spans keep the names as called.
  const tenant = parts.labels.tenant(start.tenantId);
  const key = () => ({ operation: start.operation, provider: start.provider, model: parts.labels.model(start.provider, start.model), bot: parts.labels.bot(start.bot), tenant });
  let firstChunkAt: number | undefined;
  let settled = false;
  const span = attempt(() => startInferenceSpan(parts.tracer, start, parts.captureContent, parts.scrub), log);
  const timeToFirstChunkS = () => (firstChunkAt === undefined ? undefined : (firstChunkAt - startedAt) / 1000);
  // The deployment of the current attempt (providers with deployments only): a configured name, never a key or URL.
  let deployment: string | undefined;
  const deploymentFailed = (error: LLMError) => {
    if (deployment !== undefined) safely(() => parts.meter().recordDeploymentAttempt(start.provider, deployment!, errorTypeOf(error)), log);
  };
  return {
    deployment(name: string | undefined, server?: { address: string; port?: number }) {
      if (settled) return;
      deployment = name;
      if (name === undefined) return;
      safely(() => span?.setAttribute(ATTR_SB_DEPLOYMENT, name), log);
      // Where this attempt went: the deployment's own base URL, else the provider's (an earlier attempt may have set another).
      const where = server ?? start.server;
      if (where) safely(() => setServer(span, where), log);
    },
    retry(failedAttempt: number, error: LLMError, delayMs: number) {
      if (settled) return;
      deploymentFailed(error);
      safely(() => span && recordRetryEvent(span, failedAttempt, error, delayMs, deployment), log);
      safely(() => parts.meter().recordRetry(start.provider, parts.labels.model(start.provider, start.model), errorTypeOf(error)), log);
      if (parts.events.hasListeners('retry')) {
        const event = { provider: start.provider, model: start.model, bot: start.bot, attempt: failedAttempt, delayMs, error: eventError(error) };
        safely(() => parts.events.emit('retry', deployment === undefined ? event : { ...event, deployment }), log);
      }
    },
    firstChunk() {
      if (firstChunkAt === undefined && !settled) firstChunkAt = performance.now();
    },
    end(result: ManagedResult) {
      if (settled) return;
      settled = true;
      const durationS = (performance.now() - startedAt) / 1000;
      const ttfc = timeToFirstChunkS();
      if (deployment !== undefined) safely(() => parts.meter().recordDeploymentAttempt(start.provider, deployment!), log);
      safely(() => span && endInferenceSpan(span, result, ttfc, parts.captureContent, parts.scrub), log);
      // It answered: from now on it has a label of its own (while the set has room).
      safely(() => parts.labels.admitModel(start.provider, start.model), log);
      const labels = key();
      safely(
        () =>
          parts.meter().recordInference(labels, {
            durationS,
            responseModel: labels.model === OTHER_LABEL ? OTHER_LABEL : parts.labels.responseModel(result.responseModel),
            usage: result.usageReported ? result.usage : undefined,
            costUsd: result.costUsd,
            timeToFirstChunkS: ttfc,
          }),
        log,
      );
      safely(() => parts.stats.inferenceFinished(parts.labels.modelId(start.provider, start.model), labels.bot, result.usageReported ? result.usage : undefined, result.costUsd, result.latencyMs), log);
    },
    fail(error: LLMError) {
      if (settled) return;
      settled = true;
      const durationS = (performance.now() - startedAt) / 1000;
      const errorType = errorTypeOf(error);
      deploymentFailed(error);
      safely(() => span && failSpan(span, error, {}, parts.scrub), log);
      safely(() => parts.meter().recordInference(key(), { durationS, costUsd: null, timeToFirstChunkS: timeToFirstChunkS(), errorType }), log);
      safely(() => parts.stats.inferenceFailed(parts.labels.modelId(start.provider, start.model)), log);
    },
  };
}

/** The bounded label of a `provider:model` id; `other` for one without a provider (a call that failed to plan). */
function modelLabelOf(labels: MetricLabels, id: string): string {
  const { provider, model } = splitModel(id);
  return provider === undefined ? OTHER_LABEL : labels.modelId(provider, model);
}

function startCall(parts: Parts, start: CallStart): CallRecorder {
  const { log } = parts;
  let settled = false;
  // A bot name a caller made up (the call then fails to plan) must not become a label.
  const bot = parts.labels.bot(start.bot);
  // Listed in stats' activeCalls by bounded labels only (never a session id a caller chose).
  const callId = attempt(() => parts.stats.callStarted({ model: modelLabelOf(parts.labels, start.model), bot }), log);
  const agent = attempt(() => startAgentSpan(parts.tracer, start, parts.captureContent, parts.scrub), log);
  // A configured tenant's id, `other` for any other tenant id, nothing without one.
  const tenant = parts.labels.tenant(start.tenantId);
  const who = { bot: start.bot, sessionId: start.sessionId, tenantId: start.tenantId, userId: start.userId };
  const fail = (error: LLMError, attempts: number): void => {
    if (settled) return;
    settled = true;
    safely(() => parts.stats.callFailed(bot, callId), log);
    if (tenant !== undefined) safely(() => parts.stats.tenantCallEnded(tenant, { failed: true }), log);
    safely(() => parts.meter().recordRequest(bot, errorTypeOf(error), tenant), log);
    safely(() => agent && failSpan(agent.span, error, { [ATTR_SB_ATTEMPTS]: attempts }, parts.scrub), log);
    if (parts.events.hasListeners('call.failed')) safely(() => parts.events.emit('call.failed', { ...who, model: start.model, error: eventError(error), attempts }), log);
  };
  return {
    parent: agent?.context,
    cacheLookup(hit: boolean) {
      if (settled) return;
      safely(() => parts.meter().recordCacheLookup(bot, hit), log);
      if (!hit) return;
      safely(() => parts.stats.cacheHit(), log);
      if (parts.events.hasListeners('cache.hit')) safely(() => parts.events.emit('cache.hit', { ...who, model: start.model }), log);
    },
    fallback(from: string, to: string, error: LLMError, deployment?: string) {
      if (settled) return;
      const failed = splitModel(from);
      safely(() => parts.meter().recordFallback(failed.provider ?? '', parts.labels.model(failed.provider ?? '', failed.model), bot, errorTypeOf(error)), log);
      safely(() => agent && recordFallbackEvent(agent.span, from, to, error, deployment), log);
      if (parts.events.hasListeners('fallback')) {
        const event = { bot: start.bot, from, to, error: eventError(error) };
        safely(() => parts.events.emit('fallback', deployment === undefined ? event : { ...event, deployment }), log);
      }
    },
    history(candidate: string, sent: number, trimmed: number) {
      if (settled) return;
      // Counts only: the history is content (on spans only with captureContent, as part of the input messages).
      safely(() => agent?.span.addEvent(EVENT_HISTORY, { [ATTR_SB_MODEL]: candidate, [ATTR_SB_HISTORY_SENT]: sent, [ATTR_SB_HISTORY_TRIMMED]: trimmed }), log);
    },
    end(outcome: CallOutcome) {
      if (settled) return;
      settled = true;
      safely(() => parts.stats.callFinished(bot, outcome.latencyMs, callId), log);
      if (tenant !== undefined) safely(() => parts.stats.tenantCallEnded(tenant, { failed: false, usage: outcome.usage, costUsd: outcome.costUsd }), log);
      safely(() => parts.meter().recordRequest(bot, undefined, tenant), log);
      safely(() => agent && endAgentSpan(agent.span, start, outcome, parts.captureContent, parts.scrub), log);
      // Payloads are copies built per call: only when someone listens.
      if (!parts.events.hasListeners('call.finished')) return;
      safely(
        () =>
          parts.events.emit('call.finished', {
            ...who,
            model: outcome.model,
            usage: { ...outcome.usage },
            costUsd: outcome.costUsd,
            latencyMs: outcome.latencyMs,
            cached: outcome.cached,
            attempts: outcome.attempts,
            adapters: [...outcome.adapters],
            finishReason: outcome.finishReason,
          }),
        log,
      );
    },
    fail,
    abandon(attempts: number) {
      // Without this, a stream left early kept its agent span open and counted as active forever.
      if (!settled) fail(new AbortError('The stream consumer left before the finish'), attempts);
    },
  };
}

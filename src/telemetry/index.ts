/**
 * Telemetry: spans, metrics, stats and events from the call path's reports, cost, and the SDK
 * set-up the shipped applications use. `sdk.ts` is not re-exported here so that importing the
 * library never loads `@opentelemetry/sdk-node`; applications import it from `telemetry/sdk.js`.
 */
export { createTelemetry, contentCaptureEnabled, type Telemetry, type TelemetryOptions } from './telemetry.js';
export { StatsCollector, OVERFLOW_KEY, type StatsSnapshot, type ActiveCall, type CallStartFacts, type ModelStats, type BotStats, type LatencySummary, type StatsOptions } from './stats.js';
export {
  SwitchboardEvents,
  DEFAULT_MAX_LISTENERS,
  eventError,
  type SwitchboardEventMap,
  type SwitchboardEventName,
  type SwitchboardListener,
  type CallFinishedEvent,
  type CallFailedEvent,
  type RetryEvent,
  type FallbackEvent,
  type CacheHitEvent,
  type ModelDeprecatedEvent,
  type EventError,
} from './events.js';
export { SwitchboardMetrics, allowedAttributes } from './metrics.js';
export { errorTypeOf } from './tracing.js';
export { priceUsage } from './cost.js';
export {
  noopObserver,
  safely,
  type CallObserver,
  type CallRecorder,
  type InferenceRecorder,
  type InferenceStart,
  type CallStart,
  type CallOutcome,
} from './observer.js';
export * as semconv from './semconv.js';

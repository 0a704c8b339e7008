/**
 * Real OpenTelemetry SDK providers whose exporters throw everything away: the cost of "every call
 * emits telemetry" without the cost of sending it. Both telemetry-on arms (the switchboard and the
 * raw SDK with hand-made instrumentation) use exactly this set-up, as NodeSDK would install it: a
 * batch span processor, a periodic metric reader, and the AsyncLocalStorage context manager.
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';

type SpansDone = Parameters<SpanExporter['export']>[1];
type MetricsDone = Parameters<PushMetricExporter['export']>[1];
/** ExportResultCode.SUCCESS (from @opentelemetry/core, which the project does not depend on directly). */
const SUCCESS = 0;

/** Spans in, nothing out. */
class DiscardingSpanExporter implements SpanExporter {
  exported = 0;
  export(spans: ReadableSpan[], done: SpansDone): void {
    this.exported += spans.length;
    done({ code: SUCCESS });
  }
  async shutdown(): Promise<void> {}
  async forceFlush(): Promise<void> {}
}

/** Metrics in, nothing out. */
class DiscardingMetricExporter implements PushMetricExporter {
  exported = 0;
  export(metrics: ResourceMetrics, done: MetricsDone): void {
    this.exported += metrics.scopeMetrics.length;
    done({ code: SUCCESS });
  }
  selectAggregationTemporality(): AggregationTemporality {
    return AggregationTemporality.CUMULATIVE;
  }
  async shutdown(): Promise<void> {}
  async forceFlush(): Promise<void> {}
}

/** The providers and how to stop them. */
export interface DiscardingTelemetry {
  tracerProvider: BasicTracerProvider;
  meterProvider: MeterProvider;
  /** Spans handed to the exporter so far (proves the pipeline ran). */
  exportedSpans(): number;
  shutdown(): Promise<void>;
}

/** Start SDK providers with discarding exporters (metrics collected every `intervalMs`, default 10 s). */
export function startDiscardingTelemetry(intervalMs = 10_000): DiscardingTelemetry {
  const spans = new DiscardingSpanExporter();
  const metricExporter = new DiscardingMetricExporter();
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(spans)] });
  const meterProvider = new MeterProvider({
    readers: [new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: intervalMs, exportTimeoutMillis: Math.min(intervalMs, 5_000) })],
  });
  return {
    tracerProvider,
    meterProvider,
    exportedSpans: () => spans.exported,
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      context.disable();
    },
  };
}

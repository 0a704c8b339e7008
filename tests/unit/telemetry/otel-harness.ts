/**
 * Shared set-up for the telemetry unit tests: a real tracer provider with an in-memory exporter,
 * a real meter provider with a reader the test collects from, a logger that remembers what it was
 * told, and a small BaseLLMManager subclass whose answers a test scripts (no network involved).
 */
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { MeterProvider, MetricReader, type DataPoint, type Histogram, type MetricData, type MetricReaderOptions } from '@opentelemetry/sdk-metrics';
import type { Logger } from '../../../src/core/logger.js';
import type { CallContext, CallIdentity, CandidateContext, ProviderRequest, ProviderResult, ProviderStreamPart, Usage } from '../../../src/core/types.js';
import { BaseLLMManager } from '../../../src/managers/base-llm-manager.js';
import type { CatalogEntry } from '../../../src/registry/model-catalog.js';
import { createTelemetry, type Telemetry, type TelemetryOptions } from '../../../src/telemetry/telemetry.js';
import { makeManagerDeps } from '../../helpers/manager-deps.js';
import type { CallObserver } from '../../../src/telemetry/observer.js';

/** A reader whose `collect()` the test calls. */
export class TestMetricReader extends MetricReader {
  constructor(options?: MetricReaderOptions) {
    super(options);
  }
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

/** A logger that keeps every line. */
export interface RecordingLogger extends Logger {
  lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }>;
}

/** A logger that keeps every line for assertions. */
export function recordingLogger(): RecordingLogger {
  const lines: RecordingLogger['lines'] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push({ level, message, fields });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Providers, exporter, reader, logger and the telemetry built on them. */
export interface Harness {
  telemetry: Telemetry;
  spans: InMemorySpanExporter;
  reader: TestMetricReader;
  logger: RecordingLogger;
  tracerProvider: BasicTracerProvider;
  meterProvider: MeterProvider;
  finished(): ReadableSpan[];
  metric(name: string): Promise<MetricData | undefined>;
  allMetrics(): Promise<MetricData[]>;
  shutdown(): Promise<void>;
}

/** Build a harness; extra span processors and reader options let a test break things on purpose. */
export function makeHarness(options: { spanProcessors?: SpanProcessor[]; readerOptions?: MetricReaderOptions; telemetry?: Partial<TelemetryOptions> } = {}): Harness {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans), ...(options.spanProcessors ?? [])] });
  const reader = new TestMetricReader(options.readerOptions);
  const meterProvider = new MeterProvider({ readers: [reader] });
  const logger = recordingLogger();
  const telemetry = createTelemetry({ tracerProvider, meterProvider, logger, ...options.telemetry });
  const allMetrics = async () => {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
  };
  return {
    telemetry,
    spans,
    reader,
    logger,
    tracerProvider,
    meterProvider,
    finished: () => spans.getFinishedSpans(),
    allMetrics,
    metric: async (name) => (await allMetrics()).find((m) => m.descriptor.name === name),
    shutdown: async () => {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}

/** Points of a histogram metric. */
export function histogramPoints(metric: MetricData | undefined): DataPoint<Histogram>[] {
  return (metric?.dataPoints ?? []) as DataPoint<Histogram>[];
}

/** Points of a counter metric. */
export function sumPoints(metric: MetricData | undefined): DataPoint<number>[] {
  return (metric?.dataPoints ?? []) as DataPoint<number>[];
}

/** One scripted step of the canned manager: an answer, a stream, or an error to throw. */
export type Script =
  | { kind: 'answer'; text: string; usage?: Usage; id?: string; responseModel?: string }
  | { kind: 'stream'; deltas: string[]; usage?: Usage; id?: string; responseModel?: string }
  | { kind: 'error'; error: unknown };

/** A manager that answers from a script, one step per attempt; the real base class does the rest. */
export class CannedManager extends BaseLLMManager<string> {
  readonly provider: string;
  override readonly inProcess: boolean;
  private readonly script: Script[];

  constructor(observer: CallObserver, script: Script[], options: { provider?: string; inProcess?: boolean; catalog?: Record<string, CatalogEntry>; maxRetries?: number } = {}) {
    super(makeManagerDeps({ observer, catalog: options.catalog, resilience: { maxRetries: options.maxRetries ?? 0 } }));
    this.provider = options.provider ?? 'canned';
    this.inProcess = options.inProcess ?? false;
    this.script = [...script];
  }

  protected override serverAddress(): { address: string; port?: number } | undefined {
    return this.inProcess ? undefined : { address: '127.0.0.1', port: 8080 };
  }

  protected async loadModel(modelId: string): Promise<string> {
    return modelId;
  }

  private next(): Script {
    const step = this.script.shift();
    if (!step) throw new Error('script exhausted');
    return step;
  }

  protected async doGenerate(_model: string, _request: ProviderRequest, _context: CallContext): Promise<ProviderResult> {
    const step = this.next();
    if (step.kind === 'error') throw step.error;
    if (step.kind === 'stream') throw new Error('stream step in generate');
    return { text: step.text, finishReason: 'stop', usage: step.usage, id: step.id, responseModel: step.responseModel };
  }

  protected override async *doStream(_model: string, _request: ProviderRequest, _context: CallContext): AsyncIterable<ProviderStreamPart> {
    const step = this.next();
    if (step.kind === 'error') throw step.error;
    if (step.kind === 'answer') throw new Error('answer step in stream');
    for (const text of step.deltas) {
      await new Promise((resolve) => setImmediate(resolve));
      yield { type: 'text-delta', text };
    }
    yield { type: 'finish', finishReason: 'stop', usage: step.usage, id: step.id, responseModel: step.responseModel };
  }
}

/** A chat request for `model`. */
export function chatRequest(model: string, params: ProviderRequest['params'] = {}): ProviderRequest {
  return {
    modelId: model,
    operation: 'chat',
    params,
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Say hi' },
    ],
  };
}

/** A call context with a fresh signal. */
export function callContext(extra: Partial<CandidateContext> & CallIdentity = {}): CandidateContext {
  const { bot, sessionId, userId, tenantId, ...rest } = extra;
  const caller: CallIdentity = {};
  if (bot !== undefined) caller.bot = bot;
  if (sessionId !== undefined) caller.sessionId = sessionId;
  if (userId !== undefined) caller.userId = userId;
  if (tenantId !== undefined) caller.tenantId = tenantId;
  return { signal: new AbortController().signal, caller, ...rest };
}

/** Catalog prices used across the tests: $0.15 / $0.60 per million, cache reads $0.075. */
export const PRICED: Record<string, CatalogEntry> = {
  'canned:priced': { pricing: { inputPerMTok: 0.15, outputPerMTok: 0.6, cacheReadPerMTok: 0.075 } },
};

/** Drain a stream into its parts. */
export async function drain<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const part of stream) out.push(part);
  return out;
}

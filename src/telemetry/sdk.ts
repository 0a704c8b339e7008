/**
 * The OpenTelemetry SDK for the applications shipped with the library (CLI, gateway): traces to
 * `none | console | otlp` (OTLP/HTTP), metrics to `none | prometheus | otlp`, from config. The
 * library itself never calls this; it reads whatever providers are registered globally, so
 * `createTelemetry()` with no providers picks these up once started. Standard `OTEL_*` variables
 * apply (endpoints and headers when the config leaves them empty, batch and export settings,
 * OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME, OTEL_SDK_DISABLED).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, metrics, propagation, trace, type MeterProvider, type TracerProvider } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK, metrics as sdkMetrics, resources, tracing } from '@opentelemetry/sdk-node';
import type { SwitchboardConfig } from '../config/types.js';
import { ConfigError } from '../core/errors.js';
import type { ConfigProblem } from '../core/types.js';
import type { Logger } from '../core/logger.js';

/** The `telemetry` section of the config. */
export type TelemetryConfig = SwitchboardConfig['telemetry'];

/** Options for `startTelemetrySdk`. */
export interface TelemetrySdkOptions {
  /** Interface the Prometheus endpoint listens on (default 127.0.0.1: metrics are not for the world). */
  prometheusHost?: string;
  /** Told where the Prometheus endpoint listens. */
  logger?: Logger;
  /**
   * Where OTEL_SDK_DISABLED and OTEL_SERVICE_NAME are read (default process.env); the exporters and
   * OTEL_RESOURCE_ATTRIBUTES always read process.env.
   */
  env?: NodeJS.ProcessEnv;
}

/** A running SDK. */
export interface TelemetrySdk {
  /** Flush pending spans and metrics, stop the Prometheus endpoint, and unregister the globals. */
  shutdown(): Promise<void>;
  /** Registered globally too; pass to `createSwitchboard` to be explicit. */
  tracerProvider?: TracerProvider;
  /** Registered globally too. */
  meterProvider?: MeterProvider;
  /** `http://host:port/metrics` when the Prometheus exporter runs. */
  prometheusUrl?: string;
}

const TRACES_PATH = 'v1/traces';
const METRICS_PATH = 'v1/metrics';
const MAX_EXPORT_TIMEOUT_MS = 30_000;

/** Config problems of the telemetry section, all at once. */
export function validateTelemetryConfig(config: TelemetryConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (!['none', 'console', 'otlp'].includes(config.traces.exporter)) {
    problems.push({ key: 'telemetry.traces.exporter', message: `must be none, console or otlp (got "${String(config.traces.exporter)}")` });
  }
  if (!['none', 'prometheus', 'otlp'].includes(config.metrics.exporter)) {
    problems.push({ key: 'telemetry.metrics.exporter', message: `must be none, prometheus or otlp (got "${String(config.metrics.exporter)}")` });
  }
  for (const [key, value] of [['telemetry.traces.endpoint', config.traces.endpoint], ['telemetry.metrics.endpoint', config.metrics.endpoint]] as const) {
    if (value && !isHttpUrl(value)) problems.push({ key, message: 'must be an http(s) URL such as http://127.0.0.1:4318, or empty to use OTEL_EXPORTER_OTLP_ENDPOINT' });
  }
  if (config.metrics.exporter === 'prometheus' && !(Number.isInteger(config.metrics.port) && config.metrics.port >= 0 && config.metrics.port <= 65535)) {
    problems.push({ key: 'telemetry.metrics.port', message: 'must be an integer port from 0 (any free port) to 65535' });
  }
  if (config.metrics.exporter === 'otlp' && !(Number.isFinite(config.metrics.intervalMs) && config.metrics.intervalMs >= 100)) {
    problems.push({ key: 'telemetry.metrics.intervalMs', message: 'must be a number of milliseconds, at least 100' });
  }
  return problems;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * The full signal URL from a configured endpoint: a base (`http://collector:4318`) gets `/v1/traces`
 * appended; a URL already ending in the signal path is used as is; empty leaves it to OTEL_* env.
 */
export function signalUrl(endpoint: string, signalPath: string): string | undefined {
  if (!endpoint) return undefined;
  const trimmed = endpoint.replace(/\/+$/, '');
  return trimmed.endsWith(`/${signalPath}`) ? trimmed : `${trimmed}/${signalPath}`;
}

/** The resource: OTEL_RESOURCE_ATTRIBUTES, then the config's service name unless OTEL_SERVICE_NAME is set. */
function buildResource(config: TelemetryConfig, env: NodeJS.ProcessEnv): resources.Resource {
  const fromEnv = resources.detectResources({ detectors: [resources.envDetector] });
  const base = resources.defaultResource().merge(resources.resourceFromAttributes({ 'service.name': config.serviceName })).merge(fromEnv);
  return env.OTEL_SERVICE_NAME ? base.merge(resources.resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME })) : base;
}

function traceExporter(config: TelemetryConfig): tracing.SpanExporter | undefined {
  if (config.traces.exporter === 'console') return new tracing.ConsoleSpanExporter();
  if (config.traces.exporter === 'otlp') return new OTLPTraceExporter({ url: signalUrl(config.traces.endpoint, TRACES_PATH) });
  return undefined;
}

/** The Prometheus reader, served by our own listener so port 0 works and start-up errors surface. */
async function startPrometheus(port: number, host: string): Promise<{ reader: PrometheusExporter; server: Server; url: string }> {
  const reader = new PrometheusExporter({ preventServerStart: true });
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (request.method === 'GET' && path === '/metrics') {
      reader.getMetricsRequestHandler(request, response);
      return;
    }
    response.statusCode = 404;
    response.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  const bound = server.address() as AddressInfo;
  const shownHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return { reader, server, url: `http://${shownHost}:${bound.port}/metrics` };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/**
 * Install the SDK from config and register it globally. Rejects with ConfigError on a bad section,
 * or with the listen error when the Prometheus port is taken.
 */
export async function startTelemetrySdk(config: TelemetryConfig, options: TelemetrySdkOptions = {}): Promise<TelemetrySdk> {
  const problems = validateTelemetryConfig(config);
  if (problems.length > 0) throw new ConfigError(problems);
  const env = options.env ?? process.env;
  const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';
  const tracesOn = config.traces.exporter !== 'none';
  const metricsOn = config.metrics.exporter !== 'none';
  if (disabled || (!tracesOn && !metricsOn)) return { shutdown: async () => undefined };

  let prometheus: Awaited<ReturnType<typeof startPrometheus>> | undefined;
  const readers: sdkMetrics.IMetricReader[] = [];
  if (config.metrics.exporter === 'prometheus') {
    prometheus = await startPrometheus(config.metrics.port, options.prometheusHost ?? '127.0.0.1');
    readers.push(prometheus.reader);
    options.logger?.info('Prometheus metrics endpoint listening', { url: prometheus.url });
  } else if (config.metrics.exporter === 'otlp') {
    readers.push(
      new sdkMetrics.PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: signalUrl(config.metrics.endpoint, METRICS_PATH) }),
        exportIntervalMillis: config.metrics.intervalMs,
        exportTimeoutMillis: Math.min(MAX_EXPORT_TIMEOUT_MS, config.metrics.intervalMs),
      }),
    );
  }
  const exporter = traceExporter(config);
  const sdk = new NodeSDK({
    resource: buildResource(config, env),
    // Detectors would add host ids asynchronously (delaying every export) and process.command_args
    // (which can hold secrets); the resource above is complete.
    autoDetectResources: false,
    metricReaders: readers,
    // An empty list rather than undefined: undefined makes NodeSDK build exporters from OTEL_* env.
    ...(exporter ? { traceExporter: exporter } : { spanProcessors: [] }),
    logRecordProcessors: [],
  });
  try {
    sdk.start();
  } catch (error) {
    if (prometheus) await closeServer(prometheus.server);
    throw error;
  }

  let stopped: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopped ??= (async () => {
      try {
        await sdk.shutdown();
      } finally {
        if (prometheus) await closeServer(prometheus.server);
        // NodeSDK leaves its globals registered; a later start (or test) must be able to register anew.
        if (tracesOn) trace.disable();
        if (metricsOn) metrics.disable();
        propagation.disable();
        context.disable();
      }
    })();
    return stopped;
  };
  return {
    shutdown,
    tracerProvider: tracesOn ? trace.getTracerProvider() : undefined,
    meterProvider: metricsOn ? metrics.getMeterProvider() : undefined,
    prometheusUrl: prometheus?.url,
  };
}

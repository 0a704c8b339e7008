/**
 * `GET /metrics` on the gateway's own port, in Prometheus text. The gateway owns a MeterProvider
 * whose PrometheusExporter reader (no listener of its own) is collected and serialised per scrape;
 * the switchboard the gateway creates records into it. Extra readers (an OTLP exporter from
 * `switchboard serve`) join the same provider, so every metric goes everywhere it is configured to.
 */
import type { MeterProvider } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { metrics as sdkMetrics, resources } from '@opentelemetry/sdk-node';
import type { FastifyInstance } from 'fastify';

/** Prometheus' text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Options of `createGatewayMetrics`. */
export interface GatewayMetricsOptions {
  /** `service.name` of the resource (config `telemetry.serviceName`; OTEL_SERVICE_NAME wins). */
  serviceName: string;
  /** More readers on the same provider (e.g. a PeriodicExportingMetricReader with an OTLP exporter). */
  readers?: sdkMetrics.IMetricReader[];
  /**
   * Serve this exporter instead of creating a provider: for a switchboard built by the caller with
   * `meterProvider: new MeterProvider({ readers: [exporter] })`.
   */
  exporter?: PrometheusExporter;
  env?: NodeJS.ProcessEnv;
}

/** The gateway's metrics: the provider for the switchboard (when owned) and the scrape output. */
export interface GatewayMetrics {
  /** Set when the gateway created the provider; give it to createSwitchboard. */
  meterProvider?: MeterProvider;
  /** The current metrics in Prometheus text. */
  render(): Promise<string>;
  /** Flush and stop the provider the gateway created (no-op for a caller's exporter). */
  shutdown(): Promise<void>;
}

/** Build the gateway's metrics pipeline. */
export function createGatewayMetrics(options: GatewayMetricsOptions): GatewayMetrics {
  const serializer = new PrometheusSerializer();
  const render = async (exporter: PrometheusExporter) => {
    const { resourceMetrics } = await exporter.collect();
    return serializer.serialize(resourceMetrics);
  };
  if (options.exporter) {
    const exporter = options.exporter;
    return { render: () => render(exporter), shutdown: async () => undefined };
  }
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const env = options.env ?? process.env;
  const serviceName = env.OTEL_SERVICE_NAME || options.serviceName;
  const provider = new sdkMetrics.MeterProvider({
    resource: resources.defaultResource().merge(resources.resourceFromAttributes({ 'service.name': serviceName })),
    readers: [exporter, ...(options.readers ?? [])],
  });
  let stopped: Promise<void> | undefined;
  return {
    meterProvider: provider,
    render: () => render(exporter),
    shutdown: () => (stopped ??= provider.shutdown().catch(() => undefined)),
  };
}

/** Register `GET /metrics` (no gateway key needed: scrapers are configured per target). */
export function registerMetrics(app: FastifyInstance, metrics: GatewayMetrics): void {
  app.get('/metrics', async (_request, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(await metrics.render()));
}

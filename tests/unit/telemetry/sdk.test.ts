/**
 * `startTelemetrySdk` set-up rules: config validation, endpoint URLs, the no-op cases, the console
 * trace exporter, a taken Prometheus port, and globals that are released on shutdown.
 */
import { describe, expect, it } from '@jest/globals';
import { metrics, trace } from '@opentelemetry/api';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../../../src/core/errors.js';
import { signalUrl, startTelemetrySdk, validateTelemetryConfig, type TelemetryConfig } from '../../../src/telemetry/sdk.js';
import { createTelemetry } from '../../../src/telemetry/telemetry.js';
import { chatRequest } from './otel-harness.js';

const config = (overrides: Partial<TelemetryConfig> = {}): TelemetryConfig => ({
  serviceName: 'sdk-unit',
  captureContent: false,
  maxModelLabels: 1000,
  logLevel: 'silent',
  traces: { exporter: 'none', endpoint: '' },
  metrics: { exporter: 'none', endpoint: '', port: 0, intervalMs: 60_000 },
  ...overrides,
});

describe('config', () => {
  it('lists every bad key at once', async () => {
    const bad = config({
      traces: { exporter: 'jaeger' as never, endpoint: 'not a url' },
      metrics: { exporter: 'prometheus', endpoint: 'ftp://x', port: 70_000, intervalMs: 10 },
    });
    expect(validateTelemetryConfig(bad).map((p) => p.key)).toEqual([
      'telemetry.traces.exporter',
      'telemetry.traces.endpoint',
      'telemetry.metrics.endpoint',
      'telemetry.metrics.port',
    ]);
    await expect(startTelemetrySdk(bad)).rejects.toBeInstanceOf(ConfigError);
    expect(validateTelemetryConfig(config({ metrics: { exporter: 'otlp', endpoint: '', port: 0, intervalMs: 5 } })).map((p) => p.key)).toEqual(['telemetry.metrics.intervalMs']);
  });

  it('appends the signal path to a base endpoint only', () => {
    expect(signalUrl('', 'v1/traces')).toBeUndefined();
    expect(signalUrl('http://collector:4318', 'v1/traces')).toBe('http://collector:4318/v1/traces');
    expect(signalUrl('http://collector:4318/', 'v1/metrics')).toBe('http://collector:4318/v1/metrics');
    expect(signalUrl('https://otel.example/otlp/v1/traces', 'v1/traces')).toBe('https://otel.example/otlp/v1/traces');
  });
});

describe('start and shutdown', () => {
  it('installs nothing when both exporters are none or OTEL_SDK_DISABLED is true', async () => {
    const before = metrics.getMeterProvider();
    const off = await startTelemetrySdk(config());
    expect(off).toEqual({ shutdown: expect.any(Function) });
    expect(metrics.getMeterProvider()).toBe(before);
    await off.shutdown();
    const disabled = await startTelemetrySdk(config({ traces: { exporter: 'console', endpoint: '' } }), { env: { OTEL_SDK_DISABLED: 'true' } });
    expect(disabled.tracerProvider).toBeUndefined();
    await disabled.shutdown();
  });

  it('prints spans with the console exporter and unregisters the global tracer on shutdown', async () => {
    const printed: unknown[] = [];
    const originalDir = console.dir;
    console.dir = (item: unknown) => {
      printed.push(item);
    };
    try {
      const sdk = await startTelemetrySdk(config({ traces: { exporter: 'console', endpoint: '' } }));
      const { observer } = createTelemetry();
      observer.startInference({ operation: 'chat', provider: 'p', model: 'm', request: chatRequest('m'), stream: false, inProcess: false }).fail(new ConfigError([]));
      await sdk.shutdown();
      await sdk.shutdown(); // idempotent
    } finally {
      console.dir = originalDir;
    }
    expect(printed).toEqual([expect.objectContaining({ name: 'chat m' })]);
    // Released: a span started now goes nowhere and is not recording.
    expect(trace.getTracer('x').startSpan('after').isRecording()).toBe(false);
  });

  it('rejects when the Prometheus port is taken', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    try {
      const port = (holder.address() as AddressInfo).port;
      await expect(startTelemetrySdk(config({ metrics: { exporter: 'prometheus', endpoint: '', port, intervalMs: 60_000 } }))).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});

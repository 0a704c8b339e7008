/**
 * `switchboard serve [--config <file>] [--host <addr>] [--port <n>]`: the OpenAI-compatible gateway.
 * Starts the telemetry SDK from config (traces; metrics are served by the gateway at /metrics, and
 * sent over OTLP too when configured), starts the gateway, prints its URL (and a warning when it is
 * unauthenticated), and drains and stops on SIGINT (the CLI's abort signal) or SIGTERM.
 */
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { metrics as sdkMetrics } from '@opentelemetry/sdk-node';
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../../config/load-config.js';
import type { SwitchboardConfig } from '../../config/types.js';
import { createConsoleLogger } from '../../core/logger.js';
import { startGateway, type Gateway } from '../../server/gateway.js';
import { signalUrl, startTelemetrySdk, type TelemetrySdk } from '../../telemetry/sdk.js';
import { EXIT_OK, reportError, type CliIO } from '../cli-io.js';
import type { SwitchboardFlags } from '../open-switchboard.js';

/** Flags of `switchboard serve`. */
export interface ServeFlags extends SwitchboardFlags {
  host?: string;
  port?: number;
}

/** Most time an OTLP metric export may take. */
const MAX_EXPORT_TIMEOUT_MS = 30_000;

/** The OTLP metric reader when config asks for one; it joins the gateway's meter provider. */
function otlpReaders(telemetry: SwitchboardConfig['telemetry']): sdkMetrics.IMetricReader[] {
  if (telemetry.metrics.exporter !== 'otlp') return [];
  return [
    new sdkMetrics.PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter({ url: signalUrl(telemetry.metrics.endpoint, 'v1/metrics') }),
      exportIntervalMillis: telemetry.metrics.intervalMs,
      exportTimeoutMillis: Math.min(MAX_EXPORT_TIMEOUT_MS, telemetry.metrics.intervalMs),
    }),
  ];
}

/** Resolve on the CLI's abort signal (Ctrl-C) or SIGTERM. */
function untilStopped(io: CliIO): Promise<string> {
  return new Promise((resolve) => {
    const stop = (why: string) => {
      process.off('SIGTERM', onTerm);
      if (!io.signal) process.off('SIGINT', onInt);
      io.signal?.removeEventListener('abort', onAbort);
      resolve(why);
    };
    const onTerm = () => stop('SIGTERM');
    const onInt = () => stop('SIGINT');
    const onAbort = () => stop('SIGINT');
    process.once('SIGTERM', onTerm);
    // main.ts turns Ctrl-C into the abort signal; without one, listen for it here.
    if (io.signal) {
      if (io.signal.aborted) return stop('SIGINT');
      io.signal.addEventListener('abort', onAbort, { once: true });
    } else {
      process.once('SIGINT', onInt);
    }
  });
}

/** Run `switchboard serve` until stopped; returns the exit code. */
export async function runServe(flags: ServeFlags, io: CliIO): Promise<number> {
  let sdk: TelemetrySdk | undefined;
  let gateway: Gateway | undefined;
  const verbose = flags.verbose ?? false;
  try {
    const extra = io.switchboard ?? {};
    const env = io.env ?? process.env;
    const cwd = io.cwd ?? process.cwd();
    const configFile = flags.config && flags.config.length > 0 ? flags.config : undefined;
    // Loaded once: the log level and telemetry come from it, and the gateway serves it as it is.
    const config =
      extra.loadedConfig ??
      (await loadConfig({ config: extra.config, configFile, env, cwd, providers: extra.providers, extraProviders: extra.managers?.map((manager) => manager.provider) }));
    const level = verbose ? 'debug' : config.telemetry.logLevel;
    const logger = extra.logger ?? createConsoleLogger(level, (line) => io.stderr.write(`${line}\n`));
    // Metrics belong to the gateway's own meter provider (served at /metrics, plus OTLP when configured).
    sdk = await startTelemetrySdk({ ...config.telemetry, metrics: { ...config.telemetry.metrics, exporter: 'none' } }, { logger, env });
    const { config: _given, loadedConfig: _loaded, ...options } = extra;
    gateway = await startGateway({ ...options, loadedConfig: config, env, cwd, host: flags.host, port: flags.port, logger, metricReaders: otlpReaders(config.telemetry) });
    io.stdout.write(`switchboard gateway listening on ${gateway.url} (OpenAI base URL: ${gateway.url}/v1)\n`);
    if (!gateway.authenticated) {
      io.stderr.write('warning: server.apiKeys is empty, so the gateway is unauthenticated and serves on loopback only\n');
    }
    const why = await untilStopped(io);
    io.stderr.write(`${why}: draining in-flight requests, then stopping\n`);
    await gateway.close();
    gateway = undefined;
    return EXIT_OK;
  } catch (error) {
    return reportError(io, error, verbose);
  } finally {
    await gateway?.close();
    await sdk?.shutdown();
  }
}

function parsePort(value: string): number {
  const port = Number(value);
  if (value.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('must be a port from 0 (any free port) to 65535');
  return port;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Add `serve` to the CLI program; `setExitCode` receives the command's exit code. */
export function registerServeCommand(program: Command, io: CliIO, setExitCode: (code: number) => void): void {
  program
    .command('serve')
    .description('Run the OpenAI-compatible gateway (POST /v1/chat/completions, /v1/completions, GET /v1/models, /healthz, /readyz, /metrics)')
    .option('--config <file>', 'config file (repeatable; later files win)', collect, [])
    .option('--host <address>', 'listen address (default: config server.host)')
    .option('--port <n>', 'listen port (default: config server.port; 0 = any free port)', parsePort)
    .option('--verbose', 'debug logs and full stacks')
    .action(async (flags: ServeFlags) => {
      setExitCode(await runServe(flags, io));
    });
}

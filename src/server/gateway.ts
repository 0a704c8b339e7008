/**
 * `startGateway()`: the OpenAI-compatible HTTP server in front of a switchboard (API.md "The gateway").
 * It builds (or takes) the switchboard, checks that an unauthenticated gateway stays on loopback,
 * wires auth, routes, errors and metrics into fastify, and listens. `close()` drains: it stops
 * accepting, lets in-flight requests and streams finish (bounded by the drain timeout, then aborts
 * them), and closes the switchboard and metrics it created.
 */
import type { AddressInfo } from 'node:net';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { metrics as sdkMetrics } from '@opentelemetry/sdk-node';
import Fastify, { type FastifyInstance } from 'fastify';
import { loadConfig } from '../config/load-config.js';
import { createSwitchboard, type CreateSwitchboardOptions } from '../create-switchboard.js';
import { InvalidRequestError } from '../core/errors.js';
import { createConsoleLogger, scrubbingLogger, type Logger } from '../core/logger.js';
import type { SwitchboardConfig } from '../config/types.js';
import type { Switchboard } from '../switchboard.js';
import { assertSafeBinding, createKeyVerifier, isLoopbackHost, type KeyVerifier } from './auth.js';
import { registerChatCompletions } from './chat-completions.js';
import { registerResponses } from './responses.js';
import { createClientErrorHandler } from './client-errors.js';
import { registerCompletions } from './completions.js';
import { registerEmbeddings } from './embeddings.js';
import { registerMessages } from './messages.js';
import { headerValue, logFailure, newId, type GatewayContext } from './context.js';
import { openResponseItems, type ResponseItems } from './response-items.js';
import { GatewayHttpError, toHttpFailure } from './errors.js';
import { registerHealth } from './health.js';
import { InFlightRequests } from './in-flight.js';
import { createGatewayMetrics, registerMetrics, type GatewayMetrics } from './metrics.js';
import { registerModels } from './models.js';

/** Options of `startGateway`: createSwitchboard's options, or a ready switchboard, plus the server's own. */
export interface GatewayOptions extends Omit<CreateSwitchboardOptions, 'meterProvider'> {
  /** Serve this switchboard instead of creating one (it is not closed by `close()`). */
  switchboard?: Switchboard;
  /** Listen address; default config `server.host`. Without `server.apiKeys` only loopback is allowed. */
  host?: string;
  /** Listen port; default config `server.port`; 0 picks a free port. */
  port?: number;
  /** How long `close()` waits for in-flight requests before aborting them (default 10 s). */
  drainTimeoutMs?: number;
  /** With your own `switchboard`: the Prometheus reader of its meter provider, served at /metrics. */
  prometheusExporter?: PrometheusExporter;
  /** More metric readers on the gateway's meter provider (e.g. OTLP), when it creates the switchboard. */
  metricReaders?: sdkMetrics.IMetricReader[];
}

/** A running gateway. */
export interface Gateway {
  /** `http://host:port` (add `/v1` for an OpenAI client's baseURL). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The switchboard it serves. */
  readonly switchboard: Switchboard;
  /** True when requests need a gateway key. */
  readonly authenticated: boolean;
  /** Drain and stop (idempotent). */
  close(): Promise<void>;
}

/** Routes served without a gateway key: probes and scrapers carry none. */
const PUBLIC_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);
/** Default bound on waiting for in-flight requests at shutdown. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
/** After aborting what outlived the drain, how long its error events get to go out. */
const ABORT_GRACE_MS = 1_000;

function displayUrl(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/** The host name of a Host header (`127.0.0.1:8787` -> `127.0.0.1`, `[::1]:8787` -> `::1`). */
function hostOf(header: string | undefined): string {
  const value = (header ?? '').trim();
  const bracketed = /^\[([^\]]*)\]/.exec(value);
  if (bracketed) return bracketed[1]!;
  return value.replace(/:\d*$/, '');
}

/** Refuse mixing a ready switchboard with options that would build another. */
function checkOptions(options: GatewayOptions): void {
  if (options.drainTimeoutMs !== undefined && !(Number.isFinite(options.drainTimeoutMs) && options.drainTimeoutMs >= 0)) {
    throw new InvalidRequestError('startGateway: drainTimeoutMs must be a number of milliseconds >= 0');
  }
  if (!options.switchboard) return;
  const building = (['config', 'configFile', 'loadedConfig', 'managers', 'providers', 'stores', 'adapters', 'env', 'cwd', 'metricReaders'] as const).filter((key) => options[key] !== undefined);
  if (building.length > 0) {
    throw new InvalidRequestError(`startGateway: pass either a switchboard or options to build one (${building.join(', ')}), not both`);
  }
}

interface Built {
  sb: Switchboard;
  owned: boolean;
  config: SwitchboardConfig;
  metrics: GatewayMetrics;
}

async function buildSwitchboard(options: GatewayOptions): Promise<Built> {
  if (options.switchboard) {
    const config = options.switchboard.config;
    return { sb: options.switchboard, owned: false, config, metrics: createGatewayMetrics({ serviceName: config.telemetry.serviceName, exporter: options.prometheusExporter, env: options.env }) };
  }
  // The meter provider must exist before the switchboard, and its resource wants the configured
  // name: the config is loaded here once and handed to createSwitchboard as it is.
  const { switchboard: _s, host: _h, port: _p, drainTimeoutMs: _d, prometheusExporter: _e, metricReaders: _r, config: given, configFile, env, loadedConfig, ...createOptions } = options;
  if (loadedConfig && (given !== undefined || configFile !== undefined)) {
    throw new InvalidRequestError('startGateway: pass either loadedConfig or options to load one (config, configFile), not both');
  }
  const config =
    loadedConfig ??
    (await loadConfig({ config: given, configFile, env, cwd: options.cwd, providers: options.providers, extraProviders: options.managers?.map((manager) => manager.provider) }));
  const metrics = createGatewayMetrics({ serviceName: config.telemetry.serviceName, readers: options.metricReaders, exporter: options.prometheusExporter, env });
  try {
    const sb = await createSwitchboard({ ...createOptions, loadedConfig: config, meterProvider: metrics.meterProvider });
    return { sb, owned: true, config: sb.config, metrics };
  } catch (error) {
    await metrics.shutdown();
    throw error;
  }
}

/** Every route, as the 404 answer lists them. */
const ROUTES =
  'POST /v1/chat/completions, POST /v1/completions, POST /v1/responses, POST /v1/messages, POST /v1/messages/count_tokens, POST /v1/embeddings, GET /v1/models, GET /v1/models/{id}, GET /healthz, GET /readyz and GET /metrics';

function buildApp(context: GatewayContext, keys: KeyVerifier, metrics: GatewayMetrics): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: context.bodyLimitBytes,
    // Our own 503 (OpenAI's error body) during shutdown, from the hook below.
    return503OnClosing: false,
    genReqId: () => `req_${newId()}`,
    // Malformed HTTP and oversized headers, which Node rejects before routing: OpenAI's error body too.
    clientErrorHandler: createClientErrorHandler(context.logger),
  });
  // Every route takes JSON. fastify also parses text/plain by default: without that parser a plain
  // text (or any non-JSON) body gets fastify's 415, which toHttpFailure answers in OpenAI's shape.
  app.removeContentTypeParser('text/plain');
  app.addHook('onRequest', async (request, reply) => {
    const started = performance.now();
    reply.header('x-request-id', request.id);
    reply.raw.once('close', () => {
      context.logger.debug('gateway request', { method: request.method, path: request.url.split('?')[0], status: reply.raw.statusCode, ms: Math.round(performance.now() - started), requestId: request.id });
    });
    // Decided by the matched route, not the raw URL, so no spelling of a path can skip the checks.
    if (PUBLIC_ROUTES.has(request.routeOptions.url ?? '')) return;
    if (context.isClosing()) {
      throw new GatewayHttpError(503, 'The gateway is shutting down; send the request again', 'api_error', 'shutting_down', null, { connection: 'close' });
    }
    if (!keys.enabled && !isLoopbackHost(hostOf(headerValue(request, 'host')))) {
      // Without keys, only this machine may call: a web page that rebinds its domain to 127.0.0.1 may not.
      throw new GatewayHttpError(403, 'This gateway has no API keys and only answers requests addressed to a loopback host (127.0.0.1, ::1, localhost)', 'permission_error', 'host_not_allowed');
    }
    context.callers.set(request, keys.verify(headerValue(request, 'authorization'), headerValue(request, 'x-api-key')));
  });
  app.setErrorHandler(async (error, request, reply) => {
    const failure = toHttpFailure(error, context.bodyLimitBytes);
    logFailure(context, request, failure);
    if (reply.sent || reply.raw.headersSent) return;
    return reply.code(failure.status).headers(failure.headers).send(failure.body);
  });
  app.setNotFoundHandler(async (request) => {
    // The path is the caller's text: not repeated (it may hold anything), only what is served.
    throw new GatewayHttpError(404, `Unknown URL for ${request.method}; the gateway serves ${ROUTES}`, 'invalid_request_error', 'unknown_url');
  });
  registerChatCompletions(app, context);
  registerResponses(app, context);
  registerMessages(app, context);
  registerCompletions(app, context);
  registerEmbeddings(app, context);
  registerModels(app, context);
  registerHealth(app, context);
  registerMetrics(app, metrics);
  return app;
}

/** Start the gateway. Rejects with ConfigError for bad config or an unauthenticated non-loopback host. */
export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  checkOptions(options);
  const { sb, owned, config, metrics } = await buildSwitchboard(options);
  let responseItems: ResponseItems | undefined;
  const release = async () => {
    await responseItems?.close();
    if (owned) await sb.close();
    await metrics.shutdown();
  };
  let app: FastifyInstance | undefined;
  let closing = false;
  const host = options.host ?? config.server.host;
  const port = options.port ?? config.server.port;
  try {
    const keys = createKeyVerifier(config.server.apiKeys);
    assertSafeBinding(host, keys.enabled);
    // Gateway logs carry request paths and upstream details: scrubbed with the switchboard's own registry.
    const logger: Logger = options.logger ? scrubbingLogger(options.logger, sb.secrets) : createConsoleLogger(config.telemetry.logLevel, undefined, sb.secrets);
    responseItems = await openResponseItems(config, { logger, secrets: sb.secrets });
    const context: GatewayContext = {
      sb,
      logger,
      responseItems,
      inFlight: new InFlightRequests(),
      bodyLimitBytes: config.server.bodyLimitBytes,
      startedAt: Math.floor(Date.now() / 1000),
      callers: new WeakMap(),
      isClosing: () => closing,
    };
    const server = buildApp(context, keys, metrics);
    app = server;
    await server.listen({ host, port });
    const address = server.server.address() as AddressInfo;
    const url = displayUrl(address);
    if (keys.enabled) logger.info('gateway listening', { url, keys: config.server.apiKeys.length });
    else logger.warn('gateway listening WITHOUT authentication (server.apiKeys is empty): loopback only', { url });
    const drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    let closed: Promise<void> | undefined;
    const close = () =>
      (closed ??= (async () => {
        closing = true;
        const stopped = server.close();
        if (!(await context.inFlight.waitIdle(drainTimeoutMs))) {
          logger.warn('gateway drain timeout: aborting in-flight requests', { inFlight: context.inFlight.size, drainTimeoutMs });
          context.inFlight.abortAll();
          await context.inFlight.waitIdle(ABORT_GRACE_MS);
        }
        // What is left is idle keep-alive sockets (or clients that stopped reading).
        server.server.closeAllConnections();
        await stopped;
        await release();
      })());
    return { url, host, port: address.port, switchboard: sb, authenticated: keys.enabled, close };
  } catch (error) {
    await app?.close();
    await release();
    throw error;
  }
}

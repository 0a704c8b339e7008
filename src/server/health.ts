/**
 * `GET /healthz` (the process answers) and `GET /readyz` (the gateway can serve calls). Ready means:
 * not shutting down, at least one provider ready, and, when bots are defined, at least one bot with
 * a model on a ready provider. Otherwise 503, with the providers' and bots' detail saying why.
 */
import type { FastifyInstance } from 'fastify';
import type { Switchboard } from '../switchboard.js';
import type { GatewayContext } from './context.js';

/** The readiness report. */
export interface Readiness {
  ready: boolean;
  /** Why not, when not ready. */
  reason?: string;
  providers: Array<{ name: string; ready: boolean; reason?: string }>;
  bots: Array<{ name: string; ready: boolean }>;
}

/** Work out readiness from the registry and the bots. */
export function readiness(sb: Switchboard, closing: boolean): Readiness {
  const providers = sb.registry.listProviders();
  const ready = new Set(providers.filter((status) => status.ready).map((status) => status.name));
  const bots = [...sb.bots.list()].sort().map((name) => ({ name, ready: sb.bots.candidates(name).some((model) => ready.has(model.split(':')[0]!)) }));
  let reason: string | undefined;
  if (closing) reason = 'the gateway is shutting down';
  else if (ready.size === 0) reason = 'no provider is ready (see providers[].reason)';
  else if (bots.length > 0 && !bots.some((bot) => bot.ready)) reason = 'no bot has a model on a ready provider';
  const report: Readiness = { ready: reason === undefined, providers, bots };
  if (reason !== undefined) report.reason = reason;
  return report;
}

/** Register the health routes (no gateway key needed: probes do not carry one). */
export function registerHealth(app: FastifyInstance, context: GatewayContext): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const report = readiness(context.sb, context.isClosing());
    return reply.code(report.ready ? 200 : 503).send(report);
  });
}

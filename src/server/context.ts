/**
 * What every gateway route shares: the switchboard, the logger, in-flight tracking, the caller of
 * each request (set by the auth hook), and the logging of failures (scrubbed, never a key).
 */
import { randomFillSync } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Logger } from '../core/logger.js';
import type { Switchboard } from '../switchboard.js';
import type { Caller } from './auth.js';
import type { HttpFailure } from './errors.js';
import type { InFlightRequests } from './in-flight.js';
import type { ResponseItems } from './response-items.js';

/** Shared state of one gateway. */
export interface GatewayContext {
  sb: Switchboard;
  logger: Logger;
  inFlight: InFlightRequests;
  /** `server.bodyLimitBytes`, quoted in 413 messages. */
  bodyLimitBytes: number;
  /** Unix seconds the gateway started (the `created` of listed models). */
  startedAt: number;
  /** Output items of `/v1/responses` answers, kept for later item references. */
  responseItems: ResponseItems;
  /** The caller the auth hook found for a request. */
  callers: WeakMap<FastifyRequest, Caller>;
  /** True once close() began: new work is refused, readiness fails. */
  isClosing(): boolean;
}

/** The caller of a request (no tenant when the gateway has no keys). */
export function callerOf(context: GatewayContext, request: FastifyRequest): Caller {
  return context.callers.get(request) ?? {};
}

/** Random bytes for ids, drawn in bulk: one `randomBytes` per id cost ~3 % of the gateway's CPU per request. */
const ID_BYTES = 12;
const idPool = Buffer.alloc(ID_BYTES * 512);
let idOffset = idPool.length;

/** A random id for responses and request ids (hex, 24 characters). */
export function newId(): string {
  if (idOffset === idPool.length) {
    randomFillSync(idPool);
    idOffset = 0;
  }
  const id = idPool.toString('hex', idOffset, idOffset + ID_BYTES);
  idOffset += ID_BYTES;
  return id;
}

/** One header value as a string (repeated headers: the first). */
export function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Log a failure at its severity: method, path without its query, status, code; never headers or bodies. */
export function logFailure(context: GatewayContext, request: FastifyRequest | undefined, failure: HttpFailure): void {
  const fields: Record<string, unknown> = { status: failure.status, type: failure.body.error.type, code: failure.body.error.code, message: failure.body.error.message };
  if (request) {
    fields.method = request.method;
    fields.path = request.url.split('?')[0];
    fields.requestId = request.id;
  }
  if (failure.logDetail) fields.detail = failure.logDetail;
  context.logger[failure.severity]('gateway request failed', fields);
}

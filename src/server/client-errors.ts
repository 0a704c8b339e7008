/**
 * Answers for requests Node's HTTP parser rejects before fastify sees them (a malformed request line
 * or header, headers over the size limit, a request that took too long to arrive). Node and fastify
 * would answer with their own bodies; an OpenAI client expects OpenAI's error body, so these get it
 * too, as JSON, and the connection is closed (the parser cannot find the next request on it).
 * Messages are fixed: nothing of what was sent is echoed back.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../core/logger.js';
import type { OpenAIErrorObject } from './errors.js';

/** What Node hands a `clientError` listener: an error whose `code` names the parser failure. */
export interface ClientConnectionError extends Error {
  code?: string;
}

interface ClientFailure {
  status: number;
  error: OpenAIErrorObject;
}

/** The status and body for one parser failure. */
function clientFailure(code: string | undefined): ClientFailure {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return {
      status: 431,
      error: { message: 'The request headers are larger than this gateway accepts; send fewer or shorter headers', type: 'invalid_request_error', code: 'request_header_fields_too_large', param: null },
    };
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return {
      status: 408,
      error: { message: 'The request did not arrive in time; send it again', type: 'invalid_request_error', code: 'request_timeout', param: null },
    };
  }
  return {
    status: 400,
    error: { message: 'The request is not valid HTTP/1.1 (request line, headers or body framing); it was not read', type: 'invalid_request_error', code: 'malformed_request', param: null },
  };
}

/** A response already under way on this socket (Node's own handler checks the same before answering). */
function responseStarted(socket: Socket): boolean {
  const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  return current?.headersSent === true;
}

/**
 * A `clientError` handler (fastify's `clientErrorHandler` option): OpenAI's error body with the
 * matching status, then the socket is destroyed. A reset connection has no one to answer.
 */
export function createClientErrorHandler(logger: Logger): (error: ClientConnectionError, socket: Socket) => void {
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const { status, error: body } = clientFailure(error.code);
    logger.debug('gateway rejected a malformed request', { status, code: body.code, parserCode: error.code });
    if (socket.writable && !responseStarted(socket)) {
      const json = JSON.stringify({ error: body });
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
          'Content-Type: application/json; charset=utf-8\r\n' +
          `Content-Length: ${Buffer.byteLength(json)}\r\n` +
          'Connection: close\r\n\r\n' +
          json,
      );
    }
    socket.destroy();
  };
}

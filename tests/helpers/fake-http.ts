/**
 * Plumbing shared by the fake provider servers: a `node:http` server on 127.0.0.1:0 that records
 * every request, tracks its sockets (so `close()` can destroy them and leak tests can count them),
 * and hands each request to a handler as an `Exchange` with the few moves a fake provider needs:
 * answer, stream, wait (abandoned when the client goes away), reset the connection, or hang.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request the server received (headers lower-cased, JSON bodies parsed). */
export interface RecordedRequest {
  method: string;
  /** Path with its query string, e.g. `/v1/chat/completions`. */
  path: string;
  headers: Record<string, string>;
  /** The parsed JSON body, the raw text when it is not JSON, or undefined when empty. */
  body: unknown;
}

/** Handles one request; the exchange is ended by the handler (or by the client going away). */
export type ExchangeHandler = (exchange: Exchange, request: RecordedRequest) => void | Promise<void>;

/** Options for `FakeHttpServer.listen`. */
export interface FakeHttpOptions {
  /** Most recent requests kept in `requests` (older ones are dropped; `requestCount` keeps counting). */
  maxRecorded?: number;
}

const DEFAULT_MAX_RECORDED = 10_000;

/** One request/response pair, with helpers that are safe to call after the client has gone. */
export class Exchange {
  private ended = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly req: http.IncomingMessage,
    readonly res: http.ServerResponse,
  ) {
    res.on('close', () => {
      this.ended = true;
      for (const timer of this.timers) clearTimeout(timer);
      this.timers.clear();
      for (const wake of this.waiters) wake();
      this.waiters.clear();
    });
  }

  /** True once the response finished or the client went away. */
  get closed(): boolean {
    return this.ended || this.res.destroyed || this.res.writableEnded;
  }

  /** Wait `ms`; resolves false (at once) if the exchange closes first, so callers stop writing. */
  sleep(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => resolve(false);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.waiters.delete(wake);
        resolve(!this.closed);
      }, ms);
      this.timers.add(timer);
      this.waiters.add(wake);
    });
  }

  /** Resolves when the client goes away (a hang ends only this way, or with the server's close). */
  untilClosed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.add(resolve));
  }

  /** A complete JSON answer. */
  json(status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.text(status, JSON.stringify(body), { 'content-type': 'application/json', ...headers });
  }

  /** A complete answer with any body. */
  text(status: number, body: string, headers: Record<string, string> = {}): void {
    if (this.closed) return;
    this.res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
    this.res.end(body);
  }

  /** Send the status line and headers now (the client's fetch resolves), body to follow. */
  startBody(status: number, headers: Record<string, string>): void {
    if (this.closed) return;
    this.res.writeHead(status, headers);
    this.res.flushHeaders();
  }

  /** Start a server-sent-events answer. */
  startSse(headers: Record<string, string> = {}): void {
    this.startBody(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers });
  }

  /**
   * Write part of the body (text, or bytes: a huge body reuses one buffer); resolves once it is
   * handed to the socket (or the client has gone).
   */
  write(data: string | Uint8Array): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => resolve();
      this.waiters.add(wake);
      this.res.write(data, () => {
        this.waiters.delete(wake);
        resolve();
      });
    });
  }

  /** Finish the body normally (for a stream: a clean close, whatever was or was not sent). */
  end(): void {
    if (!this.closed) this.res.end();
  }

  /**
   * Drop the connection. `hard` sends a TCP reset (the client sees ECONNRESET); otherwise the socket
   * closes after what was written is flushed, so a body cut short arrives exactly as far as it got.
   */
  reset(hard = false): void {
    const socket = this.req.socket;
    if (hard && typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
    else socket.destroy();
  }
}

/** The HTTP server itself. Use `FakeHttpServer.listen(handler)`. */
export class FakeHttpServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  private readonly recorded: RecordedRequest[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly exchanges = new Set<Exchange>();
  private received = 0;
  private closing?: Promise<void>;

  private constructor(
    private readonly server: http.Server,
    private readonly maxRecorded: number,
  ) {
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Start listening on 127.0.0.1 at a free port. */
  static async listen(handler: ExchangeHandler, options: FakeHttpOptions = {}): Promise<FakeHttpServer> {
    let instance: FakeHttpServer | undefined;
    const server = http.createServer((req, res) => {
      if (instance) void instance.accept(req, res, handler);
      else res.destroy();
    });
    server.on('connection', (socket) => {
      instance?.sockets.add(socket);
      socket.on('close', () => instance?.sockets.delete(socket));
    });
    // Clients abort mid-body in the chaos tests; a socket error there is expected, not a crash.
    server.on('clientError', (_error, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    instance = new FakeHttpServer(server, options.maxRecorded ?? DEFAULT_MAX_RECORDED);
    return instance;
  }

  /** Requests received, oldest first (the most recent `maxRecorded`). */
  get requests(): RecordedRequest[] {
    return [...this.recorded];
  }

  /** Requests received since start or the last `reset()`. */
  get requestCount(): number {
    return this.received;
  }

  /** Sockets open right now (idle keep-alive connections included). */
  get openSockets(): number {
    return this.sockets.size;
  }

  /** Requests not yet answered in full nor abandoned by their client. */
  get inFlight(): number {
    return this.exchanges.size;
  }

  /** Forget recorded requests and the count. */
  clearRequests(): void {
    this.recorded.length = 0;
    this.received = 0;
  }

  /** Stop: destroy every socket (hanging requests included) and stop listening. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const socket of this.sockets) socket.destroy();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private async accept(req: http.IncomingMessage, res: http.ServerResponse, handler: ExchangeHandler): Promise<void> {
    const exchange = new Exchange(req, res);
    this.exchanges.add(exchange);
    res.on('close', () => this.exchanges.delete(exchange));
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    let raw: string;
    try {
      raw = await readBody(req);
    } catch {
      return;
    }
    const request: RecordedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: lowerCaseHeaders(req.headers), body: parseBody(raw) };
    this.received++;
    this.recorded.push(request);
    if (this.recorded.length > this.maxRecorded) this.recorded.shift();
    try {
      await handler(exchange, request);
    } catch (error) {
      if (!exchange.closed && !res.headersSent) exchange.json(500, { error: { message: `fake server bug: ${String(error)}` } });
      else exchange.reset();
    }
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(raw: string): unknown {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function lowerCaseHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

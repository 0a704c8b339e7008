/**
 * A real redis-server for tests, on a free loopback port, with no persistence and its own temp dir.
 * `--port 0` means "no TCP" to Redis, so the port is picked here: bind 127.0.0.1:0, read the port,
 * release it, start Redis on it. `restart()` reuses the port so ioredis clients reconnect by themselves.
 * Suites skip (with a message) when `redisAvailable()` finds no redis-server binary.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The binary used: `REDIS_SERVER_BIN`, else `redis-server` on PATH, else /usr/bin/redis-server. */
export function redisServerBinary(): string | undefined {
  const candidates = [process.env.REDIS_SERVER_BIN, ...(process.env.PATH ?? '').split(delimiter).map((dir) => dir && join(dir, 'redis-server')), '/usr/bin/redis-server'];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not there; try the next.
    }
  }
  return undefined;
}

/** True when a redis-server binary can be started. */
export function redisAvailable(): boolean {
  return redisServerBinary() !== undefined;
}

/** Why a suite skipped; printed once so a skipped run is not mistaken for a pass. */
export const REDIS_MISSING_MESSAGE = 'redis-server not found (set REDIS_SERVER_BIN or install redis-server): skipping the Redis store tests';

/** Options of `startRedisServer`. */
export interface RedisServerOptions {
  /** Require this password (`requirepass`), so URLs carry a secret as in production. */
  password?: string;
  /** Longest wait for the server to answer; default 5000 ms. */
  startTimeoutMs?: number;
}

/** A running (or stopped) test server. */
export interface RedisServer {
  readonly port: number;
  /** `redis://:password@127.0.0.1:port` (no user info without a password). */
  readonly url: string;
  /** True between a successful start and `stop()`. */
  readonly running: boolean;
  /** SIGTERM, then wait for the process to exit (SIGKILL after 3 s). */
  stop(): Promise<void>;
  /** SIGSTOP: the server keeps its connections but answers nothing (a hung or partitioned Redis). */
  pause(): void;
  /** SIGCONT after `pause()`. */
  resume(): void;
  /** Start again on the same port (after `stop()`). */
  restart(): Promise<void>;
  /** Stop and remove the temp dir. */
  dispose(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** True when something on the port answers a RESP PING (PONG, or NOAUTH when a password is set). */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.once('data', (data) => finish(/^(\+PONG|-NOAUTH)/.test(data.toString('latin1'))));
  });
}

/** Start redis-server; rejects with its output if it exits or does not answer in time. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = redisServerBinary();
  if (!binary) throw new Error(REDIS_MISSING_MESSAGE);
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-redis-'));
  const port = await freePort();
  const timeoutMs = options.startTimeoutMs ?? 5000;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const launch = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'];
    if (options.password) args.push('--requirepass', options.password);
    const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    };
    proc.stdout!.on('data', collect);
    proc.stderr!.on('data', collect);
    let gone = false;
    exited = new Promise((resolve) => proc.once('exit', () => ((gone = true), resolve())));
    const deadline = Date.now() + timeoutMs;
    while (!(await pings(port))) {
      if (gone) throw new Error(`redis-server exited during start-up: ${output}`);
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`redis-server did not answer on port ${port} within ${timeoutMs} ms: ${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  const stop = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    // A paused server would not see SIGTERM until continued.
    proc.kill('SIGCONT');
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(killer);
  };

  await launch();
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  return {
    port,
    url: `redis://${auth}127.0.0.1:${port}`,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    stop,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    restart: async () => {
      await stop();
      await launch();
    },
    dispose: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

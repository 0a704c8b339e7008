/**
 * Child processes of the bench: forked scripts that report `{ type: 'listening', url }`, plain
 * servers polled until they answer, free ports, and stopping a child by its own pid.
 */
import { fork, type ChildProcess, type ForkOptions } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Fork `script` and wait for its `listening` message (rejects if it exits or takes longer than `timeoutMs`). */
export function forkListening(script: string, options: ForkOptions, timeoutMs = 30_000): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(script, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], ...options });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stopChild(child);
      reject(new Error(`${script} did not start listening within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', (message: { type?: string; url?: string }) => {
      if (message?.type !== 'listening' || typeof message.url !== 'string') return;
      clearTimeout(timer);
      resolve({ child, url: message.url });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited before listening (code ${code}, signal ${signal})`));
    });
  });
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
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

/** Poll `url` with GET until it answers 2xx (rejects after `timeoutMs`). */
export async function waitForHttp(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.ok) return;
      last = new Error(`HTTP ${response.status}`);
    } catch (error) {
      last = error;
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms: ${String(last)}`);
}

/** Stop one child we started (SIGTERM, then SIGKILL after `graceMs`) and wait for it. */
export async function stopChild(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

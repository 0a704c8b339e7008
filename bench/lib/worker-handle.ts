/**
 * The runner's side of a worker process: fork it with IPC, ask one thing at a time, get the answer
 * (or the worker's error, or its death) as a promise.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { stopChild } from './child.js';

/** A message from a worker. */
export interface WorkerMessage {
  type: string;
  message?: string;
  [field: string]: unknown;
}

/** A running worker. */
export class WorkerHandle {
  private waiting?: { resolve: (message: WorkerMessage) => void; reject: (error: Error) => void };
  private exited?: Error;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (message: WorkerMessage) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      if (!waiting) return;
      if (message.type === 'error') waiting.reject(new Error(message.message ?? 'worker failed'));
      else waiting.resolve(message);
    });
    child.once('exit', (code, signal) => {
      this.exited = new Error(`${name} exited (code ${code}, signal ${signal})`);
      this.waiting?.reject(this.exited);
      this.waiting = undefined;
    });
  }

  /** Fork `script` with `execArgv` and `env`, and wait for `{ type: 'ready' }`. */
  static async start(name: string, script: string, env: NodeJS.ProcessEnv, execArgv: string[] = [], timeoutMs = 60_000): Promise<WorkerHandle> {
    const child = fork(script, [], { env, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const handle = new WorkerHandle(name, child);
    try {
      const ready = await handle.next(timeoutMs);
      if (ready.type !== 'ready') throw new Error(`${name}: expected ready, got ${ready.type}`);
      return handle;
    } catch (error) {
      await handle.stop();
      throw error;
    }
  }

  /** The worker's pid. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Send `request` and wait for the answer. */
  request(request: unknown, timeoutMs = 300_000): Promise<WorkerMessage> {
    if (this.exited) return Promise.reject(this.exited);
    const answer = this.next(timeoutMs);
    this.child.send(request as object);
    return answer;
  }

  /** Stop the process (after `finish`, it leaves by itself). */
  async stop(): Promise<void> {
    await stopChild(this.child);
  }

  private next(timeoutMs: number): Promise<WorkerMessage> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new Error(`${this.name}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting = {
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
    });
  }
}

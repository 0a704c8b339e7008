/**
 * Stream watchdogs: the first-chunk and idle timeouts of one stream attempt (SSE keep-alive comments
 * produce no parts, so they never reset the idle timer), and the two helpers every stream attempt
 * uses to wait for its next part and to close an upstream iterator without being held up by it.
 */
import { TimeoutError } from '../core/errors.js';

/**
 * The first-chunk and idle timeouts of one attempt, with one timer re-armed lazily instead of a timer
 * per chunk (a 1,000-chunk stream would otherwise set and clear 1,000 timers). When it expires it
 * aborts the attempt with a TimeoutError and rejects `expired`, which the chunk wait races against.
 */
export class ChunkWatchdog {
  /** Rejects with the TimeoutError when a timeout passes; never resolves. */
  readonly expired: Promise<never>;
  private reject!: (error: TimeoutError) => void;
  private timer: NodeJS.Timeout | undefined;
  private dueAt = 0;
  /** When the running timer fires. */
  private timerAt = 0;
  private idle = false;
  private paused = false;

  constructor(
    private readonly firstChunkMs: number,
    private readonly idleMs: number,
    private readonly controller: AbortController,
    private readonly where: string,
  ) {
    this.expired = new Promise<never>((_, reject) => (this.reject = reject));
    // Nobody may be racing it when it fires (between chunks): that must not be an unhandled rejection.
    this.expired.catch(() => undefined);
    if (firstChunkMs > 0) this.arm(firstChunkMs);
  }

  /** Is a timeout running (so chunk waits must race against `expired`)? */
  get active(): boolean {
    return this.timer !== undefined;
  }

  /**
   * A delta arrived and is handed to the consumer: time the consumer spends with it is not upstream
   * silence, so the clock stops until `resume()`.
   */
  pause(): void {
    this.idle = true;
    this.paused = true;
    if (this.idleMs <= 0) this.stop();
  }

  /** The consumer wants the next part: the idle timeout runs again from now. */
  resume(): void {
    this.paused = false;
    if (this.idleMs <= 0) return;
    this.dueAt = performance.now() + this.idleMs;
    // The first-chunk timer may be due later than the idle deadline: then move it (once, at the switch).
    if (!this.timer || this.timerAt > this.dueAt + 1) this.arm(this.idleMs);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    clearTimeout(this.timer);
    this.dueAt = performance.now() + ms;
    this.timerAt = this.dueAt;
    this.timer = setTimeout(() => this.check(), ms);
  }

  private check(): void {
    const left = this.paused ? this.idleMs : this.dueAt - performance.now();
    if (left > 1) {
      this.timerAt = performance.now() + left;
      this.timer = setTimeout(() => this.check(), left);
      return;
    }
    this.timer = undefined;
    const error = this.idle
      ? new TimeoutError(`${this.where} stream went idle after ${this.idleMs} ms`)
      : new TimeoutError(`${this.where} sent no first chunk after ${this.firstChunkMs} ms`);
    this.controller.abort(error);
    this.reject(error);
  }
}

/** Wait for the next part, racing the watchdog while a timeout runs. */
export function nextPart<T>(iterator: AsyncIterator<T>, watchdog: ChunkWatchdog, race: boolean): Promise<IteratorResult<T>> {
  const pending = iterator.next();
  // A stream that honours its signal rejects by itself when the watchdog aborts it.
  if (!race || !watchdog.active) return pending;
  // The losing promise may still reject after the race; it must not become an unhandled rejection.
  pending.catch(() => undefined);
  return Promise.race([pending, watchdog.expired]);
}

/** Close an upstream iterator without letting a slow or failing `return()` hold up the caller. */
export function closeQuietly(iterator: AsyncIterator<unknown> | undefined): void {
  if (!iterator?.return) return;
  try {
    void Promise.resolve(iterator.return()).catch(() => undefined);
  } catch {
    // A throwing return() changes nothing for the caller: the attempt is over either way.
  }
}


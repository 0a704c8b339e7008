/**
 * A provider stream made safe: retried only before its first delta, first-chunk and idle-chunk
 * timeouts (SSE keep-alive comments produce no parts, so they never reset the idle timer), a stream
 * that ends without its finish part is an interruption, and leaving the loop early aborts upstream.
 */
import { AbortError, ProviderError, StreamInterruptedError, TimeoutError, type LLMError } from '../core/errors.js';
import type { ManagedResult, ManagedStreamPart, ProviderResult, ProviderStreamPart } from '../core/types.js';
import type { ModelLease } from '../cache/model-cache.js';
import type { InferenceRecorder } from '../telemetry/observer.js';
import { startDeadline, waitBeforeRetry, type AttemptHooks } from './attempt-loop.js';

/** Everything the stream loop needs from its manager. */
export interface ManagedStreamOptions<TModel> {
  hooks: AttemptHooks;
  recorder: InferenceRecorder;
  /** Lease the model; `signal` (the attempt's) stops waiting for a slow load. */
  acquire(signal: AbortSignal): Promise<ModelLease<TModel>>;
  open(model: TModel, signal: AbortSignal): AsyncIterable<ProviderStreamPart>;
  finish(value: ProviderResult, attempts: number, latencyMs: number): ManagedResult;
  mapError(error: unknown, signal?: AbortSignal): LLMError;
  origin: { provider: string; model: string };
  /** Race each chunk wait against the timeouts (for managers whose streams may ignore an abort). */
  raceTimeouts: boolean;
}

/**
 * The first-chunk and idle timeouts of one attempt, with one timer re-armed lazily instead of a timer
 * per chunk (a 1,000-chunk stream would otherwise set and clear 1,000 timers). When it expires it
 * aborts the attempt with a TimeoutError and rejects `expired`, which the chunk wait races against.
 */
class ChunkWatchdog {
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
function nextPart<T>(iterator: AsyncIterator<T>, watchdog: ChunkWatchdog, race: boolean): Promise<IteratorResult<T>> {
  const pending = iterator.next();
  // A stream that honours its signal rejects by itself when the watchdog aborts it.
  if (!race || !watchdog.active) return pending;
  // The losing promise may still reject after the race; it must not become an unhandled rejection.
  pending.catch(() => undefined);
  return Promise.race([pending, watchdog.expired]);
}

/** Close an upstream iterator without letting a slow or failing `return()` hold up the caller. */
function closeQuietly(iterator: AsyncIterator<unknown> | undefined): void {
  if (!iterator?.return) return;
  try {
    void Promise.resolve(iterator.return()).catch(() => undefined);
  } catch {
    // A throwing return() changes nothing for the caller: the attempt is over either way.
  }
}

/** The managed stream: deltas as they come, then one finish part carrying the priced result. */
export async function* streamWithRetries<TModel>(options: ManagedStreamOptions<TModel>): AsyncGenerator<ManagedStreamPart> {
  const { hooks, recorder } = options;
  const deadline = startDeadline(hooks);
  const started = performance.now();
  const where = `${options.origin.provider}:${options.origin.model}`;
  let attempts = 0;
  let text = '';
  let delivered = false;
  let settled = false;
  try {
    for (;;) {
      attempts++;
      hooks.onAttempt?.();
      const attempt = hooks.link(deadline.signal);
      let lease: ModelLease<TModel> | undefined;
      let iterator: AsyncIterator<ProviderStreamPart> | undefined;
      let completed = false;
      let watchdog: ChunkWatchdog | undefined;
      try {
        lease = await options.acquire(attempt.signal);
        iterator = options.open(lease.model, attempt.signal)[Symbol.asyncIterator]();
        let finish: Extract<ProviderStreamPart, { type: 'finish' }> | undefined;
        watchdog = new ChunkWatchdog(hooks.firstChunkTimeoutMs, hooks.idleChunkTimeoutMs, attempt.controller, where);
        for (;;) {
          const step = await nextPart(iterator, watchdog, options.raceTimeouts);
          if (step.done) break;
          const part = step.value;
          if (part.type === 'finish') {
            finish = part;
            break;
          }
          if (!part.text) continue;
          watchdog.pause();
          if (!delivered) {
            delivered = true;
            recorder.firstChunk();
          }
          text += part.text;
          yield { type: 'text-delta', text: part.text };
          watchdog.resume();
        }
        watchdog.stop();
        if (!finish) {
          throw delivered
            ? new StreamInterruptedError(`${where} stream ended without its terminal event`, { ...options.origin, partialText: text })
            : new ProviderError(`${where} stream ended before any content or terminal event`, { ...options.origin, retryable: true });
        }
        completed = true;
        const value: ProviderResult = { text, finishReason: finish.finishReason, usage: finish.usage, id: finish.id, responseModel: finish.responseModel };
        const result = options.finish(value, attempts, performance.now() - started);
        settled = true;
        recorder.end(result);
        yield { type: 'finish', result };
        return;
      } catch (thrown) {
        const error = options.mapError(thrown, attempt.signal);
        if (delivered) {
          settled = true;
          const final = error instanceof AbortError || error instanceof StreamInterruptedError
            ? error
            : new StreamInterruptedError(`${where} stream failed after the first delta: ${error.message}`, { ...options.origin, partialText: text, cause: error });
          recorder.fail(final);
          throw final;
        }
        try {
          await waitBeforeRetry(hooks, deadline, error, attempts);
        } catch (finalError) {
          settled = true;
          recorder.fail(finalError as LLMError);
          throw finalError;
        }
      } finally {
        // Leaving early (break, error, timeout) must cancel the upstream request.
        watchdog?.stop();
        if (!completed) attempt.controller.abort(new AbortError('The stream was closed before it finished'));
        closeQuietly(iterator);
        lease?.release();
        attempt.dispose();
      }
    }
  } finally {
    deadline.dispose();
    if (!settled) recorder.fail(new AbortError('The stream consumer stopped before the stream finished', options.origin));
  }
}

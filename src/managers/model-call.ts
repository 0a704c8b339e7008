/**
 * One call of one candidate model, as BaseLLMManager runs it (RELIABILITY.md "Semantics"): the one
 * retry loop under one total deadline, the model lease of each attempt, the inference recorder, and
 * every failure mapped to our errors once, where it arises. A stream also gets first-chunk and idle
 * watchdogs, is retried only before its first delta, and never ends short silently. One object per
 * call holds all of it; the manager lends it a port (its protected hooks, built once per manager).
 */
import type { ModelLease } from '../cache/model-cache.js';
import { linkAbort, sleep, type LinkedAbort } from '../core/abort.js';
import { AbortError, ProviderError, StreamInterruptedError, TimeoutError, type LLMError } from '../core/errors.js';
import type {
  CallContext,
  CandidateContext,
  ManagedResult,
  ManagedStreamPart,
  ModelInfo,
  ProviderRequest,
  ProviderResult,
  ProviderStreamPart,
} from '../core/types.js';
import { decideRetry, type RetryPolicy } from '../resilience/retry.js';
import type { InferenceRecorder } from '../telemetry/observer.js';
import { ChunkWatchdog, closeQuietly, nextPart } from './chunk-watchdog.js';

/** Timeouts and retry settings every manager applies (config `resilience`). */
export interface ResilienceSettings extends RetryPolicy {
  /** Total time for one candidate model, all its attempts included. */
  timeoutMs: number;
  /** Streams: longest wait for the first delta. */
  firstChunkTimeoutMs: number;
  /** Streams: longest silence between deltas (keep-alive comments do not count). */
  idleChunkTimeoutMs: number;
}

/** What a manager lends its calls: its settings and its protected hooks. */
export interface ModelPort<TModel> {
  readonly provider: string;
  readonly resilience: ResilienceSettings;
  /** Race each chunk wait against the timeouts (for managers whose streams may ignore an abort). */
  readonly raceTimeouts: boolean;
  /** Lease the model for one attempt; `signal` (the attempt's) stops waiting for a slow load. */
  lease(modelId: string, info: ModelInfo, signal: AbortSignal): Promise<ModelLease<TModel>>;
  /** One attempt at a complete answer. */
  generate(model: TModel, request: ProviderRequest, context: CallContext): Promise<ProviderResult>;
  /** One attempt at a stream. */
  stream(model: TModel, request: ProviderRequest, context: CallContext): AsyncIterable<ProviderStreamPart>;
  /** Map what an attempt threw to our errors (its signal tells an abort from a failure). */
  mapError(error: unknown, request: ProviderRequest, signal?: AbortSignal): LLMError;
  /** The priced, timed result of an answer. */
  finish(request: ProviderRequest, value: ProviderResult, attempts: number, latencyMs: number, info: ModelInfo): ManagedResult;
  /** How attempt signals are linked (a seam for tests that count controllers); default linkAbort. */
  readonly link?: typeof linkAbort;
}

/** The caller's signal linked, aborting with TimeoutError when the candidate's total time has passed. */
interface Deadline extends LinkedAbort {
  /** Milliseconds left (Infinity without a timeout). */
  remaining(): number;
}

/** One candidate model's call. Use `generate()` or `stream()` once. */
export class ModelCall<TModel> {
  private attempts = 0;
  private readonly started = performance.now();
  private readonly link: typeof linkAbort;

  constructor(
    private readonly port: ModelPort<TModel>,
    private readonly request: ProviderRequest,
    private readonly context: CandidateContext,
    private readonly recorder: InferenceRecorder,
    /** What is known of the model; asked inside the loop, so a failing look-up counts as an attempt failure. */
    private readonly modelInfo: () => ModelInfo,
  ) {
    this.link = port.link ?? linkAbort;
  }

  private get where(): string {
    return `${this.port.provider}:${this.request.modelId}`;
  }

  /** The complete answer, or the one mapped error of the last attempt (reported to the recorder). */
  async generate(): Promise<ManagedResult> {
    const deadline = this.startDeadline();
    try {
      for (;;) {
        this.countAttempt();
        // The first attempt runs on the deadline's own signal (most calls make one attempt: one controller
        // fewer per call). Retries get a link of their own, so abort listeners an SDK leaves on its signal
        // do not pile up on one signal across many retries.
        const own = this.attempts === 1 ? undefined : this.link(deadline.signal);
        const signal = own?.signal ?? deadline.signal;
        try {
          const info = this.modelInfo();
          const lease = await this.port.lease(this.request.modelId, info, signal);
          let value: ProviderResult;
          try {
            value = await this.port.generate(lease.model, this.request, this.attemptContext(signal));
          } finally {
            lease.release();
          }
          const result = this.port.finish(this.request, value, this.attempts, performance.now() - this.started, info);
          this.recorder.end(result);
          return result;
        } catch (thrown) {
          await this.retryOrThrow(this.port.mapError(thrown, this.request, signal), deadline);
        } finally {
          own?.dispose();
        }
      }
    } catch (error) {
      const final = error as LLMError;
      this.recorder.fail(final);
      throw final;
    } finally {
      deadline.dispose();
    }
  }

  /** Deltas as they come, then one finish part carrying the priced result. */
  async *stream(): AsyncGenerator<ManagedStreamPart> {
    const deadline = this.startDeadline();
    const { resilience } = this.port;
    let text = '';
    let delivered = false;
    let settled = false;
    try {
      for (;;) {
        this.countAttempt();
        const attempt = this.link(deadline.signal);
        let lease: ModelLease<TModel> | undefined;
        let iterator: AsyncIterator<ProviderStreamPart> | undefined;
        let watchdog: ChunkWatchdog | undefined;
        let completed = false;
        try {
          const info = this.modelInfo();
          lease = await this.port.lease(this.request.modelId, info, attempt.signal);
          iterator = this.port.stream(lease.model, this.request, this.attemptContext(attempt.signal))[Symbol.asyncIterator]();
          watchdog = new ChunkWatchdog(resilience.firstChunkTimeoutMs, resilience.idleChunkTimeoutMs, attempt.controller, this.where);
          let finish: Extract<ProviderStreamPart, { type: 'finish' }> | undefined;
          for (;;) {
            const step = await nextPart(iterator, watchdog, this.port.raceTimeouts);
            if (step.done) break;
            const part = step.value;
            if (part.type === 'finish') {
              finish = part;
              break;
            }
            if (part.type === 'text-delta' ? !part.text : part.type === 'reasoning-delta' && !part.text) continue;
            watchdog.pause();
            if (!delivered) {
              delivered = true;
              this.recorder.firstChunk();
            }
            if (part.type === 'text-delta') {
              text += part.text;
              yield { type: 'text-delta', text: part.text };
            } else {
              // Reasoning and tool-call deltas are content the caller sees: past one, no retry either.
              yield part;
            }
            watchdog.resume();
          }
          watchdog.stop();
          if (!finish) {
            throw delivered
              ? new StreamInterruptedError(`${this.where} stream ended without its terminal event`, { ...this.origin, partialText: text })
              : new ProviderError(`${this.where} stream ended before any content or terminal event`, { ...this.origin, retryable: true });
          }
          completed = true;
          const value: ProviderResult = { text, finishReason: finish.finishReason, usage: finish.usage, id: finish.id, responseModel: finish.responseModel, toolCalls: finish.toolCalls, reasoning: finish.reasoning, stopSequence: finish.stopSequence };
          const result = this.port.finish(this.request, value, this.attempts, performance.now() - this.started, info);
          settled = true;
          this.recorder.end(result);
          yield { type: 'finish', result };
          return;
        } catch (thrown) {
          const error = this.port.mapError(thrown, this.request, attempt.signal);
          if (delivered) {
            settled = true;
            const final = AbortError.isInstance(error) || StreamInterruptedError.isInstance(error)
              ? error
              : new StreamInterruptedError(`${this.where} stream failed after the first delta: ${error.message}`, { ...this.origin, partialText: text, cause: error });
            this.recorder.fail(final);
            throw final;
          }
          try {
            await this.retryOrThrow(error, deadline);
          } catch (finalError) {
            settled = true;
            this.recorder.fail(finalError as LLMError);
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
      if (!settled) this.recorder.fail(new AbortError('The stream consumer stopped before the stream finished', this.origin));
    }
  }

  private get origin(): { provider: string; model: string } {
    return { provider: this.port.provider, model: this.request.modelId };
  }

  private countAttempt(): void {
    this.attempts++;
    this.context.onAttempt?.();
  }

  /** What `do*` methods see: the attempt's signal and who the call is for, nothing of the pipeline. */
  private attemptContext(signal: AbortSignal): CallContext {
    return this.context.caller === undefined ? { signal } : { signal, caller: this.context.caller };
  }

  /** Link the caller's signal and arm the candidate's total timeout (`params.timeoutMs` or config). */
  private startDeadline(): Deadline {
    const linked = this.link(this.context.signal);
    const timeoutMs = this.request.params.timeoutMs ?? this.port.resilience.timeoutMs;
    if (!timeoutMs || timeoutMs <= 0) return { ...linked, remaining: () => Infinity };
    const endsAt = performance.now() + timeoutMs;
    const timer = setTimeout(() => linked.controller.abort(new TimeoutError(`${this.where} did not finish within ${timeoutMs} ms (timeoutMs)`)), timeoutMs);
    return {
      ...linked,
      remaining: () => Math.max(0, endsAt - performance.now()),
      dispose: () => {
        clearTimeout(timer);
        linked.dispose();
      },
    };
  }

  /** Wait before the next attempt, or throw `error` to give up on this candidate. */
  private async retryOrThrow(error: LLMError, deadline: Deadline): Promise<void> {
    if (deadline.signal.aborted) throw error;
    const decision = decideRetry(error, this.attempts - 1, this.port.resilience);
    if (!decision.retry) throw error;
    // A wait that outlasts the deadline cannot end in a success: give up now so a fallback can answer.
    if (decision.delayMs >= deadline.remaining()) throw error;
    this.recorder.retry(this.attempts, error, decision.delayMs);
    try {
      await sleep(decision.delayMs, deadline.signal);
    } catch (sleepError) {
      throw this.port.mapError(sleepError, this.request, deadline.signal);
    }
  }
}

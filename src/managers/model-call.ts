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
import { estimatePromptTokens } from '../resilience/input-limits.js';
import type { RetryPolicy } from '../resilience/retry.js';
import type { DeploymentLease, DeploymentPool } from '../routing/deployment-pool.js';
import { acquireDeployment, nextAttempt } from '../routing/deployment-attempts.js';
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
  /** The provider's deployments, when it has some: each attempt asks them for one (src/routing/). */
  readonly deployments?: DeploymentPool;
}

/** The caller's signal linked, aborting with TimeoutError when the candidate's total time has passed. */
interface Deadline extends LinkedAbort {
  /** Milliseconds left (Infinity without a timeout). */
  remaining(): number;
}

/** One candidate model's call. Use `generate()` or `stream()` once. */
export class ModelCall<TModel> {
  private attempts = 0;
  /** Attempts that moved at once to another deployment after a cooling failure (not counted as retries). */
  private switches = 0;
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
        let deployment: DeploymentLease | undefined;
        try {
          const info = this.modelInfo();
          if (this.port.deployments) deployment = await this.pickDeployment(this.port.deployments);
          const lease = await this.port.lease(this.request.modelId, info, signal);
          let value: ProviderResult;
          try {
            value = await this.port.generate(lease.model, this.request, this.attemptContext(signal, deployment));
          } finally {
            lease.release();
          }
          const result = this.port.finish(this.request, value, this.attempts, performance.now() - this.started, info);
          if (deployment) this.port.deployments!.succeeded(deployment, result.usageReported ? result.usage.totalTokens : undefined);
          this.recorder.end(result);
          return result;
        } catch (thrown) {
          const error = this.port.mapError(thrown, this.request, signal);
          await this.retryOrThrow(error, deadline, deployment && this.port.deployments!.failed(deployment, error));
        } finally {
          if (deployment) this.port.deployments!.abandoned(deployment);
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
        let deployment: DeploymentLease | undefined;
        let iterator: AsyncIterator<ProviderStreamPart> | undefined;
        let watchdog: ChunkWatchdog | undefined;
        let completed = false;
        try {
          const info = this.modelInfo();
          if (this.port.deployments) deployment = await this.pickDeployment(this.port.deployments);
          lease = await this.port.lease(this.request.modelId, info, attempt.signal);
          iterator = this.port.stream(lease.model, this.request, this.attemptContext(attempt.signal, deployment))[Symbol.asyncIterator]();
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
          if (deployment) this.port.deployments!.succeeded(deployment, result.usageReported ? result.usage.totalTokens : undefined);
          settled = true;
          this.recorder.end(result);
          yield { type: 'finish', result };
          return;
        } catch (thrown) {
          const error = this.port.mapError(thrown, this.request, attempt.signal);
          const cooled = deployment !== undefined && this.port.deployments!.failed(deployment, error);
          if (delivered) {
            settled = true;
            const final = AbortError.isInstance(error) || StreamInterruptedError.isInstance(error)
              ? error
              : new StreamInterruptedError(`${this.where} stream failed after the first delta: ${error.message}`, { ...this.origin, partialText: text, cause: error });
            this.recorder.fail(final);
            throw final;
          }
          try {
            await this.retryOrThrow(error, deadline, cooled);
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
          if (deployment) this.port.deployments!.abandoned(deployment);
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

  /** What `do*` methods see: the attempt's signal, who the call is for and its deployment, nothing of the pipeline. */
  private attemptContext(signal: AbortSignal, deployment?: DeploymentLease): CallContext {
    if (deployment) return this.context.caller === undefined ? { signal, deployment: deployment.ref } : { signal, caller: this.context.caller, deployment: deployment.ref };
    return this.context.caller === undefined ? { signal } : { signal, caller: this.context.caller };
  }

  /** The router's choice for this attempt, or the typed error when none may be used (deployment-attempts.ts). */
  private async pickDeployment(pool: DeploymentPool): Promise<DeploymentLease> {
    const tokens = pool.chargesTokens ? estimatePromptTokens(this.request.messages) + (this.request.params.maxTokens ?? 0) : 0;
    let lease: DeploymentLease;
    try {
      lease = await acquireDeployment(pool, this.request.modelId, tokens);
    } catch (error) {
      this.recorder.deployment?.(undefined);
      throw error;
    }
    this.recorder.deployment?.(lease.ref.name, lease.ref.server);
    this.context.onDeployment?.(lease.ref.name);
    return lease;
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

  /**
   * Wait before the next attempt, or throw `error` to give up on this candidate. `cooled`: the attempt's
   * deployment went on cooldown. Then, while another deployment of the model is free, the next attempt
   * goes there at once and is not counted as a retry (at most deployments - 1 such switches per call);
   * otherwise the usual rule applies, waiting at least until the first deployment is free again.
   */
  private async retryOrThrow(error: LLMError, deadline: Deadline, cooled = false): Promise<void> {
    if (deadline.signal.aborted) throw error;
    const state = { pool: this.port.deployments, modelId: this.request.modelId, cooled, attempts: this.attempts, switches: this.switches, remainingMs: deadline.remaining() };
    const decision = nextAttempt(error, state, this.port.resilience);
    if (decision.next === 'stop') throw error;
    if (decision.next === 'switch') {
      this.switches++;
      this.recorder.retry(this.attempts, error, 0);
      return;
    }
    this.recorder.retry(this.attempts, error, decision.delayMs);
    try {
      await sleep(decision.delayMs, deadline.signal);
    } catch (sleepError) {
      throw this.port.mapError(sleepError, this.request, deadline.signal);
    }
  }
}

/**
 * One call path (ARCHITECTURE.md "One request"): normalise, take a concurrency slot, plan and start
 * telemetry (call-state.ts), then the generate or stream path with the one candidate loop
 * (candidates.ts), and one report of how the call ended. The Switchboard's call methods delegate here;
 * nothing here calls back into the facade.
 */
import type { AnyCallRequest, GenerateResult, StreamPart } from '../core/types.js';
import type { ConcurrencyLimiter } from '../resilience/concurrency-limiter.js';
import { startCall, type CallServices, type ResolvedCall } from './call-state.js';
import { normalizeRequest, type RequestLimits } from './normalize-request.js';
import { runGenerate, type RunServices } from './run-generate.js';
import { runStream } from './run-stream.js';

/** Everything a call runs with (the composition root assembles it). */
export interface PipelineServices extends CallServices, RunServices {
  concurrency: ConcurrencyLimiter;
  /** Caller-controlled sizes (config `limits`). */
  requestLimits: RequestLimits;
}

/** The call path of one switchboard. */
export class CallPipeline {
  constructor(private readonly services: PipelineServices) {}

  /** A complete answer (`sb.generate`, `sb.chat`). */
  async complete(request: AnyCallRequest, kind: 'generate' | 'chat', resolved?: ResolvedCall): Promise<GenerateResult> {
    const call = normalizeRequest(request, kind, this.services.requestLimits);
    const release = await this.services.concurrency.acquire(call.signal);
    try {
      const state = await startCall(call, false, this.services, resolved);
      try {
        return await runGenerate(state, this.services);
      } catch (error) {
        throw state.fail(error);
      }
    } finally {
      release();
    }
  }

  /** A stream (`sb.stream`): shape errors are thrown at once, everything else from the iterator. */
  stream(request: AnyCallRequest, resolved?: ResolvedCall): AsyncIterable<StreamPart> {
    return runStream(normalizeRequest(request, 'either', this.services.requestLimits), this.services, resolved);
  }
}

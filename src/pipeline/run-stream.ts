/**
 * The streaming path: a concurrency slot, the call's start, the response cache, then the candidate
 * loop, falling back only before the first delta; deltas pass through the adapters' stream pipeline;
 * after the first delta a failure is a StreamInterruptedError carrying the text the caller already
 * has. Never ends short silently. Set-up and clean-up run inside this one generator: every extra
 * async-generator layer costs per chunk.
 */
import { randomUUID } from 'node:crypto';
import { AbortError, AdapterError, InvalidOutputError, ProviderError, StreamInterruptedError, type LLMError } from '../core/errors.js';
import { parsedOutput } from './request-needs.js';
import { EMPTY_USAGE } from '../core/usage.js';
import { reasoningStreamParts, type ManagedResult, type StreamPart } from '../core/types.js';
import type { CandidateTicket } from './candidate-guard.js';
import { CandidateCursor } from './candidates.js';
import { cacheableAnswer, startCall, toLLMError, type CallState, type ResolvedCall } from './call-state.js';
import type { PipelineServices } from './call-pipeline.js';
import type { NormalizedCall } from './normalize-request.js';
import { rememberTurn } from './session-memory.js';

/** Stream one call: text deltas (adapted), then exactly one finish part. */
export async function* runStream(call: NormalizedCall, services: PipelineServices, resolved?: ResolvedCall): AsyncGenerator<StreamPart> {
  const release = await services.concurrency.acquire(call.signal);
  let state: CallState | undefined;
  try {
    state = await startCall(call, true, services, resolved);
    const { plan } = state;
    if (state.cacheKey && services.responseCache) {
      const hit = await services.responseCache.lookup(state.cacheKey);
      state.recorder.cacheLookup(hit !== undefined);
      if (hit) {
        // A hit streams the parts a live answer would: reasoning (signatures and redacted blocks where
        // the provider streamed them), text, each tool call, then the finish.
        for (const part of reasoningStreamParts(hit.reasoning)) yield part;
        const text = await plan.chain.transformOutput(hit.text, plan.adapterContext);
        if (text) yield { type: 'text-delta', text };
        for (const toolCall of hit.toolCalls ?? []) yield { type: 'tool-call', toolCall };
        const cached = state.finishFromCache(hit, text);
        await rememberTurn(plan.memory, cached, services.sessions, services.logger);
        yield { type: 'finish', result: cached };
        return;
      }
    }
    // The candidate loop is inline (not a nested generator): each generator layer costs per chunk.
    const pipeline = plan.chain.createStreamPipeline(plan.adapterContext);
    const cursor = new CandidateCursor(state, services);
    let emitted = '';
    let delivered = false;
    for (;;) {
      const ticket: CandidateTicket = await cursor.next();
      const candidate = ticket.resolved.id;
      try {
        const upstream = ticket.resolved.manager.streamResponse({ ...ticket.request, modelId: ticket.resolved.model }, state.candidateContext(ticket.info));
        let managed: ManagedResult | undefined;
        let stoppedEarly = false;
        for await (const part of upstream) {
          if (part.type === 'finish') {
            managed = part.result;
            break;
          }
          delivered = true;
          if (part.type !== 'text-delta') {
            // Reasoning and tool-call deltas pass unchanged: adapters see text only.
            yield part;
            continue;
          }
          const out = pipeline.push(part.text);
          if (out) {
            emitted += out;
            yield { type: 'text-delta', text: out };
          }
          if (pipeline.stopped) {
            // An adapter (max-length) has all it needs: stop reading, which aborts the upstream request.
            stoppedEarly = true;
            break;
          }
        }
        // The upstream part is over: settle the candidate now, before the adapters' tail goes out (the
        // consumer may leave at that yield, and the answer has cost what it cost).
        if (stoppedEarly) ticket.succeeded(stoppedResult(candidate, managed));
        else if (managed) ticket.succeeded(managed);
        else throw new ProviderError(`${candidate} stream ended without its finish part`, { provider: ticket.resolved.provider, model: ticket.resolved.model, retryable: true });
        const tail = await pipeline.flush();
        if (tail) {
          emitted += tail;
          yield { type: 'text-delta', text: tail };
        }
        if (!managed) {
          // Stopped early by an adapter: there is no provider result to report.
          const stopped = state.finish({ id: randomUUID(), text: emitted, model: candidate, finishReason: 'length', usage: { ...EMPTY_USAGE }, costUsd: null, cached: false, toolCalls: [] });
          await rememberTurn(plan.memory, stopped, services.sessions, services.logger);
          yield { type: 'finish', result: stopped };
          return;
        }
        // A JSON answer that does not parse or validate fails here (InvalidOutputError), before it is cached.
        const object = parsedOutput(plan.request.responseFormat, managed);
        if (state.cacheKey && services.responseCache) {
          const answer = cacheableAnswer(managed);
          if (answer) await services.responseCache.save(state.cacheKey, answer);
        }
        for (const toolCall of managed.toolCalls ?? []) yield { type: 'tool-call', toolCall };
        const result = state.finishFromProvider(managed, emitted, object);
        // Stored before the finish part goes out: a consumer may stop reading at it.
        await rememberTurn(plan.memory, result, services.sessions, services.logger);
        yield { type: 'finish', result };
        return;
      } catch (error) {
        const mapped = toLLMError(error);
        ticket.failed(mapped, { billed: delivered });
        if (delivered) {
          // The caller has seen text: no fallback, and the error carries what they saw.
          if (AbortError.isInstance(mapped) || AdapterError.isInstance(mapped) || InvalidOutputError.isInstance(mapped)) throw mapped;
          throw interruption(candidate, mapped, emitted);
        }
        cursor.failed(mapped);
      } finally {
        // A consumer that leaves the loop early ends the generator here, past the catch: the candidate's
        // breaker probe slot, budget reservation and rate-limit permit must still be settled (no-op once settled).
        ticket.abandoned({ billed: delivered });
      }
    }
  } catch (error) {
    throw state ? state.fail(error) : error;
  } finally {
    // A consumer that leaves the loop early ends the call here (a no-op once it ended).
    state?.abandon();
    release();
  }
}

/**
 * The one StreamInterruptedError of a stream that failed after its first delta, carrying `partialText`
 * as the caller received it (after adapters). A manager reports its own interruptions already (an idle
 * timeout, a stream cut short), with the upstream text: that error is re-issued with the caller's text
 * and the same cause (the TimeoutError, the provider failure), never wrapped inside another interruption.
 */
function interruption(candidate: string, error: LLMError, partialText: string): StreamInterruptedError {
  if (StreamInterruptedError.isInstance(error)) {
    if (error.partialText === partialText) return error;
    return new StreamInterruptedError(error.message, { provider: error.provider, model: error.model, partialText, cause: error.cause });
  }
  return new StreamInterruptedError(`The stream from ${candidate} failed after its first delta: ${error.message}`, {
    provider: error.provider,
    model: error.model,
    partialText,
    cause: error,
  });
}

/** A stream cut by an adapter has no provider usage: report the model and leave usage unknown. */
function stoppedResult(candidate: string, managed: ManagedResult | undefined): ManagedResult {
  return managed ?? { text: '', finishReason: 'length', model: candidate, toolCalls: [], usage: { ...EMPTY_USAGE }, usageReported: false, costUsd: null, attempts: 0, latencyMs: 0 };
}

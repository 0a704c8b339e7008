/**
 * The one candidate loop (RELIABILITY.md "Fallbacks"), shared by the generate and stream paths:
 * candidates in order (the target model, or a bot's primary then its fallbacks), each entered through
 * its guards (candidate-guard.ts); a failure moves to the next candidate when it may (and reports the
 * fallback), otherwise it ends the call. The paths differ only in how they call the manager.
 */
import { CircuitOpenError, InvalidRequestError, isCapability, RateLimitError, UnsupportedCapabilityError, type LLMError, type RequiredCapability, type UnsupportedFeature } from '../core/errors.js';
import { requiredCapabilities } from '../core/request-capabilities.js';
import { enterCandidate, shouldFallBack, type CandidateTicket, type GuardServices } from './candidate-guard.js';
import { toLLMError, type CallState } from './call-state.js';

/** Walks one call's candidates. */
export class CandidateCursor {
  private index = -1;
  private lastError: LLMError | undefined;
  /** The rate limit that clears soonest, for when no candidate can answer because of rate limits. */
  private soonestRateLimit: RateLimitError | undefined;
  private allRateLimited = true;
  /** A capability every candidate so far lacked (undefined once one failed for another reason). */
  private missing: UnsupportedFeature | undefined;
  private onlyMissing = true;
  /** What the request needs of a model (tools, vision, json). */
  private readonly needs: readonly RequiredCapability[];

  constructor(
    private readonly state: CallState,
    private readonly services: GuardServices,
  ) {
    this.needs = requiredCapabilities(state.plan.request);
  }

  /**
   * The next candidate cleared to be called. A candidate refused by its guards (open circuit, cooling,
   * budget ...) is a failure like any other: the loop moves on or ends. Throws the error that ends the
   * call when none is left.
   */
  async next(): Promise<CandidateTicket> {
    const { candidates } = this.state.plan;
    for (;;) {
      this.index++;
      // A candidate refused by its guards tried no deployment: its fallback event names none.
      this.state.lastDeployment = undefined;
      const candidate = candidates[this.index];
      if (candidate === undefined) throw this.finalError();
      try {
        const ticket = await enterCandidate(this.state.plan, candidate, this.services, this.needs);
        if (this.state.plan.memory) this.state.recorder.history?.(candidate, ticket.history.sent, ticket.history.trimmed);
        return ticket;
      } catch (error) {
        this.failed(toLLMError(error));
      }
    }
  }

  /**
   * The current candidate failed with `error` (already settled on its ticket): throws when the call
   * ends here (no candidate left, or an error that must not fall back), else reports the fallback.
   */
  failed(error: LLMError): void {
    if (UnsupportedCapabilityError.isInstance(error)) this.missing ??= error.capability;
    else this.onlyMissing = false;
    // A skipped candidate says nothing the caller needs to hear when another one really failed.
    if (!UnsupportedCapabilityError.isInstance(error) || this.onlyMissing) this.lastError = error;
    if (RateLimitError.isInstance(error) && error.kind !== 'quota') {
      const soonest = this.soonestRateLimit?.retryAfterMs;
      if (soonest === undefined || (error.retryAfterMs !== undefined && error.retryAfterMs < soonest)) this.soonestRateLimit = error;
    } else {
      this.allRateLimited = false;
    }
    const { candidates } = this.state.plan;
    const next = candidates[this.index + 1];
    if (next === undefined || !shouldFallBack(error)) throw this.finalError();
    this.state.recorder.fallback(candidates[this.index]!, next, error, this.state.lastDeployment);
  }

  /**
   * The error the call ends with: the last one, except that when every candidate was rate limited the
   * caller hears the wait that ends soonest (the gateway's `retry-after`).
   */
  private finalError(): LLMError {
    if (!this.lastError) return new CircuitOpenError('No candidate model could be tried');
    if (this.onlyMissing && this.missing) {
      // Every candidate lacked it: nothing was sent, and the request is what has to change.
      const what = isCapability(this.missing) ? `has the ${this.missing} capability this request needs (catalog capabilities and what each provider carries)` : `can take ${this.missing}`;
      // The cause says which field or capability, for callers that map it (the gateway's `param`).
      return new InvalidRequestError(`No model of this call ${what}; pick a model that does, or send the request without it`, { cause: this.lastError });
    }
    const wholeCallRateLimited = this.allRateLimited && this.soonestRateLimit !== undefined && this.index >= this.state.plan.candidates.length - 1;
    return wholeCallRateLimited ? this.soonestRateLimit! : this.lastError;
  }
}

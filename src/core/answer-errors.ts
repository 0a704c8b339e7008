/**
 * The two ways a 200 from upstream is still a failed attempt (RELIABILITY.md "Caller-controlled
 * sizes are bounded" and "An answer is an answer only when it is one"): the answer is larger than
 * the configured bound, or it is not the dialect's answer at all. Neither message ever quotes the
 * body: it may be megabytes of HTML, or hold whatever the request carried.
 */
import { ProviderError } from './errors.js';

/** Where the answer came from: `provider`, and the model when the caller knows it. */
export interface AnswerOrigin {
  provider: string;
  model?: string;
}

/** The config key of each bound on what an upstream may send. */
export type ResponseLimitKey = 'limits.maxResponseBytes' | 'limits.maxStreamBytes' | 'limits.maxEventBytes';

/** What each bound is a bound on, for the message. */
const EXCEEDED: Record<ResponseLimitKey, string> = {
  'limits.maxResponseBytes': 'answered more than',
  'limits.maxStreamBytes': 'streamed more than',
  'limits.maxEventBytes': 'sent a stream event or line of more than',
};

function describe(origin: AnswerOrigin): string {
  return origin.model ? `${origin.provider}:${origin.model}` : origin.provider;
}

/**
 * An upstream answer passed one of the `limits.max*Bytes` bounds and was cut off. Not retryable: the
 * same request would most likely get the same answer; a fallback may still answer.
 */
export class ResponseLimitError extends ProviderError {
  /** True for a ResponseLimitError of any copy of this package (a ProviderError naming a limit key). */
  static override isInstance(value: unknown): value is ResponseLimitError {
    return ProviderError.isInstance(value) && typeof (value as { limitKey?: unknown }).limitKey === 'string';
  }

  /** The config key of the bound that was passed. */
  readonly limitKey: ResponseLimitKey;
  /** The bound, in bytes. */
  readonly limitBytes: number;

  constructor(limitKey: ResponseLimitKey, limitBytes: number, origin: AnswerOrigin) {
    super(`${describe(origin)} ${EXCEEDED[limitKey]} ${limitBytes} bytes (${limitKey})`, { provider: origin.provider, model: origin.model, retryable: false });
    this.limitKey = limitKey;
    this.limitBytes = limitBytes;
  }

  /**
   * The same error naming `origin`'s model. A fetch shared by every model of a provider (the SDK
   * clients') knows only the provider; error mapping, which knows the model, completes it.
   */
  at(origin: AnswerOrigin): ResponseLimitError {
    if (this.model !== undefined || origin.model === undefined) return this;
    return new ResponseLimitError(this.limitKey, this.limitBytes, origin);
  }
}

/**
 * A 200 whose body is not the dialect's answer (HTML, no choices, content that is not text): a
 * retryable ProviderError, so the attempt is retried or the next fallback answers, and nothing is
 * cached. `what` names what was wrong in fixed words, never the body's text.
 */
export function malformedAnswer(origin: AnswerOrigin, what: string): ProviderError {
  return new ProviderError(`${describe(origin)} sent a malformed answer: ${what}`, { provider: origin.provider, model: origin.model, retryable: true });
}

/**
 * Helpers for the rate-limiter tests: watch a promise without awaiting it (fake timers decide when it
 * settles), and expect a RateLimitError from one.
 */
import { expect } from '@jest/globals';
import { RateLimitError } from '../../../src/core/errors.js';

/** Track a promise's outcome without awaiting it. */
export function watch<T>(promise: Promise<T>) {
  const state: { done: boolean; value?: T; error?: unknown } = { done: false };
  promise.then(
    (value) => Object.assign(state, { done: true, value }),
    (error: unknown) => Object.assign(state, { done: true, error }),
  );
  return state;
}

/** Await `promise` and expect it to reject with a RateLimitError, which is returned. */
export async function expectRateLimit(promise: Promise<unknown>): Promise<RateLimitError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a RateLimitError');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RateLimitError);
  return error as RateLimitError;
}

/**
 * runWithRetries on its own: one deadline per candidate, the caller's abort and the deadline both
 * reach the attempt under way, and the controllers it builds per call stay few.
 */
import { describe, expect, it } from '@jest/globals';
import { linkAbort } from '../../../src/core/abort.js';
import { mapProviderError } from '../../../src/core/error-mapping.js';
import { AbortError, ProviderError, TimeoutError } from '../../../src/core/errors.js';
import { runWithRetries, type AttemptHooks } from '../../../src/managers/attempt-loop.js';

function hooks(overrides: Partial<AttemptHooks> = {}): AttemptHooks & { links: number } {
  const counted = {
    policy: { maxRetries: 2, maxRetryAfterMs: 60_000, baseDelayMs: 1, maxDelayMs: 2 },
    timeoutMs: 5_000,
    firstChunkTimeoutMs: 0,
    idleChunkTimeoutMs: 0,
    callerSignal: new AbortController().signal,
    links: 0,
    link(parent?: AbortSignal) {
      counted.links++;
      return linkAbort(parent);
    },
    mapError: (error: unknown, signal?: AbortSignal) => mapProviderError(error, { provider: 'p', model: 'm' }, signal),
    onRetry() {},
    describe: 'p:m',
    ...overrides,
  };
  return counted;
}

const hang = (signal: AbortSignal) => new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));

describe('runWithRetries', () => {
  it('a call that succeeds at once links one controller (the deadline), not one more per attempt', async () => {
    const h = hooks();
    await expect(runWithRetries(h, async () => 'ok')).resolves.toEqual({ value: 'ok', attempts: 1 });
    expect(h.links).toBe(1);
  });

  it('retries run on a signal of their own, and the deadline aborts the attempt under way', async () => {
    const h = hooks({ timeoutMs: 80 });
    const signals: AbortSignal[] = [];
    const error = await runWithRetries(h, async (signal) => {
      signals.push(signal);
      if (signals.length < 3) throw Object.assign(new Error('busy'), { status: 503 });
      return hang(signal);
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(signals).toHaveLength(3);
    expect(new Set(signals).size).toBe(3);
    expect(signals[2]!.aborted).toBe(true);
  });

  it('the caller\'s abort ends the attempt under way with AbortError, not retried', async () => {
    const caller = new AbortController();
    const h = hooks({ callerSignal: caller.signal });
    let attempts = 0;
    setTimeout(() => caller.abort(), 20);
    const error = await runWithRetries(h, (signal) => {
      attempts++;
      return hang(signal);
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(attempts).toBe(1);
  });

  it('gives up after maxRetries with the last error', async () => {
    const h = hooks();
    let attempts = 0;
    const error = await runWithRetries(h, async () => {
      attempts++;
      throw Object.assign(new Error('down'), { status: 500 });
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(attempts).toBe(3);
  });
});

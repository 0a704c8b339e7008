/**
 * RELIABILITY.md row "stalled stream": a stream that goes quiet while the server keeps the
 * connection alive with SSE keep-alives (OpenAI `: ping` comments, Anthropic `ping` events) is
 * aborted at the idle-chunk timeout after a first delta, and at the first-chunk timeout before one; the
 * upstream request is cancelled. A slow but live trickle is not cut. The error says which timer fired;
 * the time is asserted from below only (never sooner than the timeout - 10 %) and logged against the
 * ± 10 % of the table: an upper bound on elapsed time would fail on a loaded machine, not on a bug.
 * Typed deadlines: after a first delta the caller gets one StreamInterruptedError whose `cause` is
 * the TimeoutError (never an interruption wrapped in another), with `partialText` as the caller
 * received it (after adapters); before one, the TimeoutError itself.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { StreamInterruptedError, TimeoutError } from '../../src/core/errors.js';
import type { Switchboard } from '../../src/switchboard.js';
import { chaosSwitchboard, drainStream, startChaosServers, waitFor, type ChaosServers } from './helpers.js';

const FIRST_CHUNK_TIMEOUT_MS = 500;
const IDLE_CHUNK_TIMEOUT_MS = 700;
const TOLERANCE = 0.1;
const KEEP_ALIVE_MS = 50;

const PROVIDERS = [
  ['openai', 'gpt-stall'],
  ['anthropic', 'claude-stall'],
] as const;

/** Every error in a cause chain. */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current !== undefined && chain.length < 8; current = (current as { cause?: unknown }).cause) chain.push(current);
  return chain;
}

describe('reliability: stalled streams', () => {
  let servers: ChaosServers;
  let sb: Switchboard;

  beforeAll(async () => {
    servers = await startChaosServers();
    sb = await chaosSwitchboard(servers, {
      // A bot whose adapter changes the stream, so partialText must be the adapted text.
      bots: { framed: { model: 'openai:gpt-stall', adapters: [{ name: 'prefix-suffix', options: { prefix: '[framed] ', suffix: ' [end]' } }] } },
      // No retries and model targets (no fallback): the timeout itself is what the caller sees.
      resilience: { maxRetries: 0, timeoutMs: 10_000, firstChunkTimeoutMs: FIRST_CHUNK_TIMEOUT_MS, idleChunkTimeoutMs: IDLE_CHUNK_TIMEOUT_MS },
    });
  });

  afterAll(async () => {
    await sb?.close();
    await servers?.close();
  });

  it.each(PROVIDERS)('stalled stream after a first delta on %s: aborted at the idle timeout ± 10 %', async (provider, model) => {
    servers[provider].script(model, { text: 'one two three four', dieAfterChunks: 2, dieMode: 'stall', keepAliveIntervalMs: KEEP_ALIVE_MS });
    const outcome = await drainStream(sb.stream({ model: `${provider}:${model}`, prompt: 'talk to me' }));
    expect(outcome.error).toBeInstanceOf(StreamInterruptedError);
    expect((outcome.error as StreamInterruptedError).partialText).toBe('one two ');
    expect(outcome.text).toBe('one two ');
    // Wrapped once: the interruption's own cause is the idle TimeoutError.
    const error = outcome.error as StreamInterruptedError;
    expect(error.cause).toBeInstanceOf(TimeoutError);
    expect((error.cause as TimeoutError).message).toMatch(new RegExp(`idle after ${IDLE_CHUNK_TIMEOUT_MS} ms`));
    expect(causes(error).filter((cause) => cause instanceof StreamInterruptedError)).toHaveLength(1);
    // The idle clock starts at the last delta the caller received.
    const silentMs = outcome.endedAt - outcome.deltaTimes.at(-1)!;
    console.log(`stalled stream after a first delta on ${provider}: aborted after ${Math.round(silentMs)} ms of keep-alives (idle timeout ${IDLE_CHUNK_TIMEOUT_MS} ms)`);
    expect(silentMs).toBeGreaterThanOrEqual(IDLE_CHUNK_TIMEOUT_MS * (1 - TOLERANCE));
    // The upstream request was cancelled, not left streaming keep-alives.
    expect(await waitFor(() => servers[provider].inFlight === 0, 500)).toBe(true);
  });

  it.each(PROVIDERS)('stalled stream before a first delta on %s: aborted at the first-chunk timeout ± 10 %', async (provider, model) => {
    servers[provider].script(model, { kind: 'keep-alive-only', intervalMs: KEEP_ALIVE_MS });
    const started = performance.now();
    const outcome = await drainStream(sb.stream({ model: `${provider}:${model}`, prompt: 'talk to me' }));
    const waitedMs = outcome.endedAt - started;
    console.log(`stalled stream before a first delta on ${provider}: aborted after ${Math.round(waitedMs)} ms (first-chunk timeout ${FIRST_CHUNK_TIMEOUT_MS} ms)`);
    expect(outcome.deltas).toEqual([]);
    expect(outcome.error).toBeInstanceOf(TimeoutError);
    expect(waitedMs).toBeGreaterThanOrEqual(FIRST_CHUNK_TIMEOUT_MS * (1 - TOLERANCE));
    expect((outcome.error as TimeoutError).message).toMatch(new RegExp(`no first chunk after ${FIRST_CHUNK_TIMEOUT_MS} ms`));
    expect(await waitFor(() => servers[provider].inFlight === 0, 500)).toBe(true);
  });

  it('stalled stream after a first delta through a bot with an adapter: one StreamInterruptedError, cause the TimeoutError, partialText as adapted', async () => {
    servers.openai.script('gpt-stall', { text: 'one two three four', dieAfterChunks: 2, dieMode: 'stall', keepAliveIntervalMs: KEEP_ALIVE_MS });
    const outcome = await drainStream(sb.stream({ bot: 'framed', messages: [{ role: 'user', content: 'talk to me' }] }));
    expect(outcome.text).toBe('[framed] one two ');
    expect(outcome.error).toBeInstanceOf(StreamInterruptedError);
    const error = outcome.error as StreamInterruptedError;
    expect(error.partialText).toBe(outcome.text);
    expect(error.cause).toBeInstanceOf(TimeoutError);
    expect(causes(error).filter((cause) => cause instanceof StreamInterruptedError)).toHaveLength(1);
    expect(error.toJSON()).toMatchObject({ code: 'stream_interrupted' });
    expect(await waitFor(() => servers.openai.inFlight === 0, 500)).toBe(true);
  });

  it.each(PROVIDERS)('a slow trickle on %s (deltas every 300 ms, 1.2 s in all) is not cut by the idle timeout', async (provider, model) => {
    servers[provider].script(model, { text: 'slow but steady words', chunkDelayMs: 300 });
    const outcome = await drainStream(sb.stream({ model: `${provider}:${model}`, prompt: 'take your time' }));
    expect(outcome.error).toBeUndefined();
    expect(outcome.text).toBe('slow but steady words');
    expect(outcome.result?.text).toBe('slow but steady words');
  });
});


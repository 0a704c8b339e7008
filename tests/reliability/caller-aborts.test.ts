/**
 * RELIABILITY.md row "10 % of callers abort": callers abort at random moments (waiting for headers,
 * mid-stream, in a Retry-After sleep, on a hanging request) -> every aborted call rejects with
 * AbortError, 0 unhandled rejections, 0 leaked sockets (no request left open upstream, and every
 * socket closed once the client's keep-alive pool lets idle ones go).
 *
 * Calls that are not aborted must answer however loaded the machine is: a hanging primary is ended
 * by the SDK's wait for response headers (`providers.*.timeoutMs`, a retryable TimeoutError), which
 * an answering server meets at once, not by a total timeout that a slow run could also reach; the
 * total and chunk timeouts are far above a whole run.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AbortError } from '../../src/core/errors.js';
import type { Switchboard } from '../../src/switchboard.js';
import type { FakeStep, RecordedRequest } from '../helpers/fake-provider.js';
import { chaosSwitchboard, countUnhandledRejections, drainStream, mapConcurrent, providersFor, seededRandom, settle, startChaosServers, waitFor, type ChaosServers } from './helpers.js';

const CALLS = 400;
const CONCURRENCY = 40;
const ABORT_RATE = 0.1;
/** Every answer takes at least this long, so an abort inside it finds the call still running. */
const MIN_ANSWER_MS = 150;
const LATEST_ABORT_MS = 140;
/** The SDK's wait for headers: ends a hang (the fake sends none), while an answer's headers come at once. */
const HEADERS_TIMEOUT_MS = 3_000;
/** Per candidate and per chunk: far above a whole run, so only a real hang could reach them. */
const CALL_TIMEOUT_MS = 60_000;
/** Jest's bound on the whole test: a few hangs cost a few header timeouts each, never this. */
const TEST_TIMEOUT_MS = 120_000;

describe('reliability: callers that abort', () => {
  let servers: ChaosServers;
  let sb: Switchboard;
  let unhandled: ReturnType<typeof countUnhandledRejections>;

  beforeAll(async () => {
    unhandled = countUnhandledRejections();
    servers = await startChaosServers();
    const random = seededRandom(7_100);
    const responder = (request: RecordedRequest, model: string): FakeStep<never> => {
      const stream = (request.body as { stream?: boolean } | undefined)?.stream === true;
      const roll = random();
      if (model.endsWith('-primary') && roll < 0.1) return { kind: 'status', status: 503, headers: { 'retry-after-ms': '100' } };
      if (model.endsWith('-primary') && roll < 0.13) return { kind: 'hang' };
      return stream ? { chunkDelayMs: Math.ceil(MIN_ANSWER_MS / 6) } : { delayMs: MIN_ANSWER_MS + Math.floor(random() * 50) };
    };
    servers.openai.respondWith(responder);
    servers.anthropic.respondWith(responder);
    const providers = providersFor(servers)!;
    sb = await chaosSwitchboard(servers, {
      providers: {
        openai: { ...providers.openai, timeoutMs: HEADERS_TIMEOUT_MS },
        anthropic: { ...providers.anthropic, timeoutMs: HEADERS_TIMEOUT_MS },
      },
      bots: {
        'openai-first': { model: 'openai:gpt-primary', fallbacks: ['anthropic:claude-backup'] },
        'anthropic-first': { model: 'anthropic:claude-primary', fallbacks: ['openai:gpt-backup'] },
      },
      // A hanging primary attempt ends at the headers timeout and is retried (or falls back), so callers that do not abort still finish.
      resilience: { maxRetries: 2, timeoutMs: CALL_TIMEOUT_MS, firstChunkTimeoutMs: CALL_TIMEOUT_MS, idleChunkTimeoutMs: CALL_TIMEOUT_MS },
    });
  });

  afterAll(async () => {
    unhandled?.stop();
    await sb?.close();
    await servers?.close();
  });

  it('10 % of callers abort at random times -> each rejects with AbortError; 0 leaked sockets, 0 unhandled rejections', async () => {
    const random = seededRandom(99);
    const problems: string[] = [];
    let aborted = 0;
    let succeeded = 0;
    let peakSockets = 0;
    await mapConcurrent(
      Array.from({ length: CALLS }, (_, i) => i),
      CONCURRENCY,
      async (i) => {
        const bot = i % 4 < 2 ? 'openai-first' : 'anthropic-first';
        // "call 7 of the abort run" -> "echo: call 7 of the abort run": 7 deltas of ~25 ms.
        const prompt = `call ${i} of the abort run`;
        const controller = new AbortController();
        const abortAt = random() < ABORT_RATE ? Math.floor(random() * LATEST_ABORT_MS) : undefined;
        let abortFired = false;
        const timer = abortAt === undefined ? undefined : setTimeout(() => {
          abortFired = true;
          controller.abort();
        }, abortAt);
        const stream = i % 2 === 1;
        let error: unknown;
        let text: string | undefined;
        if (stream) {
          const outcome = await drainStream(sb.stream({ bot, messages: [{ role: 'user', content: prompt }], signal: controller.signal }));
          error = outcome.error;
          text = outcome.result?.text;
        } else {
          const outcome = await settle(sb.chat({ bot, messages: [{ role: 'user', content: prompt }], signal: controller.signal }));
          if (outcome.ok) text = outcome.value.text;
          else error = outcome.error;
        }
        clearTimeout(timer);
        peakSockets = Math.max(peakSockets, servers.openai.openSockets + servers.anthropic.openSockets);
        if (abortAt !== undefined) {
          aborted++;
          if (!abortFired) problems.push(`call ${i} finished before its abort at ${abortAt} ms`);
          else if (!(error instanceof AbortError)) problems.push(`call ${i} aborted at ${abortAt} ms got ${error === undefined ? 'a result' : String(error)}`);
        } else if (error !== undefined) problems.push(`call ${i} failed without an abort: ${String(error)}`);
        else if (text !== `echo: ${prompt}`) problems.push(`call ${i} answered ${JSON.stringify(text)}`);
        else succeeded++;
      },
    );
    // Let late rejections (a losing race, a cancelled body) surface before counting.
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Liveness bounds, not timing figures: generous so a loaded machine only makes them slower.
    const openRequests = await waitFor(() => servers.inFlight() === 0, 10_000);
    const socketsAfterRun = servers.openai.openSockets + servers.anthropic.openSockets;
    // Idle keep-alive sockets are the client pool's, not leaks: they must all close once it lets them go.
    const allClosed = await waitFor(() => servers.openai.openSockets + servers.anthropic.openSockets === 0, 20_000, 100);
    console.log(
      `caller aborts: ${CALLS} calls, ${aborted} aborted, ${succeeded} answered; unhandled rejections ${unhandled.count}; ` +
        `sockets open: peak ${peakSockets}, after the run ${socketsAfterRun} idle, ${servers.openai.openSockets + servers.anthropic.openSockets} after the keep-alive expiry`,
    );
    expect(problems).toEqual([]);
    expect(aborted).toBeGreaterThanOrEqual(CALLS * ABORT_RATE * 0.6);
    expect(succeeded).toBe(CALLS - aborted);
    expect(unhandled.reasons).toEqual([]);
    expect(openRequests).toBe(true);
    expect(allClosed).toBe(true);
  }, TEST_TIMEOUT_MS);
});

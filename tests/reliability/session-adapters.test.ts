/**
 * RELIABILITY.md row "500 concurrent sessions, each its own adapter": 0 mix-ups. Every session
 * activates `prefix-suffix` with options naming itself; all sessions then call at once, through
 * sb.chat and sb.stream, with answers and stream deltas arriving interleaved at random delays.
 * Each caller must get exactly its own prompt's answer wrapped in exactly its own prefix and suffix.
 *
 * The figure is about isolation, not speed: 1,000 calls at once share one model, so on a loaded
 * 2-core machine each may spend seconds in flight. Timeouts are far above anything a live run takes
 * and the breaker cannot open within one run, so what fails here is a mix-up, never the clock.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Switchboard } from '../../src/switchboard.js';
import { chaosSwitchboard, drainStream, seededRandom, startChaosServers, type ChaosServers } from './helpers.js';

const SESSIONS = 500;
/** Per candidate: far above a whole run (about 8 s on an idle 2-core machine), so load cannot trip it. */
const CALL_TIMEOUT_MS = 120_000;
/** Jest's bound on the whole test, above the call timeout so a real hang reports as the call's TimeoutError. */
const TEST_TIMEOUT_MS = 180_000;

describe('reliability: per-session adapters', () => {
  let servers: ChaosServers;
  let sb: Switchboard;

  beforeAll(async () => {
    servers = await startChaosServers();
    const random = seededRandom(500);
    // Jittered answers and deltas, so calls overtake each other.
    servers.openai.respondWith(() => ({ delayMs: Math.floor(random() * 20), chunkDelayMs: Math.floor(random() * 4) }));
    sb = await chaosSwitchboard(servers, {
      bots: { concierge: { model: 'openai:gpt-concierge' } },
      resilience: {
        timeoutMs: CALL_TIMEOUT_MS,
        firstChunkTimeoutMs: CALL_TIMEOUT_MS,
        idleChunkTimeoutMs: CALL_TIMEOUT_MS,
        // More failures than the run has calls: the one model's circuit never opens on a slow run.
        circuitBreaker: { failureThreshold: 100 * SESSIONS },
      },
    });
  });

  afterAll(async () => {
    await sb?.close();
    await servers?.close();
  });

  it('500 concurrent sessions, each its own adapter -> 0 mix-ups, through sb.chat and sb.stream', async () => {
    const sessions = await Promise.all(Array.from({ length: SESSIONS }, (_, i) => sb.sessions.start({ bot: 'concierge', userId: `user-${i}` })));
    for (const session of sessions) sb.adapters.activateForSession(session.id, 'prefix-suffix', { prefix: `<${session.id}>`, suffix: `</${session.id}>` });

    const mixUps: string[] = [];
    let checked = 0;
    const calls = sessions.flatMap((session, i) => {
      const expected = (kind: string) => `<${session.id}>echo: ${kind} ${i} for ${session.userId}</${session.id}>`;
      const chat = sb.chat({ sessionId: session.id, messages: [{ role: 'user', content: `chat ${i} for ${session.userId}` }] }).then(
        (result) => {
          checked++;
          if (result.text !== expected('chat')) mixUps.push(`chat ${i}: ${result.text}`);
          if (!result.adapters.includes('prefix-suffix')) mixUps.push(`chat ${i}: adapters ${result.adapters.join(',')}`);
        },
        (error: unknown) => void mixUps.push(`chat ${i} failed: ${String(error)}`),
      );
      const stream = drainStream(sb.stream({ sessionId: session.id, messages: [{ role: 'user', content: `stream ${i} for ${session.userId}` }] })).then((outcome) => {
        checked++;
        if (outcome.error) mixUps.push(`stream ${i} failed: ${String(outcome.error)}`);
        else if (outcome.text !== expected('stream') || outcome.result?.text !== expected('stream')) mixUps.push(`stream ${i}: ${outcome.text}`);
        else if (!outcome.deltas[0]!.startsWith(`<${session.id}>`)) mixUps.push(`stream ${i}: first delta ${outcome.deltas[0]}`);
      });
      return [chat, stream];
    });
    await Promise.all(calls);
    console.log(`per-session adapters: ${SESSIONS} sessions, ${checked} calls (chat and stream) at once, ${mixUps.length} mix-ups`);
    expect(mixUps).toEqual([]);
    expect(checked).toBe(2 * SESSIONS);
    // Every call reached the provider; under 1,000 simultaneous sockets on a busy machine a few are
    // retried (a reset connection), which is the retry loop working, not a mix-up.
    expect(servers.openai.requestCount).toBeGreaterThanOrEqual(2 * SESSIONS);
    expect(servers.openai.requestCount).toBeLessThanOrEqual(3 * SESSIONS);
  }, TEST_TIMEOUT_MS);
});

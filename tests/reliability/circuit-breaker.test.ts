/**
 * RELIABILITY.md row "primary fully down": the circuit opens within 20 calls; then at most one
 * probe per cooldown reaches the primary, however many callers keep coming (counted as requests
 * arriving at the fake server over several cooldowns, with concurrent callers, chat and stream).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Switchboard } from '../../src/switchboard.js';
import type { FakeStep } from '../helpers/fake-provider.js';
import { ArrivalLog, chaosSwitchboard, drainStream, startChaosServers, type ChaosServers } from './helpers.js';

const COOLDOWN_MS = 300;
const FAILURE_THRESHOLD = 5;
const MAX_RETRIES = 2;
const WINDOW_MS = 5 * COOLDOWN_MS;
const WORKERS = 10;

describe('reliability: circuit breaker', () => {
  let servers: ChaosServers;
  let sb: Switchboard;
  let primary: ArrivalLog<FakeStep<never>>;
  let kind = 0;

  beforeAll(async () => {
    servers = await startChaosServers();
    // The primary is down for good: every request fails, in one of the ways a dead server fails.
    const deaths: FakeStep<never>[] = [{ kind: 'status', status: 500 }, { kind: 'status', status: 503 }, { kind: 'reset-before-headers' }];
    primary = new ArrivalLog(servers.openai, (_request, model) => (model === 'gpt-down' ? deaths[kind++ % deaths.length] : undefined));
    sb = await chaosSwitchboard(servers, {
      bots: { shaky: { model: 'openai:gpt-down', fallbacks: ['anthropic:claude-up'] } },
      resilience: { maxRetries: MAX_RETRIES, retryBaseDelayMs: 5, retryMaxDelayMs: 10, circuitBreaker: { failureThreshold: FAILURE_THRESHOLD, cooldownMs: COOLDOWN_MS } },
    });
  });

  afterAll(async () => {
    await sb?.close();
    await servers?.close();
  });

  async function ask(stream: boolean): Promise<{ model: string; attempts: number }> {
    const request = { bot: 'shaky', messages: [{ role: 'user' as const, content: 'are you there?' }] };
    if (!stream) return sb.chat(request);
    const outcome = await drainStream(sb.stream(request));
    if (outcome.error) throw outcome.error;
    return outcome.result!;
  }

  it('primary fully down: circuit opens within 20 calls; then <= 1 probe per cooldown', async () => {
    // Phase 1: one caller at a time until a call no longer reaches the primary.
    let callsToOpen = 0;
    for (let call = 1; call <= 20; call++) {
      const before = primary.timesOf('gpt-down').length;
      const result = await ask(call % 2 === 0);
      expect(result.model).toBe('anthropic:claude-up');
      if (primary.timesOf('gpt-down').length === before) {
        callsToOpen = call;
        // Rejected fast: the fallback's one attempt is the only one this call made.
        expect(result.attempts).toBe(1);
        break;
      }
    }
    console.log(`circuit breaker: the primary was skipped from call ${callsToOpen} on (threshold ${FAILURE_THRESHOLD})`);
    expect(callsToOpen).toBeGreaterThan(0);
    expect(callsToOpen).toBeLessThanOrEqual(20);
    expect(callsToOpen).toBe(FAILURE_THRESHOLD + 1);

    // Phase 2: concurrent callers for several cooldowns; only probes reach the primary.
    const windowStart = performance.now();
    const seenBefore = primary.timesOf('gpt-down').length;
    let calls = 0;
    const failures: unknown[] = [];
    await Promise.all(
      Array.from({ length: WORKERS }, async (_, worker) => {
        while (performance.now() - windowStart < WINDOW_MS) {
          calls++;
          await ask((calls + worker) % 2 === 0).catch((error: unknown) => void failures.push(error));
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }),
    );
    const windowMs = performance.now() - windowStart;
    const arrivals = primary.timesOf('gpt-down').slice(seenBefore);
    // A probe is one call: its attempts follow each other within the backoff (<= 10 ms plus a
    // round trip); the next probe may start only a full cooldown after the last one failed.
    const probes: number[][] = [];
    for (const at of arrivals) {
      const last = probes.at(-1);
      if (last && at - last.at(-1)! < COOLDOWN_MS / 2) last.push(at);
      else probes.push([at]);
    }
    const gaps = probes.slice(1).map((probe, i) => probe[0]! - probes[i]!.at(-1)!);
    console.log(
      `circuit breaker: ${calls} calls from ${WORKERS} callers over ${Math.round(windowMs)} ms (${(windowMs / COOLDOWN_MS).toFixed(1)} cooldowns): ` +
        `${probes.length} probes (${arrivals.length} primary requests), quiet gaps between probes ${gaps.map((g) => Math.round(g)).join(', ')} ms`,
    );
    expect(failures).toEqual([]);
    expect(probes.length).toBeLessThanOrEqual(Math.floor(windowMs / COOLDOWN_MS) + 1);
    // Still probing (the model is not shut out for good), each probe one call with its retries.
    expect(probes.length).toBeGreaterThanOrEqual(2);
    for (const probe of probes) expect(probe.length).toBe(MAX_RETRIES + 1);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(COOLDOWN_MS);
    expect(calls).toBeGreaterThan(10 * probes.length);
  });
});

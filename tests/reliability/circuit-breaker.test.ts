/**
 * RELIABILITY.md row "primary fully down": the circuit opens within 20 calls; then at most one
 * probe per cooldown reaches the primary, however many callers keep coming.
 *
 * Deterministic: the breakers run on an injected clock (createSwitchboard's `circuitClock`) that the
 * test steps a cooldown at a time, and probes are counted as events (requests arriving at the fake
 * server per step, calls that made more than one attempt), never grouped by wall-clock gaps, so a
 * loaded machine cannot merge two probes or split one. Concurrent callers, chat and stream.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Switchboard } from '../../src/switchboard.js';
import type { FakeStep } from '../helpers/fake-provider.js';
import { ArrivalLog, chaosSwitchboard, drainStream, settle, startChaosServers, type ChaosServers } from './helpers.js';

/** Long on purpose: only the injected clock moves it, so no test step waits for it. */
const COOLDOWN_MS = 30_000;
const FAILURE_THRESHOLD = 5;
const MAX_RETRIES = 2;
const COOLDOWNS = 5;
const WORKERS = 10;
const CALLS_PER_WORKER = 4;

describe('reliability: circuit breaker', () => {
  let servers: ChaosServers;
  let sb: Switchboard;
  let primary: ArrivalLog<FakeStep<never>>;
  let kind = 0;
  const clock = { t: 0, now: () => clock.t };

  beforeAll(async () => {
    servers = await startChaosServers();
    // The primary is down for good: every request fails, in one of the ways a dead server fails.
    const deaths: FakeStep<never>[] = [{ kind: 'status', status: 500 }, { kind: 'status', status: 503 }, { kind: 'reset-before-headers' }];
    primary = new ArrivalLog(servers.openai, (_request, model) => (model === 'gpt-down' ? deaths[kind++ % deaths.length] : undefined));
    sb = await chaosSwitchboard(
      servers,
      {
        bots: { shaky: { model: 'openai:gpt-down', fallbacks: ['anthropic:claude-up'] } },
        resilience: { maxRetries: MAX_RETRIES, retryBaseDelayMs: 5, retryMaxDelayMs: 10, circuitBreaker: { failureThreshold: FAILURE_THRESHOLD, cooldownMs: COOLDOWN_MS } },
      },
      { circuitClock: clock.now },
    );
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

  /** WORKERS concurrent callers, CALLS_PER_WORKER calls each; what reached the primary meanwhile. */
  async function burst(): Promise<{ primaryRequests: number; probeCalls: number; calls: number; failures: unknown[]; models: Set<string> }> {
    const before = primary.timesOf('gpt-down').length;
    const outcomes = await Promise.all(
      Array.from({ length: WORKERS }, async (_, worker) => {
        const mine = [];
        for (let call = 0; call < CALLS_PER_WORKER; call++) mine.push(await settle(ask((call + worker) % 2 === 0)));
        return mine;
      }),
    );
    const flat = outcomes.flat();
    const answered = flat.flatMap((outcome) => (outcome.ok ? [outcome.value] : []));
    return {
      primaryRequests: primary.timesOf('gpt-down').length - before,
      // The fallback answers in one attempt; a call that also tried the primary made more.
      probeCalls: answered.filter((result) => result.attempts > 1).length,
      calls: flat.length,
      failures: flat.flatMap((outcome) => (outcome.ok ? [] : [outcome.error])),
      models: new Set(answered.map((result) => result.model)),
    };
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

    // Phase 2: per cooldown, a burst just before it ends (no request may reach the primary) and one
    // once it has ended (exactly one probe: one call, with its retries).
    const report: string[] = [];
    let calls = 0;
    for (let cooldown = 1; cooldown <= COOLDOWNS; cooldown++) {
      // The circuit (re-)opened at the frozen time its last probe failed: this cooldown counts from there.
      const openedAt = clock.t;
      clock.t = openedAt + COOLDOWN_MS - 1;
      const early = await burst();
      clock.t = openedAt + COOLDOWN_MS;
      const due = await burst();
      calls += early.calls + due.calls;
      report.push(`cooldown ${cooldown}: ${early.primaryRequests} primary requests 1 ms before its end, ${due.probeCalls} probe (${due.primaryRequests} requests) after it`);
      for (const step of [early, due]) {
        expect(step.failures).toEqual([]);
        expect([...step.models]).toEqual(['anthropic:claude-up']);
      }
      expect(early.primaryRequests).toBe(0);
      expect(early.probeCalls).toBe(0);
      expect(due.probeCalls).toBe(1);
      expect(due.primaryRequests).toBe(MAX_RETRIES + 1);
    }
    console.log(`circuit breaker: ${calls} calls from ${WORKERS} concurrent callers over ${COOLDOWNS} cooldowns of ${COOLDOWN_MS} ms (injected clock): ${report.join('; ')}`);
  });
});

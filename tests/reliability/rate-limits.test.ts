/**
 * RELIABILITY.md "Rate limits are not outages", through the whole stack (createSwitchboard, the real
 * SDKs, the chaos fake servers; then the gateway driven with the real `openai` SDK):
 * - a model answering 429 (Retry-After 2 s) past its retries is cooled for 2 s, not circuit-opened:
 *   the healthy fallback answers, callers meanwhile skip the model without a request, the breaker
 *   never opens however often it happens, and once no fallback can answer, callers get an upstream
 *   RateLimitError whose `retryAfterMs` is the time left;
 * - the gateway answers such a caller 429 `rate_limit_exceeded` with `retry-after`, never a 503
 *   without one; a circuit-open 503 carries `retry-after`; a client-side limit past its wait is 429
 *   `rate_limit_exceeded` with `retry-after`, not exhausted quota.
 * The breakers (and their cooldowns) run on an injected clock the test steps: nothing waits 2 s, and
 * nothing depends on how fast the machine is.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { CircuitOpenError, RateLimitError } from '../../src/core/errors.js';
import type { CircuitBreakerRegistry } from '../../src/resilience/circuit-breaker.js';
import { startGateway, type Gateway } from '../../src/server/index.js';
import type { Switchboard } from '../../src/switchboard.js';
import type { FakeStep } from '../helpers/fake-provider.js';
import { chaosSwitchboard, drainStream, settle, startChaosServers, type ChaosServers } from './helpers.js';

const MAX_RETRIES = 2;
/** Low, so that 429s counted as failures would open the circuit within a couple of calls. */
const FAILURE_THRESHOLD = 2;
const BREAKER_COOLDOWN_MS = 30_000;
const RETRY_AFTER_S = 2;
const ROUNDS = 3 * FAILURE_THRESHOLD;
const BURST = 10;

/** A provider 429 (not quota: the fake's message says "Rate limit reached"). */
const tooMany = (headers: Record<string, string>): FakeStep<never> => ({ kind: 'status', status: 429, headers, message: 'Rate limit reached for requests' });
/** Two quick 429s the retries wait out, then one asking for `seconds` that outlives them. */
const throttledPastRetries = (seconds: number): FakeStep<never>[] => [
  tooMany({ 'retry-after-ms': '10' }),
  tooMany({ 'retry-after-ms': '10' }),
  tooMany({ 'retry-after': String(seconds) }),
];

describe('reliability: rate limits are not outages', () => {
  let servers: ChaosServers;
  let sb: Switchboard;
  let gw: Gateway;
  let client: OpenAI;
  const clock = { t: 0, now: () => clock.t };

  beforeAll(async () => {
    servers = await startChaosServers();
    sb = await chaosSwitchboard(
      servers,
      {
        bots: {
          throttled: { model: 'openai:gpt-throttled', fallbacks: ['anthropic:claude-steady'] },
          'both-limited': { model: 'openai:gpt-throttled', fallbacks: ['anthropic:claude-limited'] },
        },
        resilience: {
          maxRetries: MAX_RETRIES,
          retryBaseDelayMs: 5,
          retryMaxDelayMs: 20,
          maxRetryAfterMs: 60_000,
          rateLimitCooldownMs: 1_000,
          circuitBreaker: { failureThreshold: FAILURE_THRESHOLD, cooldownMs: BREAKER_COOLDOWN_MS },
        },
      },
      { circuitClock: clock.now },
    );
    gw = await startGateway({ switchboard: sb, host: '127.0.0.1', port: 0 });
    client = new OpenAI({ apiKey: 'no-gateway-key-needed-on-loopback', baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await gw?.close();
    await sb?.close();
    await servers?.close();
  });

  /** White box, read only: the switchboard's breakers (as budgets.test.ts reads its ledger). */
  const breakers = () => (sb as unknown as { services: { breakers: CircuitBreakerRegistry } }).services.breakers;
  const requestsTo = (server: 'openai' | 'anthropic', model: string) => servers[server].requests.filter((request) => (request.body as { model?: string } | undefined)?.model === model).length;

  async function ask(target: { bot: string } | { model: string }, stream: boolean): Promise<{ model: string; attempts: number }> {
    const request = { ...target, messages: [{ role: 'user' as const, content: 'are you free?' }] };
    if (!stream) return sb.chat(request);
    const outcome = await drainStream(sb.stream(request));
    if (outcome.error) throw outcome.error;
    return outcome.result!;
  }

  it('a model answering 429 (Retry-After 2 s) past its retries is cooled for 2 s, not circuit-opened; the fallback answers', async () => {
    const states = new Set<string>();
    let skipped = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      servers.openai.script('gpt-throttled', ...throttledPastRetries(RETRY_AFTER_S));
      const before = requestsTo('openai', 'gpt-throttled');
      const first = await ask({ bot: 'throttled' }, round % 2 === 0);
      expect(first.model).toBe('anthropic:claude-steady');
      expect(requestsTo('openai', 'gpt-throttled') - before).toBe(MAX_RETRIES + 1);
      states.add(breakers().state('openai:gpt-throttled'));
      // Cooling: concurrent callers skip the model without a request and the fallback answers at once.
      const burst = await Promise.all(Array.from({ length: BURST }, (_, i) => ask({ bot: 'throttled' }, i % 2 === 0)));
      clock.t += RETRY_AFTER_S * 1_000 - 1;
      const late = await ask({ bot: 'throttled' }, false);
      for (const result of [...burst, late]) {
        expect(result).toMatchObject({ model: 'anthropic:claude-steady', attempts: 1 });
        skipped++;
      }
      expect(requestsTo('openai', 'gpt-throttled') - before).toBe(MAX_RETRIES + 1);
      states.add(breakers().state('openai:gpt-throttled'));
      // The cooldown is the Retry-After: 1 ms later the model is called again.
      clock.t += 1;
    }
    const back = await ask({ bot: 'throttled' }, true);
    console.log(
      `rate limits: ${ROUNDS} rounds of 429 (Retry-After ${RETRY_AFTER_S} s) past ${MAX_RETRIES} retries with failureThreshold ${FAILURE_THRESHOLD}: ` +
        `breaker states seen ${[...states].join(', ')}; ${skipped} calls skipped the cooling model (0 requests), the fallback answered; then ${back.model} answered again`,
    );
    expect([...states]).toEqual(['closed']);
    expect(back.model).toBe('openai:gpt-throttled');
    expect(breakers().snapshot()).toEqual([]);
  });

  it('once no fallback can answer, callers get RateLimitError (upstream) with retryAfterMs, never CircuitOpenError', async () => {
    servers.openai.script('gpt-throttled', ...throttledPastRetries(RETRY_AFTER_S));
    expect((await ask({ bot: 'throttled' }, false)).model).toBe('anthropic:claude-steady');
    const primaryBefore = requestsTo('openai', 'gpt-throttled');
    clock.t += 500;
    // The model alone: no fallback at all.
    for (const stream of [false, true]) {
      const alone = await settle(ask({ model: 'openai:gpt-throttled' }, stream));
      expect(alone.ok).toBe(false);
      const error = (alone as { error: unknown }).error;
      expect(error).toBeInstanceOf(RateLimitError);
      expect(error).toMatchObject({ kind: 'upstream', retryAfterMs: RETRY_AFTER_S * 1_000 - 500, retryable: true });
    }
    // A bot whose fallback is rate limited too: the fallback's 429 past its retries, then both cooling.
    servers.anthropic.script('claude-limited', ...throttledPastRetries(5));
    const fallbackBefore = requestsTo('anthropic', 'claude-limited');
    const both = await settle(ask({ bot: 'both-limited' }, false));
    // Every candidate rate limited: the caller hears the wait that ends soonest (the primary's 1.5 s left, not the fallback's 5 s).
    const soonest = RETRY_AFTER_S * 1_000 - 500;
    expect((both as { error: unknown }).error).toMatchObject({ code: 'rate_limit', kind: 'upstream', retryAfterMs: soonest });
    const cooling = await settle(ask({ bot: 'both-limited' }, true));
    const error = (cooling as { error: unknown }).error;
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).not.toBeInstanceOf(CircuitOpenError);
    expect(error).toMatchObject({ kind: 'upstream', retryAfterMs: soonest });
    expect(requestsTo('openai', 'gpt-throttled')).toBe(primaryBefore);
    expect(requestsTo('anthropic', 'claude-limited') - fallbackBefore).toBe(MAX_RETRIES + 1);
    console.log(`rate limits: with no fallback left, callers got RateLimitError (upstream) with retryAfterMs ${(error as RateLimitError).retryAfterMs} and no request was sent`);
    clock.t += 5_000;
  });

  it('through the gateway: a rate-limited model is 429 rate_limit_exceeded with retry-after, never 503 without one', async () => {
    servers.openai.script('gpt-gw-throttled', ...throttledPastRetries(RETRY_AFTER_S));
    const create = (stream: boolean) =>
      client.chat.completions.create({ model: 'openai:gpt-gw-throttled', messages: [{ role: 'user', content: 'hi' }], stream }).then(
        () => undefined,
        (e: unknown) => e,
      );
    const seen: Array<{ status: number; retryAfter: string | null; retryAfterMs: string | null }> = [];
    const check = (error: unknown, retryAfter: string, retryAfterMs: string) => {
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      const apiError = error as InstanceType<typeof OpenAI.RateLimitError>;
      seen.push({ status: apiError.status, retryAfter: apiError.headers.get('retry-after'), retryAfterMs: apiError.headers.get('retry-after-ms') });
      expect(apiError).toMatchObject({ status: 429, code: 'rate_limit_exceeded', type: 'rate_limit_error' });
      expect(apiError.headers.get('retry-after')).toBe(retryAfter);
      expect(apiError.headers.get('retry-after-ms')).toBe(retryAfterMs);
      expect(apiError.headers.get('x-should-retry')).not.toBe('false');
    };
    // Past its retries: the provider's own Retry-After.
    check(await create(false), '2', '2000');
    const before = requestsTo('openai', 'gpt-gw-throttled');
    // Cooling: the time left, chat and stream (a stream fails before its first delta: an HTTP error).
    check(await create(false), '2', '2000');
    clock.t += 1_200;
    check(await create(true), '1', '800');
    expect(requestsTo('openai', 'gpt-gw-throttled')).toBe(before);
    clock.t += 800;
    const answered = await client.chat.completions.create({ model: 'openai:gpt-gw-throttled', messages: [{ role: 'user', content: 'hi' }] });
    expect(answered.choices[0]!.message.content).toBe('echo: hi');
    console.log(`rate limits via the gateway: ${seen.map((s) => `${s.status} retry-after ${s.retryAfter} (ms ${s.retryAfterMs})`).join('; ')}; then answered`);
    expect(seen.filter((s) => s.status === 503 && s.retryAfter === null)).toEqual([]);
  });

  it('through the gateway: a circuit-open 503 carries retry-after (the time until the probe)', async () => {
    servers.openai.respondWith((_request, model) => (model === 'gpt-gw-dead' ? { kind: 'status', status: 500 } : undefined));
    try {
      const create = () => client.chat.completions.create({ model: 'openai:gpt-gw-dead', messages: [{ role: 'user', content: 'hi' }] }).then(() => undefined, (e: unknown) => e);
      for (let call = 0; call < FAILURE_THRESHOLD; call++) expect(await create()).toMatchObject({ status: 502, code: 'upstream_error' });
      const open = (await create()) as InstanceType<typeof OpenAI.InternalServerError>;
      expect(open).toBeInstanceOf(OpenAI.InternalServerError);
      expect(open).toMatchObject({ status: 503, code: 'circuit_open' });
      expect(open.headers.get('retry-after')).toBe(String(BREAKER_COOLDOWN_MS / 1_000));
      expect(open.headers.get('retry-after-ms')).toBe(String(BREAKER_COOLDOWN_MS));
      clock.t += 10_000;
      const later = (await create()) as InstanceType<typeof OpenAI.InternalServerError>;
      expect(later.headers.get('retry-after')).toBe(String((BREAKER_COOLDOWN_MS - 10_000) / 1_000));
      console.log(`circuit open via the gateway: 503 retry-after ${open.headers.get('retry-after')} s, 10 s later ${later.headers.get('retry-after')} s`);
    } finally {
      servers.openai.respondWith(undefined);
    }
  });
});

describe('reliability: a client-side rate limit through the gateway', () => {
  let servers: ChaosServers;
  let sb: Switchboard;
  let gw: Gateway;

  beforeAll(async () => {
    servers = await startChaosServers();
    // One request a minute and no waiting: the second call cannot be met within its wait.
    sb = await chaosSwitchboard(servers, { resilience: { rateLimits: { openai: { requestsPerMinute: 1, maxWaitMs: 0 } } } });
    gw = await startGateway({ switchboard: sb, host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await gw?.close();
    await sb?.close();
    await servers?.close();
  });

  it('a client-side limit past its wait is 429 rate_limit_exceeded with retry-after (not insufficient_quota)', async () => {
    const client = new OpenAI({ apiKey: 'no-gateway-key-needed-on-loopback', baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const request = { model: 'openai:gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };
    expect((await client.chat.completions.create(request)).choices[0]!.message.content).toBe('echo: hi');
    const requests = servers.openai.requestCount;
    const limited = await client.chat.completions.create(request).then(() => undefined, (e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    const apiError = limited as InstanceType<typeof OpenAI.RateLimitError>;
    expect(apiError).toMatchObject({ status: 429, code: 'rate_limit_exceeded', type: 'rate_limit_error' });
    expect(apiError.headers.get('x-should-retry')).not.toBe('false');
    // The estimated wait until the bucket holds a request again: under a minute, announced in whole seconds.
    const retryAfterMs = Number(apiError.headers.get('retry-after-ms'));
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(apiError.headers.get('retry-after')).toBe(String(Math.max(1, Math.ceil(retryAfterMs / 1_000))));
    expect(servers.openai.requestCount).toBe(requests);
    console.log(`client-side limit via the gateway: 429 rate_limit_exceeded, retry-after ${apiError.headers.get('retry-after')} s (${retryAfterMs} ms), no upstream request`);
  });
});

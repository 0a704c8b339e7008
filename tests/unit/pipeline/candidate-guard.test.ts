/**
 * The candidate guard's rate-limit rules (RELIABILITY.md "Rate limits are not outages"): a provider
 * 429 after the retries cools the candidate (its Retry-After, else `rateLimitCooldownMs`) and is
 * neutral for its breaker; a cooling candidate is refused with an upstream RateLimitError carrying the
 * time left; an open circuit with a CircuitOpenError carrying the time until its probe. Our own limits
 * are neutral and do not cool; quota exhaustion still counts against the model. Clock injected.
 */
import { describe, expect, it } from '@jest/globals';
import { AdapterChain } from '../../../src/adapters/adapter-chain.js';
import { CircuitOpenError, ProviderError, RateLimitError, type LLMError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import { enterCandidate, shouldFallBack, type GuardServices } from '../../../src/pipeline/candidate-guard.js';
import type { CallPlan } from '../../../src/pipeline/call-plan.js';
import { ModelCatalog } from '../../../src/registry/model-catalog.js';
import { ModelRegistry } from '../../../src/registry/model-registry.js';
import { BudgetManager, MemoryBudgetStore } from '../../../src/resilience/budget.js';
import { CircuitBreakerRegistry } from '../../../src/resilience/circuit-breaker.js';
import { RateLimiter } from '../../../src/resilience/rate-limiter.js';
import { FakeProvider } from '../../../src/testing/index.js';
import { makeManagerDeps } from '../../helpers/manager-deps.js';

const MODEL = 'fake:busy';
const THRESHOLD = 2;
const BREAKER_COOLDOWN_MS = 30_000;
const RATE_LIMIT_COOLDOWN_MS = 1_000;

function setup() {
  const clock = { t: 0, now: () => clock.t };
  const registry = new ModelRegistry(new ModelCatalog({}));
  registry.setDefaultDeps(makeManagerDeps());
  registry.register(new FakeProvider());
  const breakers = new CircuitBreakerRegistry({ failureThreshold: THRESHOLD, cooldownMs: BREAKER_COOLDOWN_MS, now: clock.now });
  const services: GuardServices = {
    registry,
    breakers,
    rateLimiter: new RateLimiter({ limits: {} }),
    budgets: new BudgetManager({ store: new MemoryBudgetStore() }),
    limits: { maxMessages: 50, maxInputChars: 10_000 },
    rateLimitCooldownMs: RATE_LIMIT_COOLDOWN_MS,
    logger: silentLogger,
  };
  const plan: CallPlan = {
    operation: 'chat',
    candidates: [MODEL],
    request: { messages: [{ role: 'user', content: 'hi' }], params: {}, operation: 'chat' },
    chain: new AdapterChain([]),
    adapterContext: { metadata: {}, model: MODEL },
    useCache: false,
  };
  /** Enter the candidate and fail it with `error`, as run-generate does after the manager's retries. */
  const failWith = async (error: LLMError) => (await enterCandidate(plan, MODEL, services)).failed(error);
  const refusal = () => enterCandidate(plan, MODEL, services).then(() => undefined, (error: unknown) => error);
  return { clock, breakers, services, plan, failWith, refusal };
}

const upstream429 = (retryAfterMs?: number) => new RateLimitError('fake:busy answered 429', { provider: 'fake', model: 'busy', kind: 'upstream', retryAfterMs });

describe('candidate guard: rate limits are not outages', () => {
  it('cools a candidate for the Retry-After of its 429, and refuses it meanwhile with an upstream RateLimitError', async () => {
    const { clock, breakers, failWith, refusal } = setup();
    await failWith(upstream429(2_000));
    clock.t += 500;
    const refused = await refusal();
    expect(refused).toBeInstanceOf(RateLimitError);
    expect(refused).toMatchObject({ kind: 'upstream', retryAfterMs: 1_500, provider: 'fake', model: 'busy', retryable: true });
    // It falls back like any rate limit.
    expect(shouldFallBack(refused as LLMError)).toBe(true);
    expect(breakers.state(MODEL)).toBe('closed');
    clock.t += 1_500;
    await expect(refusal()).resolves.toBeUndefined();
  });

  it('cools for rateLimitCooldownMs when the 429 carries no usable Retry-After', async () => {
    for (const retryAfterMs of [undefined, 0]) {
      const { clock, failWith, refusal } = setup();
      await failWith(upstream429(retryAfterMs));
      expect(await refusal()).toMatchObject({ kind: 'upstream', retryAfterMs: RATE_LIMIT_COOLDOWN_MS });
      clock.t += RATE_LIMIT_COOLDOWN_MS;
      await expect(refusal()).resolves.toBeUndefined();
    }
  });

  it('never opens the circuit for upstream 429s, however many come in a row', async () => {
    const { clock, breakers, failWith } = setup();
    for (let i = 0; i < 10 * THRESHOLD; i++) {
      await failWith(upstream429(100));
      clock.t += 100;
    }
    expect(breakers.state(MODEL)).toBe('closed');
    expect(breakers.snapshot()).toEqual([]);
  });

  it('our own limits neither cool the candidate nor count against it', async () => {
    const { breakers, failWith, refusal } = setup();
    for (let i = 0; i < 10 * THRESHOLD; i++) await failWith(new RateLimitError('call queue full', { kind: 'client', retryAfterMs: 5_000 }));
    await expect(refusal()).resolves.toBeUndefined();
    expect(breakers.snapshot()).toEqual([]);
  });

  it('quota exhaustion does not cool but counts against the model (it lasts)', async () => {
    const { breakers, failWith, refusal } = setup();
    for (let i = 0; i < THRESHOLD; i++) await failWith(new RateLimitError('quota', { kind: 'quota' }));
    expect(breakers.state(MODEL)).toBe('open');
    expect(await refusal()).toBeInstanceOf(CircuitOpenError);
  });

  it('refuses an open circuit with CircuitOpenError carrying the time until its probe', async () => {
    const { clock, failWith, refusal } = setup();
    for (let i = 0; i < THRESHOLD; i++) await failWith(new ProviderError('500', { status: 500, retryable: true }));
    clock.t += 10_000;
    const refused = await refusal();
    expect(refused).toBeInstanceOf(CircuitOpenError);
    expect(refused).toMatchObject({ code: 'circuit_open', retryAfterMs: BREAKER_COOLDOWN_MS - 10_000, provider: 'fake', model: 'busy' });
  });

  it('a probe that meets a 429 frees the probe slot and cools the model instead of re-opening for a full cooldown', async () => {
    const { clock, breakers, failWith, refusal, plan, services } = setup();
    for (let i = 0; i < THRESHOLD; i++) await failWith(new ProviderError('500', { status: 500, retryable: true }));
    clock.t += BREAKER_COOLDOWN_MS;
    await failWith(upstream429(2_000));
    expect(await refusal()).toMatchObject({ kind: 'upstream', retryAfterMs: 2_000 });
    clock.t += 2_000;
    // The next caller is the probe: well before another full breaker cooldown.
    const probe = await enterCandidate(plan, MODEL, services);
    expect(await refusal()).toBeInstanceOf(CircuitOpenError);
    probe.succeeded({ text: 'ok', finishReason: 'stop', model: MODEL, toolCalls: [], usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 }, usageReported: true, costUsd: null, attempts: 1, latencyMs: 1 });
    expect(breakers.state(MODEL)).toBe('closed');
  });

  it('settles a ticket once: a second failure report neither cools again nor counts', async () => {
    const { clock, breakers, plan, services, refusal } = setup();
    const ticket = await enterCandidate(plan, MODEL, services);
    ticket.failed(upstream429(1_000));
    clock.t += 1_000;
    ticket.failed(upstream429(60_000));
    ticket.failed(new ProviderError('500', { status: 500, retryable: true }));
    await expect(refusal()).resolves.toBeUndefined();
    expect(breakers.snapshot()).toEqual([]);
  });
});

/**
 * RELIABILITY.md row "soak" in its CI-sized form (the 100k-call soak with RSS over time lives in
 * bench/): 3,000 calls with faults over 12 FakeProvider models through a ModelCache of 4, at
 * concurrency 20, so models are evicted while other calls still hold them. Figures: the LRU never
 * holds more than its bound (sampled after every call and on a timer), and the models unloaded by
 * their manager (dispose calls) equal the evictions, each model unloaded exactly once. The heap
 * part needs `global.gc`, which jest does not expose: bench/ measures memory instead.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSwitchboard } from '../../src/create-switchboard.js';
import { InvalidRequestError, ProviderError, StreamInterruptedError } from '../../src/core/errors.js';
import type { Switchboard } from '../../src/switchboard.js';
import { FakeProvider } from '../../src/testing/fake-provider.js';
import { drainStream, mapConcurrent, seededRandom, settle } from './helpers.js';

const CALLS = 3_000;
const MODELS = 12;
const CACHE_MAX = 4;

describe('reliability: model cache churn (soak, CI size)', () => {
  let fake: FakeProvider;
  let sb: Switchboard;

  beforeAll(async () => {
    fake = new FakeProvider({ loadDelayMs: 1 });
    sb = await createSwitchboard({
      env: {},
      managers: [fake],
      config: {
        modelCache: { max: CACHE_MAX },
        telemetry: { logLevel: 'silent' },
        resilience: { maxRetries: 1, retryBaseDelayMs: 1, retryMaxDelayMs: 2 },
      },
    });
  });

  afterAll(async () => {
    await sb?.close();
  });

  it('soak (3,000 calls, faults, churning ModelCache of 4 over 12 models): LRU never over its bound; dispose calls = evictions', async () => {
    const random = seededRandom(13);
    let peak = 0;
    const sample = () => {
      peak = Math.max(peak, sb.modelCache.size);
    };
    const sampler = setInterval(sample, 1);
    const errors = new Map<string, number>();
    try {
      await mapConcurrent(
        Array.from({ length: CALLS }, (_, i) => i),
        20,
        async (i) => {
          const model = `fake:model-${Math.floor(random() * MODELS)}`;
          const roll = random();
          // Faults ride on the next attempt at this model: retried 503s, a bad request, a cut stream.
          if (roll < 0.1) fake.fail(model, { status: 503 });
          else if (roll < 0.13) fake.fail(model, { status: 400, message: 'bad request' });
          else if (roll < 0.16 && i % 2 === 1) fake.fail(model, { interruptAfterChunks: 1, reply: { text: 'cut off here' } });
          const messages = [{ role: 'user' as const, content: `soak call ${i}` }];
          const error =
            i % 2 === 0
              ? await settle(sb.chat({ model, messages })).then((outcome) => (outcome.ok ? undefined : outcome.error))
              : (await drainStream(sb.stream({ model, messages }))).error;
          sample();
          if (error) {
            const name = error instanceof Error ? error.constructor.name : String(error);
            errors.set(name, (errors.get(name) ?? 0) + 1);
          }
        },
      );
    } finally {
      clearInterval(sampler);
    }
    await sb.modelCache.settle();
    const { loads, evictions, unloads } = sb.modelCache.counters;
    console.log(
      `model cache churn: ${CALLS} calls over ${MODELS} models, cache max ${CACHE_MAX}: peak size ${peak}, ${loads} loads, ${evictions} evictions, ` +
        `${unloads} unloads, ${fake.unloads.length} dispose calls on the manager; caller errors ${JSON.stringify(Object.fromEntries(errors))}`,
    );
    expect(peak).toBeLessThanOrEqual(CACHE_MAX);
    expect(peak).toBe(CACHE_MAX);
    expect(evictions).toBeGreaterThan(100);
    expect(unloads).toBe(evictions);
    expect(fake.unloads.length).toBe(evictions);
    expect(loads).toBe(evictions + sb.modelCache.size);
    // Only scripted faults reached the caller: bad requests, cut streams, and a ProviderError when
    // faults queued by concurrent calls met both attempts of one call.
    for (const name of errors.keys()) expect([InvalidRequestError.name, StreamInterruptedError.name, ProviderError.name]).toContain(name);

    // Closing unloads the rest: every load is matched by exactly one unload.
    await sb.close();
    expect(fake.unloads.length).toBe(fake.loads.length);
    expect(sb.modelCache.size).toBe(0);
  });
});

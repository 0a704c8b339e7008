/**
 * The composition root builds managers from definitions and takes the caller's stores:
 * `createSwitchboard({ providers })` binds a user-land definition's managers (one per entry of a map
 * section) next to the built-ins, and `createSwitchboard({ stores })` uses the caller's session,
 * response, budget and rate-limit stores instead of the ones config picks, and closes them.
 */
import { describe, expect, it } from '@jest/globals';
import { MemoryResponseStore } from '../../../src/cache/response-cache.js';
import { configField } from '../../../src/config/schema-fields.js';
import { createSwitchboard, silentLogger, type CreateSwitchboardOptions, type Logger } from '../../../src/index.js';
import type { ProviderDefinition } from '../../../src/managers/provider-definition.js';
import { MemoryBudgetStore } from '../../../src/resilience/budget.js';
import { MemoryRateLimitStore } from '../../../src/resilience/rate-limit-store.js';
import { MemorySessionStore } from '../../../src/sessions/memory-session-store.js';
import { FakeProvider } from '../../../src/testing/index.js';

/** A map section of fakes: `providers.fakes.<name>` is the provider `<name>`, replying with its greeting. */
const fakesProvider: ProviderDefinition<'fakes', Record<string, { greeting: string }>> = {
  id: 'fakes',
  description: 'Named fakes, defined in this test',
  section: 'map',
  configSchema: { greeting: configField('hello', 'sb-string', 'What the fake answers') },
  create: (deps, entries) => Object.entries(entries).map(([name, entry]) => new FakeProvider({ provider: name, deps, defaultReply: { text: entry.greeting } })),
};

const base: CreateSwitchboardOptions = { configFile: [], env: {}, logger: silentLogger };

describe('providers from definitions', () => {
  it('binds one manager per map entry next to the built-ins, and calls reach them', async () => {
    const sb = await createSwitchboard({ ...base, providers: [fakesProvider], config: { models: {}, providers: { fakes: { alpha: { greeting: 'from alpha' }, beta: {} } } } });
    try {
      const names = sb.registry.listProviders().map((status) => status.name);
      expect(names).toEqual(expect.arrayContaining(['openai', 'anthropic', 'huggingface', 'ollama', 'llamacpp', 'alpha', 'beta']));
      expect((await sb.chat({ model: 'alpha:m', messages: [{ role: 'user', content: 'hi' }] })).text).toBe('from alpha');
      expect((await sb.chat({ model: 'beta:m', messages: [{ role: 'user', content: 'hi' }] })).text).toBe('hello');
    } finally {
      await sb.close();
    }
  });

  it('refuses a definition whose create does not make one manager per entry', async () => {
    const short: ProviderDefinition = { ...fakesProvider, create: () => [] } as ProviderDefinition;
    await expect(createSwitchboard({ ...base, providers: [short], config: { models: {}, providers: { fakes: { alpha: {} } } } })).rejects.toThrow(/create returned 0 managers, expected 1/);
  });
});

/** Records which store methods ran, so the test sees the switchboard used and closed the caller's stores. */
function trackClose<T extends { close(): Promise<void> }>(store: T, closed: string[], name: string): T {
  const close = store.close.bind(store);
  store.close = async () => {
    closed.push(name);
    await close();
  };
  return store;
}

describe('stores of your own', () => {
  it('are used instead of the memory or Redis ones config picks, and closed with the switchboard', async () => {
    const closed: string[] = [];
    const sessions = trackClose(new MemorySessionStore({ max: 10 }), closed, 'sessions');
    const responses = trackClose(new MemoryResponseStore({ max: 10, maxBytes: 1 << 20, ttlMs: 0 }), closed, 'responses');
    const budgets = trackClose(new MemoryBudgetStore(), closed, 'budgets');
    const rateLimits = trackClose(new MemoryRateLimitStore(), closed, 'rateLimits');
    let charged = 0;
    const take = rateLimits.take.bind(rateLimits);
    rateLimits.take = (charge) => {
      charged++;
      return take(charge);
    };
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (message: string) => void warnings.push(message) };
    // A Redis URL that nothing answers: with every store given, no client is made and nothing waits for it.
    const started = performance.now();
    const sb = await createSwitchboard({
      ...base,
      logger,
      managers: [new FakeProvider()],
      stores: { sessions, responses, budgets, rateLimits },
      config: { models: {}, redis: { url: 'redis://127.0.0.1:1' }, responseCache: { enabled: true }, resilience: { rateLimits: { fake: { requestsPerMinute: 100 } } } },
    });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(warnings.filter((message) => message.includes('Redis'))).toEqual([]);
    sb.bots.define('b', { model: 'fake:echo', budget: { usdPerDay: 10 } });
    const session = await sb.sessions.start({ bot: 'b' });
    expect(await sessions.get(session.id)).toMatchObject({ id: session.id, bot: 'b' });
    await sb.chat({ bot: 'b', messages: [{ role: 'user', content: 'cache me' }] });
    expect(responses.size).toBe(1);
    expect(charged).toBe(1);
    await sb.close();
    expect(closed.sort()).toEqual(['budgets', 'rateLimits', 'responses', 'sessions']);
  });
});

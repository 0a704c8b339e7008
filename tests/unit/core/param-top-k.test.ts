/**
 * `params.topK` follows the one parameter table (core/param-rules.ts): a whole number from 1 to
 * MAX_TOP_K, checked the same way by request normalisation, bot config validation (config files)
 * and the bot registry (bots added at runtime), each naming the field and never the value.
 */
import { describe, expect, it } from '@jest/globals';
import { ConfigError, InvalidRequestError } from '../../../src/core/errors.js';
import { MAX_TOP_K, paramProblem } from '../../../src/core/param-rules.js';
import { loadConfig } from '../../../src/config/index.js';
import { createSwitchboard } from '../../../src/create-switchboard.js';
import { FakeProvider } from '../../../src/testing/index.js';

const BAD = [0, -3, 2.5, MAX_TOP_K + 1, Number.NaN, '40', null];

describe('params.topK', () => {
  it.each([1, 40, MAX_TOP_K])('accepts %p', (value) => {
    expect(paramProblem('topK', value)).toBeUndefined();
  });

  it.each(BAD)('refuses %p, saying what is allowed', (value) => {
    expect(paramProblem('topK', value)).toBe(`must be a whole number from 1 to ${MAX_TOP_K}`);
  });

  it('is checked by request normalisation, naming params.topK, before any provider call', async () => {
    const fake = new FakeProvider();
    const sb = await createSwitchboard({ configFile: [], env: {}, config: { telemetry: { logLevel: 'silent' } }, managers: [fake] });
    try {
      const error = await sb.chat({ model: 'fake:m', messages: [{ role: 'user', content: 'hi' }], params: { topK: 12.75 } }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect((error as Error).message).toContain('params.topK');
      expect((error as Error).message).not.toContain('12.75');
      expect(fake.calls).toHaveLength(0);
      // A good value reaches the provider request.
      await sb.chat({ model: 'fake:m', messages: [{ role: 'user', content: 'hi' }], params: { topK: 12 } });
      expect(fake.calls[0]!.params.topK).toBe(12);
    } finally {
      await sb.close();
    }
  });

  it('is checked in a bot config, naming the key', async () => {
    const error = await loadConfig({ configFile: [], env: {}, config: { bots: { b: { model: 'openai:gpt-4o-mini', params: { topK: 0 } } } } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((problem) => problem.key)).toEqual(['bots.b.params.topK']);
  });

  it('is checked by the bot registry, and a good one is the bot\'s default', async () => {
    const fake = new FakeProvider();
    const sb = await createSwitchboard({ configFile: [], env: {}, config: { telemetry: { logLevel: 'silent' } }, managers: [fake] });
    try {
      expect(() => sb.bots.define('sampler', { model: 'fake:m', params: { topK: 2.5 } })).toThrow(/params\.topK/);
      sb.bots.define('sampler', { model: 'fake:m', params: { topK: 20 } });
      await sb.chat({ bot: 'sampler', messages: [{ role: 'user', content: 'hi' }] });
      expect(fake.calls[0]!.params.topK).toBe(20);
    } finally {
      await sb.close();
    }
  });
});

import { describe, expect, it } from '@jest/globals';
import { BotRegistry, MAX_BOTS } from '../../../src/bots/bot-registry.js';
import type { BotConfig } from '../../../src/config/types.js';
import { formatPath } from '../../../src/config/problems.js';
import { ConfigError, InvalidRequestError } from '../../../src/core/errors.js';

const PROVIDERS = new Set(['openai', 'anthropic', 'fake']);
const ADAPTERS = new Set(['pii-redact', 'max-length']);

function make(events: string[] = []) {
  return new BotRegistry({
    hasProvider: (p) => PROVIDERS.has(p),
    hasAdapter: (a) => ADAPTERS.has(a),
    onDefined: (name, config) => events.push(`defined ${name} ${config.model}`),
    onRemoved: (name) => events.push(`removed ${name}`),
  });
}

function problemsOf(action: () => unknown): Array<{ key: string; message: string }> {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

const SUPPORT: BotConfig = {
  model: 'openai:gpt-4o-mini',
  fallbacks: ['anthropic:claude-3-5-haiku-latest', 'fake:backup'],
  system: 'You are a concise support agent.',
  params: { temperature: 0.2, maxTokens: 512, stop: ['END'] },
  adapters: [{ name: 'pii-redact' }, { name: 'max-length', options: { maxChars: 1200 } }],
  budget: { usdPerDay: 5 },
};

describe('BotRegistry', () => {
  it('defines a bot, lists it, and returns a frozen copy', () => {
    const events: string[] = [];
    const bots = make(events);
    const input = structuredClone(SUPPORT);
    const stored = bots.define('support', input);
    expect(stored).toEqual(SUPPORT);
    expect(bots.get('support')).toBe(stored);
    expect(bots.list()).toEqual(['support']);
    expect(bots.has('support')).toBe(true);
    input.adapters![1]!.options!.maxChars = 5;
    expect(bots.get('support')!.adapters![1]!.options!.maxChars).toBe(1200);
    expect(Object.isFrozen(stored)).toBe(true);
    expect(Object.isFrozen(stored.adapters![1]!.options)).toBe(true);
    expect(() => {
      (stored.fallbacks as string[]).push('openai:gpt-4o');
    }).toThrow(/not extensible/);
    expect(events).toEqual(['defined support openai:gpt-4o-mini']);
  });

  it('candidates are the primary then the fallbacks in order', () => {
    const bots = make();
    bots.define('support', SUPPORT);
    bots.define('plain', { model: 'fake:echo' });
    expect(bots.candidates('support')).toEqual(['openai:gpt-4o-mini', 'anthropic:claude-3-5-haiku-latest', 'fake:backup']);
    expect(bots.candidates('plain')).toEqual(['fake:echo']);
    expect(() => bots.candidates('ghost')).toThrow(InvalidRequestError);
    expect(() => bots.candidates('ghost')).toThrow(/defined bots: support, plain/);
  });

  it('reports every problem of a definition at once, with key paths', () => {
    const bots = make();
    const problems = problemsOf(() =>
      bots.define('support', {
        model: 'nobody:gpt',
        fallbacks: ['openai:gpt-4o', 'no-colon', 'openai:gpt-4o'],
        system: 42 as unknown as string,
        params: { temperature: 3, topP: -0.1, maxTokens: 1.5, timeoutMs: 0, seed: 1.2, stop: [] },
        adapters: [{ name: 'pii-redact' }, { name: 'translate' }, { name: 'max-length', options: 'x' as unknown as Record<string, unknown> }],
        budget: { usdPerDay: -1, usdPerSession: Number.NaN },
      }),
    );
    const keys = problems.map((p) => p.key);
    expect(keys).toEqual([
      'bots.support.model',
      'bots.support.fallbacks[1]',
      'bots.support.fallbacks[2]',
      'bots.support.system',
      'bots.support.params.temperature',
      'bots.support.params.topP',
      'bots.support.params.maxTokens',
      'bots.support.params.timeoutMs',
      'bots.support.params.seed',
      'bots.support.params.stop',
      'bots.support.adapters[1].name',
      'bots.support.adapters[2].options',
      'bots.support.budget.usdPerDay',
      'bots.support.budget.usdPerSession',
    ]);
    expect(problems[0]!.message).toMatch(/unknown provider "nobody"/);
    expect(problems[2]!.message).toMatch(/repeats fallbacks\[0\]/);
    expect(problems[10]!.message).toMatch(/names no registered adapter/);
    expect(bots.list()).toEqual([]);
  });

  it('a fallback repeating the primary model is refused', () => {
    const problems = problemsOf(() => make().define('b', { model: 'fake:a', fallbacks: ['fake:b', 'fake:a'] }));
    expect(problems).toEqual([{ key: 'bots.b.fallbacks[1]', message: expect.stringMatching(/repeats the primary model/) }]);
  });

  it('refuses unknown settings (typos), a missing model and bad names', () => {
    const bots = make();
    const typo = problemsOf(() => bots.define('b', { model: 'fake:a', fallback: ['fake:b'], params: { temprature: 1 } } as unknown as BotConfig));
    expect(typo.map((p) => p.key)).toEqual(['bots.b.fallback', 'bots.b.params.temprature']);
    expect(problemsOf(() => bots.define('b', {} as BotConfig))).toEqual([{ key: 'bots.b.model', message: expect.stringMatching(/required/) }]);
    for (const name of ['', 'has space', 'a/b', '__proto__', 'x'.repeat(129)]) {
      expect(problemsOf(() => bots.define(name, { model: 'fake:a' }))[0]!.key).toBe(formatPath(['bots', name]));
    }
    expect(problemsOf(() => bots.define('b', 'fake:a' as unknown as BotConfig))[0]!.message).toMatch(/must be an object/);
  });

  it('a redefinition replaces the old one and tells onDefined again; remove tells onRemoved', () => {
    const events: string[] = [];
    const bots = make(events);
    bots.define('b', { model: 'fake:a' });
    bots.define('b', { model: 'fake:z', fallbacks: ['fake:a'] });
    expect(bots.candidates('b')).toEqual(['fake:z', 'fake:a']);
    expect(bots.list()).toEqual(['b']);
    expect(bots.remove('b')).toBe(true);
    expect(bots.remove('b')).toBe(false);
    expect(bots.get('b')).toBeUndefined();
    expect(events).toEqual(['defined b fake:a', 'defined b fake:z', 'removed b']);
  });

  it('defineAll reports the problems of every bot in one ConfigError and defines none of them', () => {
    const bots = make();
    const problems = problemsOf(() =>
      bots.defineAll({
        good: { model: 'fake:a' },
        bad1: { model: 'mystery:a' },
        bad2: { model: 'fake:a', adapters: [{ name: 'nope' }] },
      }),
    );
    expect(problems.map((p) => p.key)).toEqual(['bots.bad1.model', 'bots.bad2.adapters[0].name']);
    expect(bots.list()).toEqual([]);
    bots.defineAll({ one: { model: 'fake:a' }, two: { model: 'openai:gpt-4o' } });
    expect(bots.list()).toEqual(['one', 'two']);
  });

  it('a throwing onDefined undoes the definition', () => {
    const bots = new BotRegistry({
      hasProvider: () => true,
      hasAdapter: () => true,
      onDefined: (name) => {
        if (name === 'boom') throw new Error('adapter options invalid');
      },
    });
    bots.define('keep', { model: 'fake:a' });
    expect(() => bots.defineAll({ keep: { model: 'fake:b' }, boom: { model: 'fake:c' } })).toThrow('adapter options invalid');
    expect(bots.list()).toEqual(['keep']);
    expect(bots.get('keep')!.model).toBe('fake:a');
  });

  it(`holds at most ${MAX_BOTS} bot types`, () => {
    const bots = make();
    const many: Record<string, BotConfig> = {};
    for (let i = 0; i < MAX_BOTS; i++) many[`bot${i}`] = { model: 'fake:a' };
    bots.defineAll(many);
    expect(bots.list()).toHaveLength(MAX_BOTS);
    expect(problemsOf(() => bots.define('one-more', { model: 'fake:a' }))[0]).toEqual({ key: 'bots', message: expect.stringMatching(/at most 10000/) });
    bots.define('bot0', { model: 'fake:b' });
    expect(bots.get('bot0')!.model).toBe('fake:b');
  });

  it('keeps non-data adapter options (functions) by reference', () => {
    const bots = make();
    const redact = (text: string) => text.toUpperCase();
    const stored = bots.define('b', { model: 'fake:a', adapters: [{ name: 'pii-redact', options: { redact, pattern: /x/g } }] });
    expect(stored.adapters![0]!.options!.redact).toBe(redact);
    expect(stored.adapters![0]!.options!.pattern).toBeInstanceOf(RegExp);
  });
});

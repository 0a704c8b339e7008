import { describe, expect, it } from '@jest/globals';
import type { Adapter } from '../../../src/adapters/adapter.js';
import { AdapterManager } from '../../../src/adapters/adapter-manager.js';
import { ConfigError, InvalidRequestError } from '../../../src/core/errors.js';
import type { Logger } from '../../../src/core/logger.js';
import { seededRandom } from './chunking.js';

const context = { metadata: {}, model: 'openai:gpt-4o-mini' };

/** Tags text with its own name, so order shows in the output. */
function tagAdapter(name: string): Adapter {
  return { name, transformOutput: (text) => `${text}<${name}>` };
}

function managerWithTags(...names: string[]): AdapterManager {
  const manager = new AdapterManager({ builtins: false });
  for (const name of names) manager.register(name, () => tagAdapter(name));
  return manager;
}

describe('AdapterManager registration', () => {
  it('registers the built-ins unless told not to', () => {
    expect(new AdapterManager().names()).toEqual(['pii-redact', 'max-length', 'strip-markdown', 'system-prompt', 'prefix-suffix']);
    expect(new AdapterManager({ builtins: false }).names()).toEqual([]);
  });

  it('validates names and factories, and replaces a name registered again', () => {
    const manager = new AdapterManager({ builtins: false });
    expect(() => manager.register('bad name!', () => tagAdapter('x'))).toThrow(InvalidRequestError);
    expect(() => manager.register('', () => tagAdapter('x'))).toThrow(/Adapter name is invalid/);
    expect(() => manager.register('ok', 'nope' as never)).toThrow(/factory must be a function/);
    manager.register('shout', () => tagAdapter('first'));
    manager.register('shout', () => ({ name: 'shout', transformOutput: (text) => text.toUpperCase() }));
    expect(manager.has('shout')).toBe(true);
    expect(manager.names()).toEqual(['shout']);
    manager.activateForBot('b', 'shout');
    return expect(manager.chainFor({ bot: 'b' }).transformOutput('hi', context)).resolves.toBe('HI');
  });
});

describe('AdapterManager activations', () => {
  it('orders bot config adapters, then runtime bot activations, then session activations', async () => {
    const manager = managerWithTags('a', 'b', 'c', 'd', 'e', 'f');
    manager.activateForSession('s1', 'e');
    manager.activateForBot('support', 'd');
    manager.setBotAdapters('support', [{ name: 'b' }, { name: 'a' }]);
    manager.activateForBot('support', 'c');
    manager.activateForSession('s1', 'f');
    expect(manager.activeFor({ bot: 'support', sessionId: 's1' })).toEqual(['b', 'a', 'd', 'c', 'e', 'f']);
    expect(manager.activeFor({ bot: 'support' })).toEqual(['b', 'a', 'd', 'c']);
    expect(manager.activeFor({ sessionId: 's1' })).toEqual(['e', 'f']);
    expect(manager.activeFor({ bot: 'other', sessionId: 'nope' })).toEqual([]);
    const chain = manager.chainFor({ bot: 'support', sessionId: 's1' });
    expect(chain.names).toEqual(['b', 'a', 'd', 'c', 'e', 'f']);
    expect(await chain.transformOutput('x', context)).toBe('x<b><a><d><c><e><f>');
  });

  it('keeps a name once per bot and session: activating again replaces its options in place', async () => {
    const manager = new AdapterManager();
    manager.setBotAdapters('bot', [{ name: 'prefix-suffix', options: { prefix: '1:' } }]);
    manager.activateForBot('bot', 'max-length', { maxChars: 100 });
    manager.activateForBot('bot', 'prefix-suffix', { prefix: '2:' });
    manager.activateForSession('s', 'strip-markdown');
    manager.activateForSession('s', 'max-length', { maxChars: 50 });
    manager.activateForSession('s', 'strip-markdown');
    expect(manager.activeFor({ bot: 'bot', sessionId: 's' })).toEqual(['prefix-suffix', 'max-length', 'strip-markdown', 'max-length']);
    expect(await manager.chainFor({ bot: 'bot' }).transformOutput('**x**', context)).toBe('2:**x**');
  });

  it('builds an adapter once per activation and reuses it for every call', async () => {
    const manager = new AdapterManager({ builtins: false });
    let built = 0;
    manager.register('counted', (options) => {
      built++;
      return { name: 'counted', transformOutput: (text) => `${text}${String(options.mark)}` };
    });
    manager.activateForBot('bot', 'counted', { mark: '!' });
    for (let i = 0; i < 5; i++) expect(await manager.chainFor({ bot: 'bot' }).transformOutput('hi', context)).toBe('hi!');
    expect(built).toBe(1);
  });

  it('names the known adapters when asked for an unknown one', () => {
    const manager = new AdapterManager();
    expect(() => manager.activateForBot('bot', 'pii-redakt')).toThrow(InvalidRequestError);
    expect(() => manager.activateForSession('s', 'pii-redakt')).toThrow(/Adapter "pii-redakt" is not registered; known adapters: pii-redact, max-length, strip-markdown, system-prompt, prefix-suffix/);
  });

  it('says what to change when options are bad, at run time and in bot config', () => {
    const manager = new AdapterManager();
    expect(() => manager.activateForBot('bot', 'max-length', { maxChars: 'lots' })).toThrow(/max-length: options.maxChars must be a whole number >= 1/);
    expect(() => manager.activateForSession('s', 'max-length', 'big' as never)).toThrow(/options must be an object/);
    manager.setBotAdapters('bot', [{ name: 'pii-redact' }]);
    let error: unknown;
    try {
      manager.setBotAdapters('bot', [{ name: 'strip-markdown' }, { name: 'max-length', options: { maxChars: 0 } }, { name: 'nope' }, { name: 'strip-markdown' }]);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      { key: 'bots.bot.adapters[1].options', message: 'max-length: options.maxChars must be a whole number >= 1, like { "maxChars": 1200 }' },
      { key: 'bots.bot.adapters[2].name', message: expect.stringContaining('Adapter "nope" is not registered') },
      { key: 'bots.bot.adapters[3].name', message: 'adapter "strip-markdown" is listed twice; list it once' },
    ]);
    expect(manager.activeFor({ bot: 'bot' })).toEqual(['pii-redact']);
  });

  it('wraps a user factory that throws into an InvalidRequestError naming the adapter', () => {
    const manager = new AdapterManager({ builtins: false });
    manager.register('picky', (options) => {
      if (typeof options.level !== 'number') throw new Error('level must be a number');
      return tagAdapter('picky');
    });
    expect(() => manager.activateForBot('bot', 'picky', { level: 'high' })).toThrow('Adapter "picky": level must be a number');
    manager.register('broken', () => null as never);
    expect(() => manager.activateForBot('bot', 'broken')).toThrow(/must return an adapter object/);
  });

  it('deactivates for a bot (config and runtime) and for a session', () => {
    const manager = managerWithTags('a', 'b', 'c');
    manager.setBotAdapters('bot', [{ name: 'a' }]);
    manager.activateForBot('bot', 'b');
    manager.activateForSession('s', 'c');
    manager.activateForSession('s', 'a');
    expect(manager.deactivateForBot('bot', 'a')).toBe(true);
    expect(manager.deactivateForBot('bot', 'a')).toBe(false);
    expect(manager.deactivateForSession('s', 'c')).toBe(true);
    expect(manager.deactivateForSession('s', 'zzz')).toBe(false);
    expect(manager.activeFor({ bot: 'bot', sessionId: 's' })).toEqual(['b', 'a']);
    expect(manager.deactivateForBot('bot', 'b')).toBe(true);
    expect(manager.activeFor({ bot: 'bot', sessionId: 's' })).toEqual(['a']);
  });

  it('releases a session and removes a bot', () => {
    const manager = managerWithTags('a', 'b');
    manager.setBotAdapters('bot', [{ name: 'a' }]);
    manager.activateForSession('s', 'b');
    expect(manager.stats()).toEqual({ sessions: 1, bots: 1, evictedSessions: 0 });
    expect(manager.releaseSession('s')).toBe(true);
    expect(manager.releaseSession('s')).toBe(false);
    expect(manager.activeFor({ bot: 'bot', sessionId: 's' })).toEqual(['a']);
    manager.removeBot('bot');
    expect(manager.activeFor({ bot: 'bot', sessionId: 's' })).toEqual([]);
    expect(manager.stats()).toEqual({ sessions: 0, bots: 0, evictedSessions: 0 });
  });

  it('keeps at most maxSessions sessions, warning when it evicts one', () => {
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn: (message) => warnings.push(message), error() {} };
    const manager = new AdapterManager({ maxSessions: 3, logger });
    for (let i = 0; i < 10; i++) manager.activateForSession(`s${i}`, 'strip-markdown');
    expect(manager.stats().sessions).toBe(3);
    expect(manager.stats().evictedSessions).toBe(7);
    expect(manager.activeFor({ sessionId: 's0' })).toEqual([]);
    expect(manager.activeFor({ sessionId: 's9' })).toEqual(['strip-markdown']);
    expect(warnings).toHaveLength(7);
    expect(() => new AdapterManager({ maxSessions: 0 })).toThrow(/maxSessions/);
  });

  it('keeps 500 concurrent sessions apart: each gets its own options, 0 mix-ups', async () => {
    const manager = new AdapterManager();
    const random = seededRandom(500);
    const pause = () => new Promise<void>((resolve) => setTimeout(resolve, Math.floor(random() * 4)));
    // An async bot adapter, so calls of different sessions interleave.
    manager.register('slow-upper', () => ({
      name: 'slow-upper',
      transformOutput: async (text) => {
        await pause();
        return text.toUpperCase();
      },
    }));
    manager.setBotAdapters('support', [{ name: 'pii-redact' }, { name: 'slow-upper' }]);
    // The other bot streams all the way (no whole-text adapter), so deltas of sessions interleave.
    manager.setBotAdapters('fast', [{ name: 'pii-redact' }]);
    const ids = Array.from({ length: 500 }, (_, i) => `session-${i}`);
    for (const id of ids) manager.activateForSession(id, 'prefix-suffix', { prefix: `[${id}] `, suffix: ` [/${id}]` });
    const results = await Promise.all(
      ids.map(async (id, i) => {
        const bot = i % 2 === 0 ? 'support' : 'fast';
        const chain = manager.chainFor({ bot, sessionId: id });
        const ctx = { ...context, bot, sessionId: id };
        await pause();
        const whole = await chain.transformOutput(`mail ${id}@example.com now`, ctx);
        const pipeline = chain.createStreamPipeline(ctx);
        let streamed = '';
        for (const part of ['mail ', id, '@exam', 'ple.com', ' now']) {
          streamed += pipeline.push(part);
          await pause();
        }
        streamed += await pipeline.flush();
        return { id, bot, whole, streamed };
      }),
    );
    let mixUps = 0;
    for (const { id, bot, whole, streamed } of results) {
      const expected = bot === 'support' ? `[${id}] MAIL [EMAIL] NOW [/${id}]` : `[${id}] mail [EMAIL] now [/${id}]`;
      if (whole !== expected || streamed !== expected) mixUps++;
    }
    expect(mixUps).toBe(0);
  });
});

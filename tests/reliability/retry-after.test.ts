/**
 * RELIABILITY.md row "Retry-After honoured": after a 429 asking for d (250 ms by `retry-after-ms`,
 * 1 s by `retry-after` seconds, an HTTP date), the next attempt reaches the server within
 * [d − 50 ms, d + 250 ms]; a Retry-After above `maxRetryAfterMs` (3600 s) skips to the fallback at
 * once (< 250 ms). Both wire formats, complete answers and streams.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Switchboard } from '../../src/switchboard.js';
import type { FakeStep } from '../helpers/fake-provider.js';
import { ArrivalLog, chaosSwitchboard, drainStream, startChaosServers, type ChaosServers } from './helpers.js';

type Provider = 'openai' | 'anthropic';

/** A 429 asking for a delay; `expectedMs` is the delay the header means at the moment it is sent. */
interface AskedDelay {
  name: string;
  headers(): { headers: Record<string, string>; expectedMs: number };
}

const DELAYS: AskedDelay[] = [
  { name: 'retry-after-ms: 250', headers: () => ({ headers: { 'retry-after-ms': '250' }, expectedMs: 250 }) },
  { name: 'retry-after: 1 (seconds)', headers: () => ({ headers: { 'retry-after': '1' }, expectedMs: 1_000 }) },
  {
    name: 'retry-after: an HTTP date',
    headers: () => {
      // HTTP dates have whole seconds: ask for the second after next, then d is what remains of it now.
      const date = new Date(Math.ceil((Date.now() + 1_000) / 1_000) * 1_000).toUTCString();
      return { headers: { 'retry-after': date }, expectedMs: Date.parse(date) - Date.now() };
    },
  },
];

const WINDOW_BELOW_MS = 50;
const WINDOW_ABOVE_MS = 250;

describe('reliability: Retry-After', () => {
  let servers: ChaosServers;
  let sb: Switchboard;
  let logs: { openai: ArrivalLog<FakeStep<never>>; anthropic: ArrivalLog<FakeStep<never>> };
  /** What each served 429 asked for, in order. */
  const asked: number[] = [];

  beforeAll(async () => {
    servers = await startChaosServers();
    logs = { openai: new ArrivalLog(servers.openai), anthropic: new ArrivalLog(servers.anthropic) };
    sb = await chaosSwitchboard(servers, {
      bots: {
        'openai-bot': { model: 'openai:gpt-limited', fallbacks: ['anthropic:claude-spare'] },
        'anthropic-bot': { model: 'anthropic:claude-limited', fallbacks: ['openai:gpt-spare'] },
      },
      resilience: { maxRetries: 2, maxRetryAfterMs: 60_000, retryBaseDelayMs: 5, retryMaxDelayMs: 20 },
    });
  });

  afterAll(async () => {
    await sb?.close();
    await servers?.close();
  });

  /** A 429 step whose headers are built when the server plays it. */
  function throttled(delay: AskedDelay): FakeStep<never> {
    const step = { kind: 'status' as const, status: 429, headers: {} as Record<string, string> };
    // Built lazily through a getter so an HTTP date is fresh when the fault is served.
    Object.defineProperty(step, 'headers', {
      enumerable: true,
      get: () => {
        const built = delay.headers();
        asked.push(built.expectedMs);
        return built.headers;
      },
    });
    return step;
  }

  async function call(provider: Provider, stream: boolean) {
    const bot = `${provider}-bot`;
    const messages = [{ role: 'user' as const, content: 'hello' }];
    if (!stream) return sb.chat({ bot, messages });
    const outcome = await drainStream(sb.stream({ bot, messages }));
    if (outcome.error) throw outcome.error;
    return outcome.result!;
  }

  const cases = DELAYS.flatMap((delay) => [
    { delay, provider: 'openai' as Provider, stream: false },
    { delay, provider: 'anthropic' as Provider, stream: true },
  ]);

  it.each(cases.map((c) => [c.delay.name, c.provider, c.stream ? 'stream' : 'chat', c] as const))(
    'Retry-After honoured: %s on %s (%s) -> next attempt within [d - 50 ms, d + 250 ms]',
    async (_name, provider, _kind, testCase) => {
      const model = provider === 'openai' ? 'gpt-limited' : 'claude-limited';
      const log = logs[provider];
      const before = log.timesOf(model).length;
      const askedBefore = asked.length;
      log.script(model, throttled(testCase.delay), {});
      const result = await call(provider, testCase.stream);
      const times = log.timesOf(model).slice(before);
      expect(times).toHaveLength(2);
      expect(result.model).toBe(`${provider}:${model}`);
      expect(result.attempts).toBe(2);
      const d = asked[askedBefore]!;
      const gap = times[1]! - times[0]!;
      console.log(`Retry-After ${testCase.delay.name} on ${provider}: asked ${Math.round(d)} ms, next attempt after ${Math.round(gap)} ms`);
      expect(gap).toBeGreaterThanOrEqual(d - WINDOW_BELOW_MS);
      expect(gap).toBeLessThanOrEqual(d + WINDOW_ABOVE_MS);
    },
  );

  it.each([
    ['openai', 'chat'],
    ['anthropic', 'stream'],
  ] as const)('Retry-After 3600 s (> maxRetryAfterMs) on %s (%s) -> fallback at once (< 250 ms)', async (provider, kind) => {
    const model = provider === 'openai' ? 'gpt-limited' : 'claude-limited';
    const spare = provider === 'openai' ? { log: logs.anthropic, model: 'claude-spare' } : { log: logs.openai, model: 'gpt-spare' };
    const primaryBefore = logs[provider].timesOf(model).length;
    const spareBefore = spare.log.timesOf(spare.model).length;
    logs[provider].script(model, { kind: 'status', status: 429, headers: { 'retry-after': '3600' } });
    const result = await call(provider, kind === 'stream');
    const primary = logs[provider].timesOf(model).slice(primaryBefore);
    const fallback = spare.log.timesOf(spare.model).slice(spareBefore);
    expect(primary).toHaveLength(1);
    expect(fallback).toHaveLength(1);
    expect(result.model).toBe(`${provider === 'openai' ? 'anthropic' : 'openai'}:${spare.model}`);
    const gap = fallback[0]! - primary[0]!;
    console.log(`Retry-After 3600 s on ${provider}: fallback reached after ${Math.round(gap)} ms`);
    expect(gap).toBeLessThan(250);
  });
});

/**
 * The whole pipeline through createSwitchboard with the testing FakeProvider: targets, bots,
 * sessions, adapters (chat and stream), fallbacks, the response cache, budgets, batch, abort.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  AbortError,
  AdapterError,
  BudgetExceededError,
  ContextLengthError,
  InvalidRequestError,
  CircuitOpenError,
  ProviderError,
  StreamInterruptedError,
  createSwitchboard,
  type GenerateResult,
  type StreamPart,
  type Switchboard,
} from '../../src/index.js';
import { FakeProvider } from '../../src/testing/index.js';

const quiet = { telemetry: { logLevel: 'silent' as const }, resilience: { maxRetries: 0, retryBaseDelayMs: 5, retryMaxDelayMs: 10 } };

async function collect(stream: AsyncIterable<StreamPart>): Promise<{ text: string; parts: StreamPart[]; result: GenerateResult }> {
  const parts: StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  const finish = parts.filter((p) => p.type === 'finish');
  expect(finish).toHaveLength(1);
  expect(parts.at(-1)!.type).toBe('finish');
  const text = parts.map((p) => (p.type === 'text-delta' ? p.text : '')).join('');
  return { text, parts, result: (finish[0] as Extract<StreamPart, { type: 'finish' }>).result };
}

describe('Switchboard pipeline', () => {
  let fake: FakeProvider;
  let sb: Switchboard;

  beforeEach(async () => {
    fake = new FakeProvider({ pricing: { priced: { inputPerMTok: 2, outputPerMTok: 4 } } });
    sb = await createSwitchboard({
      config: {
        ...quiet,
        bots: {
          support: {
            model: 'fake:primary',
            fallbacks: ['fake:backup'],
            system: 'Be brief.',
            params: { temperature: 0.2, maxTokens: 64 },
            adapters: [{ name: 'pii-redact' }],
          },
        },
      },
      managers: [fake],
    });
  });
  afterEach(async () => {
    await sb.close();
  });

  it('answers a model target with usage, cost and no adapters', async () => {
    fake.reply('fake:priced', { text: 'hello there', usage: { inputTokens: 10, outputTokens: 5 } });
    const result = await sb.generate({ model: 'fake:priced', prompt: 'hi' });
    expect(result).toMatchObject({ text: 'hello there', model: 'fake:priced', cached: false, attempts: 1, adapters: [], finishReason: 'stop' });
    expect(result.usage).toMatchObject({ inputTokens: 10, outputTokens: 5, totalTokens: 15 });
    expect(result.costUsd).toBeCloseTo((10 * 2 + 5 * 4) / 1e6, 12);
    expect(fake.calls[0].operation).toBe('text_completion');
  });

  it('puts the bot system prompt first, merges params and applies its adapters', async () => {
    fake.reply('fake:primary', { text: 'Write to jane.doe@example.com today' });
    const result = await sb.chat({ bot: 'support', messages: [{ role: 'user', content: 'contact?' }], params: { maxTokens: 32 } });
    expect(result.text).toBe('Write to [EMAIL] today');
    expect(result.adapters).toEqual(['pii-redact']);
    const call = fake.calls.at(-1)!;
    expect(call.messages[0]).toEqual({ role: 'system', content: 'Be brief.' });
    expect(call.params).toMatchObject({ temperature: 0.2, maxTokens: 32 });
  });

  it('redacts a stream however it is chunked', async () => {
    const text = 'Card 4111 1111 1111 1111, mail a.b@example.org, call +1 415 555 0100 now.';
    for (const size of [1, 2, 3, 5, 7, 11]) {
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
      fake.reply('fake:primary', { text, chunks });
      const { text: streamed, result } = await collect(sb.stream({ bot: 'support', messages: [{ role: 'user', content: 'x' }] }));
      expect(streamed).not.toMatch(/4111|a\.b@example|555 0100/);
      expect(streamed).toBe(result.text);
      expect(streamed).toContain('[EMAIL]');
    }
  });

  it('falls back to the next model when the primary fails, and reports it', async () => {
    const fallbacks: unknown[] = [];
    sb.events.on('fallback', (event) => void fallbacks.push(event));
    fake.fail('fake:primary', { status: 500, message: 'down' });
    fake.reply('fake:backup', { text: 'from backup' });
    const result = await sb.chat({ bot: 'support', messages: [{ role: 'user', content: 'q' }] });
    expect(result).toMatchObject({ text: 'from backup', model: 'fake:backup', attempts: 2 });
    expect(fallbacks).toHaveLength(1);
  });

  it('does not fall back on an invalid request', async () => {
    fake.fail('fake:primary', { status: 400, message: 'bad' });
    await expect(sb.chat({ bot: 'support', messages: [{ role: 'user', content: 'q' }] })).rejects.toBeInstanceOf(InvalidRequestError);
    expect(fake.calls.map((c) => c.model)).toEqual(['fake:primary']);
  });

  it('streams fall back before the first delta, and are interrupted after it', async () => {
    fake.fail('fake:primary', { status: 503 });
    fake.reply('fake:backup', { text: 'safe answer', chunks: ['safe ', 'answer'] });
    const { result } = await collect(sb.stream({ bot: 'support', messages: [{ role: 'user', content: 'q' }] }));
    expect(result.model).toBe('fake:backup');

    fake.fail('fake:primary', { interruptAfterChunks: 1, reply: { text: 'partial text', chunks: ['partial ', 'text'] } });
    const error = await collect(sb.stream({ bot: 'support', messages: [{ role: 'user', content: 'q' }] })).catch((e) => e);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect(error.partialText).toBe('partial ');
  });

  it('applies bot then session adapters in order, and releases them when the session ends', async () => {
    const session = await sb.sessions.start({ bot: 'support', userId: 'u1', tenantId: 't1' });
    sb.adapters.activateForBot('support', 'prefix-suffix', { prefix: '[bot]' });
    sb.adapters.activateForSession(session.id, 'prefix-suffix', { prefix: '[session]' });
    expect(sb.adapters.activeFor({ bot: 'support', sessionId: session.id })).toEqual(['pii-redact', 'prefix-suffix', 'prefix-suffix']);
    fake.reply('fake:primary', { text: 'ok' });
    const result = await sb.chat({ sessionId: session.id, messages: [{ role: 'user', content: 'q' }] });
    expect(result.text).toBe('[session][bot]ok');
    expect(fake.calls.at(-1)).toMatchObject({ bot: 'support', sessionId: session.id, tenantId: 't1' });
    await sb.sessions.end(session.id);
    expect(sb.adapters.activeFor({ bot: 'support', sessionId: session.id })).toEqual(['pii-redact', 'prefix-suffix']);
    await expect(sb.chat({ sessionId: session.id, messages: [{ role: 'user', content: 'q' }] })).rejects.toBeInstanceOf(InvalidRequestError);
  });

  it('a throwing adapter gives AdapterError naming it', async () => {
    sb.adapters.register('boom', () => ({ name: 'boom', transformOutput: () => { throw new Error('kaput'); } }));
    sb.adapters.activateForBot('support', 'boom');
    fake.reply('fake:primary', { text: 'x' });
    const error = await sb.chat({ bot: 'support', messages: [{ role: 'user', content: 'q' }] }).catch((e) => e);
    expect(error).toBeInstanceOf(AdapterError);
    expect(error.message).toContain('boom');
  });

  it('max-length stops reading the upstream stream once it has its text', async () => {
    sb.bots.define('short', { model: 'fake:long', adapters: [{ name: 'max-length', options: { maxChars: 12 } }] });
    fake.reply('fake:long', { text: 'one two three four five six seven', chunks: ['one ', 'two ', 'three ', 'four ', 'five ', 'six ', 'seven'], chunkDelayMs: 5 });
    const { text, result } = await collect(sb.stream({ bot: 'short', prompt: 'go' }));
    expect(text.length).toBeLessThanOrEqual(12);
    expect(result.finishReason).toBe('length');
  });

  it('refuses bad requests before any provider call', async () => {
    const bad: unknown[] = [
      { prompt: 'no target' },
      { model: 'fake:x', bot: 'support', prompt: 'two targets' },
      { model: 'fake:x', messages: [{ role: 'robot', content: 'x' }] },
      { model: 'fake:x', messages: [] },
      { model: 'fake:x', prompt: 'x', params: { temperature: 9 } },
      { model: 'fake:x', prompt: 'x', params: { topK: 3 } },
      { model: 'nope', prompt: 'x' },
      { bot: 'ghost', prompt: 'x' },
      { sessionId: 'missing', prompt: 'x' },
    ];
    for (const request of bad) {
      await expect(sb.chat(request as never).catch((e) => { throw e; })).rejects.toMatchObject({ name: expect.stringMatching(/InvalidRequestError|NoSuchProviderError/) });
    }
    expect(fake.calls).toHaveLength(0);
  });

  it('refuses a prompt larger than the context window with ContextLengthError', async () => {
    const small = new FakeProvider({ provider: 'tiny', contextWindow: 50 });
    sb.registry.register(small);
    await expect(sb.generate({ model: 'tiny:m', prompt: 'word '.repeat(400) })).rejects.toBeInstanceOf(ContextLengthError);
    expect(small.calls).toHaveLength(0);
  });

  it('rejects with AbortError when the caller aborts', async () => {
    fake.reply('fake:slow', { text: 'late', delayMs: 5000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    await expect(sb.generate({ model: 'fake:slow', prompt: 'x', signal: controller.signal })).rejects.toBeInstanceOf(AbortError);
  });

  it('batch keeps order and returns failures as values', async () => {
    fake.reply('fake:a', { text: 'A' });
    fake.fail('fake:b', { status: 500 });
    fake.reply('fake:c', { text: 'C' });
    const results = await sb.batch([
      { model: 'fake:a', prompt: '1' },
      { model: 'fake:b', prompt: '2' },
      { model: 'fake:c', messages: [{ role: 'user', content: '3' }] },
    ]);
    expect((results[0] as GenerateResult).text).toBe('A');
    expect(results[1]).toBeInstanceOf(ProviderError);
    expect((results[2] as GenerateResult).text).toBe('C');
  });

  it('counts stats per model and bot', async () => {
    fake.reply('fake:primary', { text: 'x', usage: { inputTokens: 3, outputTokens: 4 } });
    await sb.chat({ bot: 'support', messages: [{ role: 'user', content: 'q' }] });
    const stats = sb.stats();
    expect(stats.requests).toBeGreaterThanOrEqual(1);
    expect(stats.byBot.support.requests).toBe(1);
    expect(stats.byModel['fake:primary']).toMatchObject({ requests: 1, inputTokens: 3, outputTokens: 4 });
    expect(stats.loadedModels).toContain('fake:primary');
  });
});

describe('Switchboard response cache and budgets', () => {
  it('serves a repeated request from the cache, scoped by tenant, and skips it on cache:false', async () => {
    const fake = new FakeProvider();
    const sb = await createSwitchboard({
      config: { ...quiet, responseCache: { enabled: true }, bots: { b: { model: 'fake:m', adapters: [{ name: 'prefix-suffix', options: { prefix: '> ' } }] } } },
      managers: [fake],
    });
    try {
      fake.setDefaultReply({ text: 'answer', usage: { inputTokens: 2, outputTokens: 1 } });
      const first = await sb.chat({ bot: 'b', messages: [{ role: 'user', content: 'same' }] });
      const second = await sb.chat({ bot: 'b', messages: [{ role: 'user', content: 'same' }] });
      expect(first.cached).toBe(false);
      expect(second).toMatchObject({ cached: true, text: '> answer', attempts: 0, costUsd: 0 });
      expect(fake.calls).toHaveLength(1);
      const third = await sb.chat({ bot: 'b', messages: [{ role: 'user', content: 'same' }], cache: false });
      expect(third.cached).toBe(false);
      const s1 = await sb.sessions.start({ bot: 'b', tenantId: 'tenant-1' });
      const s2 = await sb.sessions.start({ bot: 'b', tenantId: 'tenant-2' });
      await sb.chat({ sessionId: s1.id, messages: [{ role: 'user', content: 'same' }] });
      const other = await sb.chat({ sessionId: s2.id, messages: [{ role: 'user', content: 'same' }] });
      expect(other.cached).toBe(false);
      const streamed = await collect(sb.stream({ bot: 'b', messages: [{ role: 'user', content: 'same' }] }));
      expect(streamed.result.cached).toBe(true);
    } finally {
      await sb.close();
    }
  });

  it('refuses a call that would exceed a bot budget', async () => {
    const fake = new FakeProvider({ pricing: { m: { inputPerMTok: 1_000_000, outputPerMTok: 1_000_000 } } });
    const sb = await createSwitchboard({
      config: { ...quiet, bots: { spender: { model: 'fake:m', params: { maxTokens: 10 }, budget: { usdPerDay: 30 } } } },
      managers: [fake],
    });
    try {
      fake.setDefaultReply({ text: 'x', usage: { inputTokens: 5, outputTokens: 5 } });
      await sb.generate({ bot: 'spender', prompt: 'a' });
      await sb.generate({ bot: 'spender', prompt: 'a' });
      await expect(sb.generate({ bot: 'spender', prompt: 'a' })).rejects.toBeInstanceOf(BudgetExceededError);
    } finally {
      await sb.close();
    }
  });
});

describe('Switchboard settles every candidate, however a call ends', () => {
  it('a stream left after its first delta frees the half-open probe slot at once', async () => {
    const fake = new FakeProvider();
    const sb = await createSwitchboard({
      config: { ...quiet, resilience: { ...quiet.resilience, circuitBreaker: { failureThreshold: 1, cooldownMs: 1000 } } },
      managers: [fake],
    });
    try {
      fake.fail('fake:p', { status: 500 });
      await expect(sb.generate({ model: 'fake:p', prompt: 'x' })).rejects.toBeInstanceOf(ProviderError);
      await expect(sb.generate({ model: 'fake:p', prompt: 'x' })).rejects.toBeInstanceOf(CircuitOpenError);
      await new Promise((resolve) => setTimeout(resolve, 1050));
      // This stream is the probe; its consumer leaves after the first delta.
      fake.reply('fake:p', { text: 'one two three', chunks: ['one ', 'two ', 'three'] });
      for await (const part of sb.stream({ model: 'fake:p', prompt: 'x' })) {
        if (part.type === 'text-delta') break;
      }
      // The abandoned probe said nothing about the model: the next caller probes instead of waiting a cooldown.
      fake.reply('fake:p', { text: 'fine' });
      await expect(sb.generate({ model: 'fake:p', prompt: 'x' })).resolves.toMatchObject({ text: 'fine' });
    } finally {
      await sb.close();
    }
  });

  it('a stream that fails or is left after its first delta keeps its worst case against the budget', async () => {
    // $1 a token; each call may cost 5 prompt + 10 output tokens = $15; the day allows $30.
    const fake = new FakeProvider({ pricing: { m: { inputPerMTok: 1_000_000, outputPerMTok: 1_000_000 } } });
    const sb = await createSwitchboard({
      config: { ...quiet, bots: { spender: { model: 'fake:m', params: { maxTokens: 10 }, budget: { usdPerDay: 30 } } } },
      managers: [fake],
    });
    try {
      fake.fail('fake:m', { interruptAfterChunks: 1, reply: { text: 'a b c', chunks: ['a ', 'b ', 'c'] } });
      await expect(collect(sb.stream({ bot: 'spender', prompt: 'a' }))).rejects.toBeInstanceOf(StreamInterruptedError);
      fake.reply('fake:m', { text: 'a b c', chunks: ['a ', 'b ', 'c'] });
      for await (const part of sb.stream({ bot: 'spender', prompt: 'a' })) {
        if (part.type === 'text-delta') break;
      }
      // Both upstream answers were paid for in part, at an unknown price: the budget counts their maximum.
      await expect(sb.generate({ bot: 'spender', prompt: 'a' })).rejects.toBeInstanceOf(BudgetExceededError);
    } finally {
      await sb.close();
    }
  });

  it('a stream whose upstream finished is charged its real cost even if the consumer leaves during the adapters\' tail', async () => {
    // $1 a token; the estimate is 5 prompt + 10 output tokens = $15, the real answer costs $20; the day allows $30.
    const fake = new FakeProvider({ pricing: { m: { inputPerMTok: 1_000_000, outputPerMTok: 1_000_000 } } });
    const sb = await createSwitchboard({
      config: {
        ...quiet,
        bots: { tail: { model: 'fake:m', params: { maxTokens: 10 }, budget: { usdPerDay: 30 }, adapters: [{ name: 'prefix-suffix', options: { suffix: ' -- bot' } }] } },
      },
      managers: [fake],
    });
    try {
      fake.reply('fake:m', { text: '', usage: { inputTokens: 20, outputTokens: 0 } });
      for await (const part of sb.stream({ bot: 'tail', prompt: 'a' })) {
        if (part.type === 'text-delta') break;
      }
      await expect(sb.generate({ bot: 'tail', prompt: 'a' })).rejects.toBeInstanceOf(BudgetExceededError);
    } finally {
      await sb.close();
    }
  });

  it('an abort with a reason of the caller\'s own is AbortError and never falls back', async () => {
    const fake = new FakeProvider();
    const sb = await createSwitchboard({ config: { ...quiet, bots: { b: { model: 'fake:one', fallbacks: ['fake:two'] } } }, managers: [fake] });
    try {
      await expect(sb.chat({ bot: 'b', messages: [{ role: 'user', content: 'q' }], signal: AbortSignal.abort(new Error('user left')) })).rejects.toBeInstanceOf(AbortError);
      const stream = sb.stream({ bot: 'b', prompt: 'q', signal: AbortSignal.abort(new DOMException('late', 'TimeoutError')) });
      await expect(collect(stream)).rejects.toBeInstanceOf(AbortError);
      expect(fake.calls).toHaveLength(0);
    } finally {
      await sb.close();
    }
  });

  it('close() refuses calls still waiting for a rate-limit permit or a concurrency slot', async () => {
    const fake = new FakeProvider();
    const sb = await createSwitchboard({
      config: { ...quiet, resilience: { ...quiet.resilience, maxConcurrency: 2, rateLimits: { fake: { requestsPerMinute: 1, maxWaitMs: 120_000 } } } },
      managers: [fake],
    });
    fake.reply('fake:m', { text: 'first', delayMs: 300 });
    const first = sb.generate({ model: 'fake:m', prompt: 'x' });
    const waitingForPermit = sb.generate({ model: 'fake:m', prompt: 'x' }).catch((e) => e);
    const waitingForSlot = sb.generate({ model: 'fake:m', prompt: 'x' }).catch((e) => e);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = sb.close();
    const outcomes = await Promise.race([
      Promise.all([waitingForPermit, waitingForSlot]),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 2000)),
    ]);
    await closed;
    expect(outcomes).toEqual([expect.any(AbortError), expect.any(AbortError)]);
    await expect(first).resolves.toMatchObject({ text: 'first' });
    expect(fake.calls).toHaveLength(1);
  });

  it('batch refuses a request that is not an object with InvalidRequestError', async () => {
    const fake = new FakeProvider();
    const sb = await createSwitchboard({ config: quiet, managers: [fake] });
    try {
      const results = await sb.batch(['hello' as never, null as never]);
      expect(results[0]).toBeInstanceOf(InvalidRequestError);
      expect(results[1]).toBeInstanceOf(InvalidRequestError);
    } finally {
      await sb.close();
    }
  });
});

describe('Switchboard hot path', () => {
  it('resolves a model\'s info once per call, streams included', async () => {
    class CountingFake extends FakeProvider {
      lookups = 0;
      override getModelInfo(modelId: string) {
        this.lookups++;
        return super.getModelInfo(modelId);
      }
    }
    const fake = new CountingFake({ pricing: { m: { inputPerMTok: 1, outputPerMTok: 1 } } });
    const sb = await createSwitchboard({ config: quiet, managers: [fake] });
    try {
      const result = await sb.generate({ model: 'fake:m', prompt: 'x' });
      expect(result.costUsd).not.toBeNull();
      expect(fake.lookups).toBe(1);
      fake.lookups = 0;
      const streamed = await collect(sb.stream({ model: 'fake:m', prompt: 'x' }));
      expect(streamed.result.costUsd).not.toBeNull();
      expect(fake.lookups).toBe(1);
    } finally {
      await sb.close();
    }
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSwitchboard, type Switchboard } from '../../../src/index.js';
import { FakeProvider, fakeEmbedding } from '../../../src/testing/index.js';

// What a platform's own test does: register the fake at run time, script it, call through bots and sessions.
describe('FakeProvider registered on a switchboard', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fake-sb-'));
  const fake = new FakeProvider({ pricing: { echo: { inputPerMTok: 2, outputPerMTok: 4 } } });
  let sb: Switchboard;

  beforeAll(async () => {
    sb = await createSwitchboard({ config: { models: {}, resilience: { maxRetries: 0 } }, env: {}, cwd: dir });
    sb.registry.register(fake);
    sb.bots.define('support', { model: 'fake:primary', fallbacks: ['fake:echo'], system: 'Be brief.' });
  });
  afterAll(async () => {
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a model call with scripted text, usage and cost', async () => {
    fake.reply('fake:echo', { text: 'hi', usage: { inputTokens: 1_000, outputTokens: 1_000 } });
    const result = await sb.generate({ model: 'fake:echo', prompt: 'hello' });
    expect(result).toMatchObject({ text: 'hi', model: 'fake:echo', usage: { totalTokens: 2_000 }, costUsd: 0.006 });
    expect(sb.registry.listProviders()).toContainEqual({ name: 'fake', ready: true });
  });

  it('a failing primary falls back to the next model of the bot, inside a session', async () => {
    fake.reset();
    fake.fail('primary', { status: 500, message: 'primary down' });
    fake.reply('echo', { chunks: ['from ', 'fallback'] });
    const session = await sb.sessions.start({ bot: 'support', userId: 'u-1' });
    const deltas: string[] = [];
    for await (const part of sb.stream({ sessionId: session.id, messages: [{ role: 'user', content: 'help' }] })) {
      if (part.type === 'text-delta') deltas.push(part.text);
      else if (part.type === 'finish') expect(part.result).toMatchObject({ model: 'fake:echo', text: 'from fallback' });
    }
    expect(deltas.join('')).toBe('from fallback');
    expect(fake.calls.map((call) => call.model)).toEqual(['fake:primary', 'fake:echo']);
    expect(fake.calls[1]).toMatchObject({ bot: 'support', sessionId: session.id, userId: 'u-1' });
    expect(fake.calls[1]!.messages[0]).toEqual({ role: 'system', content: 'Be brief.' });
    await sb.sessions.end(session.id);
    expect(await sb.sessions.get(session.id)).toBeUndefined();
  });

  it('embeds with deterministic vectors, in batches, with dimensions, and fails as scripted', async () => {
    const batching = new FakeProvider({ provider: 'fakeemb', embedBatchSize: 2 });
    sb.registry.register(batching);
    const input = ['one', 'two', 'three'];
    const result = await sb.embed({ model: 'fakeemb:vec', input, dimensions: 4, cache: false });
    expect(result.embeddings).toEqual(input.map((text) => fakeEmbedding(text, 4)));
    expect(result.embeddings[0]!.reduce((sum, value) => sum + value * value, 0)).toBeCloseTo(1, 12);
    expect(batching.embedCalls.map((call) => call.input)).toEqual([['one', 'two'], ['three']]);
    expect(fakeEmbedding('one')).toHaveLength(8);
    expect(fakeEmbedding('one')).not.toEqual(fakeEmbedding('two'));

    batching.fail('vec', { status: 400, message: 'bad input' });
    await expect(sb.embed({ model: 'fakeemb:vec', input: 'x', cache: false })).rejects.toMatchObject({ name: 'InvalidRequestError' });
    expect(batching.pending()).toBe(0);
  });
});

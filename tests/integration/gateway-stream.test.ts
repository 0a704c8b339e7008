/**
 * Gateway streaming through the official `openai` SDK: OpenAI's chunk sequence with the usage chunk,
 * adapters on a stream, text completion streams, failures before the first delta (an HTTP error) and
 * after it (an error in the SDK's iterator, never a silent end), and client aborts reaching the provider.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import type { CallContext, ProviderRequest, ProviderResult, ProviderStreamPart } from '../../src/core/types.js';
import { silentLogger } from '../../src/core/logger.js';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { FakeProvider } from '../../src/testing/index.js';

/** A FakeProvider that keeps the signal of every attempt, to see upstream cancellation. */
class SignalSpyProvider extends FakeProvider {
  readonly signals: AbortSignal[] = [];
  protected override doGenerate(model: { name: string }, request: ProviderRequest, context: CallContext): Promise<ProviderResult> {
    this.signals.push(context.signal);
    return super.doGenerate(model, request, context);
  }
  protected override doStream(model: { name: string }, request: ProviderRequest, context: CallContext): AsyncIterable<ProviderStreamPart> {
    this.signals.push(context.signal);
    return super.doStream(model, request, context);
  }
}

async function until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const KEY = 'gw-stream-Hk29Qz81Lm47Vb';

describe('gateway streaming', () => {
  const fake = new SignalSpyProvider();
  let gw: Gateway;
  let client: OpenAI;

  beforeAll(async () => {
    gw = await startGateway({
      config: {
        resilience: { maxRetries: 0 },
        bots: { shouty: { model: 'fake:primary', adapters: [{ name: 'prefix-suffix', options: { prefix: '>> ', suffix: ' <<' } }] } },
        server: { apiKeys: [{ key: KEY, tenant: 't1' }] },
      },
      env: { NODE_ENV: 'test' },
      managers: [fake],
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
    });
    client = new OpenAI({ apiKey: KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await gw.close();
  });
  beforeEach(() => {
    fake.reset();
    fake.signals.length = 0;
  });

  it('streams OpenAI chunks: role first, deltas, finish, usage chunk, then [DONE]', async () => {
    fake.reply('fake:story', { chunks: ['Once ', 'upon ', 'a time.'], usage: { inputTokens: 7, outputTokens: 3, cacheReadTokens: 2 } });
    const stream = await client.chat.completions.create({ model: 'fake:story', messages: [{ role: 'user', content: 'tell me' }], stream: true, stream_options: { include_usage: true } });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '' });
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk' && chunk.model === 'fake:story')).toBe(true);
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('Once upon a time.');
    const finish = chunks.at(-2)!;
    expect(finish.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect((finish as unknown as { x_switchboard: Record<string, unknown> }).x_switchboard).toMatchObject({ model: 'fake:story', attempts: 1, cached: false });
    const usage = chunks.at(-1)!;
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toEqual({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10, prompt_tokens_details: { cached_tokens: 2 }, completion_tokens_details: { reasoning_tokens: 0 } });
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
    expect(fake.calls[0]!.stream).toBe(true);
  });

  it('ends the raw SSE body with data: [DONE] and sends no usage chunk unless asked', async () => {
    fake.reply('fake:raw', { chunks: ['a', 'b'] });
    const response = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fake:raw', stream: true, messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const frames = (await response.text()).trim().split('\n\n');
    expect(frames.at(-1)).toBe('data: [DONE]');
    const objects = frames.slice(0, -1).map((frame) => JSON.parse(frame.replace(/^data: /, '')) as { choices: unknown[]; usage?: unknown });
    expect(objects).toHaveLength(4);
    expect(objects.every((object) => object.choices.length === 1 && !('usage' in object))).toBe(true);
  });

  it('applies a bot adapter to the stream and continues its session', async () => {
    fake.reply('fake:primary', { chunks: ['calm ', 'words'] });
    const stream = await client.chat.completions.create({ model: 'bot:shouty', messages: [{ role: 'user', content: 'x' }], stream: true }, { headers: { 'X-Session-Id': 'stream-session' } });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('>> calm words <<');
    expect(fake.calls[0]).toMatchObject({ bot: 'shouty', sessionId: 'stream-session', tenantId: 't1' });
  });

  it('streams text completions', async () => {
    fake.reply('fake:writer', { chunks: ['roses ', 'are ', 'red'], usage: { inputTokens: 2, outputTokens: 3 } });
    const stream = await client.completions.create({ model: 'fake:writer', prompt: 'poem', stream: true, stream_options: { include_usage: true } });
    const chunks: OpenAI.Completion[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.choices[0]?.text ?? '').join('')).toBe('roses are red');
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.at(-1)!.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 });
  });

  it('reports a failure before the first delta as an HTTP error', async () => {
    fake.fail('fake:down', { status: 503 });
    const failure = client.chat.completions.create({ model: 'fake:down', messages: [{ role: 'user', content: 'x' }], stream: true });
    await expect(failure).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(failure).rejects.toMatchObject({ status: 502, code: 'upstream_error' });
  });

  it('reports a failure after the first delta as an error from the iterator, not a short answer', async () => {
    fake.fail('fake:cut', { interruptAfterChunks: 2, reply: { chunks: ['one ', 'two ', 'three'] } });
    const stream = await client.chat.completions.create({ model: 'fake:cut', messages: [{ role: 'user', content: 'x' }], stream: true });
    let text = '';
    const failure = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((error: unknown) => error);
    expect(text).toBe('one two ');
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(failure).toMatchObject({ code: 'stream_interrupted', type: 'api_error' });
  });

  it('aborts the upstream call when a JSON client goes away', async () => {
    fake.reply('fake:slow', { text: 'late', delayMs: 20_000 });
    const controller = new AbortController();
    const pending = client.chat.completions.create({ model: 'fake:slow', messages: [{ role: 'user', content: 'x' }] }, { signal: controller.signal });
    await until(() => fake.signals.length === 1);
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(OpenAI.APIUserAbortError);
    await until(() => fake.signals[0]!.aborted);
  });

  it('aborts the upstream stream when the client stops reading', async () => {
    fake.reply('fake:trickle', { chunks: Array.from({ length: 50 }, (_, index) => `w${index} `), chunkDelayMs: 50 });
    const stream = await client.chat.completions.create({ model: 'fake:trickle', messages: [{ role: 'user', content: 'x' }], stream: true });
    let seen = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) seen++;
      if (seen === 2) break;
    }
    await until(() => fake.signals[0]!.aborted);
    await until(() => gw.switchboard.stats().active === 0);
  });
});

import { describe, expect, it } from '@jest/globals';
import {
  AbortError,
  AuthenticationError,
  ContextLengthError,
  InvalidRequestError,
  LLMError,
  NoSuchModelError,
  ProviderError,
  RateLimitError,
  StreamInterruptedError,
  TimeoutError,
} from '../../../src/core/errors.js';
import type { CallContext, CallIdentity, ManagedResult, ManagedStreamPart, ProviderRequest } from '../../../src/core/types.js';
import { FakeProvider } from '../../../src/testing/index.js';
import { makeManagerDeps } from '../../helpers/manager-deps.js';

function request(modelId: string, content = 'hello there world', extra: Partial<ProviderRequest> = {}): ProviderRequest {
  return { modelId, operation: 'chat', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content }], params: {}, ...extra };
}
const context = (signal: AbortSignal = new AbortController().signal, caller?: CallIdentity): CallContext => (caller ? { signal, caller } : { signal });

async function collect(stream: AsyncIterable<ManagedStreamPart>): Promise<{ deltas: string[]; result?: ManagedResult }> {
  const deltas: string[] = [];
  let result: ManagedResult | undefined;
  for await (const part of stream) {
    if (part.type === 'text-delta') deltas.push(part.text);
    else if (part.type === 'finish') result = part.result;
  }
  return { deltas, result };
}

async function failureOf(promise: Promise<unknown>): Promise<LLMError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(LLMError.isInstance(error)).toBe(true);
  return error as LLMError;
}

describe('FakeProvider through BaseLLMManager', () => {
  it('answers a scripted reply with its usage, and prices it', async () => {
    const fake = new FakeProvider({ deps: makeManagerDeps(), pricing: { echo: { inputPerMTok: 1, outputPerMTok: 2 } } });
    fake.reply('fake:echo', { text: 'hi', usage: { inputTokens: 1_000, outputTokens: 500 }, finishReason: 'length', responseModel: 'echo-2024' });
    const result = await fake.generateResponse(request('echo'), context());
    expect(result).toMatchObject({ text: 'hi', model: 'fake:echo', finishReason: 'length', responseModel: 'echo-2024', attempts: 1, usageReported: true });
    expect(result.usage).toEqual({ inputTokens: 1_000, outputTokens: 500, totalTokens: 1_500 });
    expect(result.costUsd).toBeCloseTo(0.002, 12);
    expect(fake.pending()).toBe(0);
  });

  it('echoes the last user message by default, with word counts as usage and no price', async () => {
    const fake = new FakeProvider({ deps: makeManagerDeps() });
    const result = await fake.generateResponse(request('any'), context());
    expect(result.text).toBe('hello there world');
    expect(result.usage).toEqual({ inputTokens: 5, outputTokens: 3, totalTokens: 8 });
    expect(result.costUsd).toBeNull();
  });

  it('usage: null means the provider reported none', async () => {
    const fake = new FakeProvider({ deps: makeManagerDeps(), pricing: { m: { inputPerMTok: 1, outputPerMTok: 1 } } });
    fake.reply('m', { text: 'x', usage: null });
    const result = await fake.generateResponse(request('m'), context());
    expect(result.usageReported).toBe(false);
    expect(result.costUsd).toBeNull();
  });

  it('queues are per model and consumed in order; the default takes over when empty', async () => {
    const fake = new FakeProvider({ deps: makeManagerDeps(), defaultReply: { text: 'default' } });
    fake.reply('fake:a', { text: 'a1' }).reply('a', { text: 'a2' }).reply('b', { text: 'b1' });
    expect(fake.pending('a')).toBe(2);
    expect(fake.pending()).toBe(3);
    const texts = [];
    for (const model of ['a', 'b', 'a', 'a', 'b']) texts.push((await fake.generateResponse(request(model), context())).text);
    expect(texts).toEqual(['a1', 'b1', 'a2', 'default', 'default']);
  });

  it('streams scripted chunks, then one finish carrying the joined text and usage', async () => {
    const fake = new FakeProvider({ deps: makeManagerDeps() });
    fake.reply('s', { chunks: ['Hel', 'lo', ', wor', 'ld'], usage: { inputTokens: 7, outputTokens: 4 }, chunkDelayMs: 1 });
    const { deltas, result } = await collect(fake.streamResponse(request('s'), context()));
    expect(deltas).toEqual(['Hel', 'lo', ', wor', 'ld']);
    expect(result).toMatchObject({ text: 'Hello, world', usage: { inputTokens: 7, outputTokens: 4, totalTokens: 11 } });
  });

  it('streams unchunked text word by word, joining back exactly', async () => {
    const fake = new FakeProvider({ deps: makeManagerDeps() });
    fake.reply('s', { text: '  one two\nthree  ' });
    const { deltas, result } = await collect(fake.streamResponse(request('s'), context()));
    expect(deltas).toEqual(['  one ', 'two\n', 'three  ']);
    expect(result?.text).toBe('  one two\nthree  ');
  });

  it.each([
    [{ status: 401, message: 'bad key' }, AuthenticationError],
    [{ status: 404 }, NoSuchModelError],
    [{ status: 400, message: 'maximum context length exceeded', code: 'context_length_exceeded' }, ContextLengthError],
    [{ status: 400, message: 'bad temperature' }, InvalidRequestError],
    [{ status: 500 }, ProviderError],
  ])('maps a scripted HTTP failure %j like a real provider', async (failure, type) => {
    const fake = new FakeProvider({ deps: makeManagerDeps() });
    fake.fail('m', failure);
    const error = await failureOf(fake.generateResponse(request('m'), context()));
    expect(error).toBeInstanceOf(type);
    expect(error.provider).toBe('fake');
    expect(error.model).toBe('m');
    fake.fail('m', failure);
    const streamed = await failureOf(collect(fake.streamResponse(request('m'), context())));
    expect(streamed).toBeInstanceOf(type);
  });

  it('a 429 carries its Retry-After, and the base retries it', async () => {
    const fake = new FakeProvider({ deps: makeManagerDeps({ resilience: { maxRetries: 1 } }) });
    fake.fail('m', { status: 429, headers: { 'retry-after-ms': '15' } }).reply('m', { text: 'second time' });
    const result = await fake.generateResponse(request('m'), context());
    expect(result).toMatchObject({ text: 'second time', attempts: 2 });
    expect(fake.calls).toHaveLength(2);

    const once = new FakeProvider({ deps: makeManagerDeps() });
    once.fail('m', { status: 429, headers: { 'retry-after': '2' } });
    const error = await failureOf(once.generateResponse(request('m'), context()));
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfterMs).toBe(2_000);
  });

  it('throws a scripted LLMError as it is', async () => {
    const fake = new FakeProvider({ deps: makeManagerDeps() });
    const scripted = new ContextLengthError('too long for the fake');
    fake.fail('m', scripted);
    expect(await failureOf(fake.generateResponse(request('m'), context()))).toBe(scripted);
  });

  it('a stream cut after n chunks is a StreamInterruptedError with the partial text', async () => {
    const fake = new FakeProvider({ deps: makeManagerDeps({ resilience: { maxRetries: 2 } }) });
    fake.fail('m', { interruptAfterChunks: 2, reply: { chunks: ['a', 'b', 'c'] } });
    const deltas: string[] = [];
    const error = await failureOf(
      (async () => {
        for await (const part of fake.streamResponse(request('m'), context())) if (part.type === 'text-delta') deltas.push(part.text);
      })(),
    );
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect((error as StreamInterruptedError).partialText).toBe('ab');
    expect(deltas).toEqual(['a', 'b']);
    // Not retried after the first delta.
    expect(fake.calls).toHaveLength(1);
  });

  it('an interruption before any chunk, or on generate, is a retryable connection failure', async () => {
    const fake = new FakeProvider({ deps: makeManagerDeps({ resilience: { maxRetries: 1 } }) });
    fake.fail('m', { interruptAfterChunks: 0 }).reply('m', { text: 'ok' });
    const { result } = await collect(fake.streamResponse(request('m'), context()));
    expect(result).toMatchObject({ text: 'ok', attempts: 2 });

    fake.fail('g', { interruptAfterChunks: 1 });
    fake.fail('g', { interruptAfterChunks: 1 });
    const error = await failureOf(fake.generateResponse(request('g'), context()));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.retryable).toBe(true);
    expect(fake.calls.filter((call) => call.modelId === 'g')).toHaveLength(2);
  });

  it('aborting during a reply delay rejects with AbortError at once', async () => {
    const fake = new FakeProvider({ deps: makeManagerDeps() });
    fake.reply('slow', { text: 'late', delayMs: 10_000 });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 20);
    const error = await failureOf(fake.generateResponse(request('slow'), context(controller.signal)));
    expect(error).toBeInstanceOf(AbortError);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('aborting between stream chunks stops the stream with AbortError', async () => {
    const fake = new FakeProvider({ deps: makeManagerDeps() });
    fake.reply('slow', { chunks: ['first', 'second'], chunkDelayMs: 10_000 });
    const controller = new AbortController();
    const deltas: string[] = [];
    const error = await failureOf(
      (async () => {
        for await (const part of fake.streamResponse(request('slow'), context(controller.signal))) {
          if (part.type === 'text-delta') {
            deltas.push(part.text);
            controller.abort();
          }
        }
      })(),
    );
    expect(error).toBeInstanceOf(AbortError);
    expect(deltas).toEqual(['first']);
  });

  it('a delay longer than the call timeout gives TimeoutError', async () => {
    const fake = new FakeProvider({ deps: makeManagerDeps() });
    fake.reply('slow', { text: 'late', delayMs: 10_000 });
    const error = await failureOf(fake.generateResponse(request('slow', 'hi', { params: { timeoutMs: 30 } }), context()));
    expect(error).toBeInstanceOf(TimeoutError);
  });

  it('records each attempt with its messages, params and call context; reset forgets', async () => {
    const fake = new FakeProvider({ deps: makeManagerDeps() });
    const req = request('m', 'question', { params: { temperature: 0.3, maxTokens: 9 }, operation: 'text_completion' });
    await fake.generateResponse(req, context(undefined, { bot: 'support', sessionId: 's1', tenantId: 't1' }));
    await collect(fake.streamResponse(request('n'), context()));
    req.messages[1]!.content = 'mutated later';
    expect(fake.calls).toEqual([
      {
        model: 'fake:m',
        modelId: 'm',
        operation: 'text_completion',
        messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'question' }],
        params: { temperature: 0.3, maxTokens: 9 },
        rich: {},
        stream: false,
        bot: 'support',
        sessionId: 's1',
        tenantId: 't1',
      },
      expect.objectContaining({ model: 'fake:n', stream: true }),
    ]);
    fake.reply('m', { text: 'x' });
    fake.reset();
    expect(fake.calls).toEqual([]);
    expect(fake.pending()).toBe(0);
  });

  it('with a model list, other models are NoSuchModelError; listModels shows listed and priced ones', async () => {
    const fake = new FakeProvider({ deps: makeManagerDeps(), models: ['known'], pricing: { priced: { inputPerMTok: 1, outputPerMTok: 1 } }, contextWindow: 4096 });
    expect((await fake.generateResponse(request('known'), context())).text).toBe('hello there world');
    expect(await failureOf(fake.generateResponse(request('unknown'), context()))).toBeInstanceOf(NoSuchModelError);
    const listed = await fake.listModels();
    expect(listed.map((info) => info.id).sort()).toEqual(['fake:known', 'fake:priced']);
    expect(listed.find((info) => info.id === 'fake:priced')).toMatchObject({ contextWindow: 4096, pricing: { inputPerMTok: 1, outputPerMTok: 1 } });
  });

  it('loads models through the model cache and unloads them on eviction', async () => {
    const deps = makeManagerDeps({ modelCache: { max: 1 } });
    const fake = new FakeProvider({ deps });
    await fake.generateResponse(request('one'), context());
    await fake.generateResponse(request('one'), context());
    await fake.generateResponse(request('two'), context());
    expect(fake.loads).toEqual(['one', 'two']);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(fake.unloads).toEqual(['one']);
  });

  it('a not-ready fake fails with AuthenticationError before any attempt', async () => {
    const fake = new FakeProvider({ deps: makeManagerDeps(), notReady: 'set FAKE_KEY' });
    expect(fake.status()).toEqual({ name: 'fake', ready: false, reason: 'set FAKE_KEY' });
    await expect(fake.generateResponse(request('m'), context())).rejects.toBeInstanceOf(AuthenticationError);
    expect(fake.calls).toEqual([]);
  });

  it('built without deps, it works once attached (what registry.register does)', async () => {
    const fake = new FakeProvider({ provider: 'mock' });
    expect(fake.provider).toBe('mock');
    expect(fake.isAttached).toBe(false);
    fake.reply('mock:m', { text: 'attached' });
    await expect(fake.generateResponse(request('m'), context())).rejects.toThrow(/not registered/);
    fake.attach(makeManagerDeps());
    expect((await fake.generateResponse(request('m'), context())).text).toBe('attached');
  });

  it('refuses a malformed script when it is written', () => {
    const fake = new FakeProvider();
    expect(() => fake.reply('m', { text: 'abc', chunks: ['a', 'b'] })).toThrow(/chunks must join to text/);
    expect(() => fake.reply('m', { delayMs: -1 })).toThrow(/delayMs/);
    expect(() => fake.fail('m', { status: 200 })).toThrow(/400-599/);
    expect(() => fake.fail('m', { interruptAfterChunks: -1 })).toThrow(/interruptAfterChunks/);
    expect(() => fake.reply('', {})).toThrow(InvalidRequestError);
  });
});

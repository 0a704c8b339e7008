/**
 * Chains through the whole stack: each step an ordinary call through the real OpenAI SDK to the
 * loopback fake, the bot step with its system prompt, usage and cost summed, a failing middle step
 * stopping the chain, and the spans (real OTel SDK, in-memory exporter, the async-hooks context
 * manager an application's SDK installs): one chain span, each step's call spans beneath it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createSwitchboard, InvalidRequestError, PromptTemplate, ProviderError, type StreamPart, type Switchboard } from '../../src/index.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';
import { makeHarness, type Harness } from '../unit/telemetry/otel-harness.js';

/** What `promise` rejects with; fails the test when it resolves. */
async function rejection<E extends Error = Error>(promise: Promise<unknown>): Promise<E> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as E,
  );
}

// config/models.json: gpt-4o-mini $0.15 / $0.60, gpt-4o $2.50 / $10 per million input / output tokens.
const cost = (input: number, output: number, inPrice: number, outPrice: number) => (input * inPrice + output * outPrice) / 1e6;

describe('chains (OpenAI SDK -> loopback fake)', () => {
  let server: FakeOpenAIServer;
  let harness: Harness;
  let sb: Switchboard;
  const contextManager = new AsyncLocalStorageContextManager();

  beforeAll(async () => {
    server = await FakeOpenAIServer.start({ apiKey: 'sk-chain-test-canary-123456' });
    harness = makeHarness();
    // The library's spans come from the global providers, as in an application that installed an SDK.
    trace.setGlobalTracerProvider(harness.tracerProvider);
    context.setGlobalContextManager(contextManager.enable());
    sb = await createSwitchboard({
      config: {
        telemetry: { logLevel: 'silent' },
        resilience: { maxRetries: 0 },
        providers: { openai: { apiKey: 'sk-chain-test-canary-123456', baseURL: server.baseURL } },
        bots: { translator: { model: 'openai:gpt-4o', system: 'You are a careful translator. Answer as {"text": "..."}.' } },
      },
      env: {},
    });
  });
  beforeEach(() => {
    server.reset();
    harness.spans.reset();
  });
  afterAll(async () => {
    await sb.close();
    await server.close();
    trace.disable();
    context.disable();
    await harness.shutdown();
  });

  const twoSteps = () =>
    sb.chain([
      { prompt: new PromptTemplate('Translate to French: {text}'), model: 'openai:gpt-4o-mini', outputKey: 'french' },
      { prompt: 'Translate from French to German: {french}', bot: 'translator', outputKey: 'german', params: { temperature: 0 } },
    ]);
  const userText = (index: number) => (server.requests[index]!.body as { messages: Array<{ role: string; content: string }> }).messages.at(-1)!.content;
  const byName = (name: string): ReadableSpan[] => harness.finished().filter((span) => span.name === name);
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

  it('runs the steps in order, each seeing the earlier outputs, and sums usage and cost', async () => {
    server.script('gpt-4o-mini', { text: 'Bonjour', usage: { promptTokens: 12, completionTokens: 2 } });
    server.script('gpt-4o', { text: 'Guten Tag', usage: { promptTokens: 40, completionTokens: 3, cachedTokens: 0 } });
    const result = await twoSteps().run({ text: 'Hello' });

    expect(result.outputs).toEqual({ french: 'Bonjour', german: 'Guten Tag' });
    expect(result.results.map((r) => r.model)).toEqual(['openai:gpt-4o-mini', 'openai:gpt-4o']);
    expect(result.usage).toEqual({ inputTokens: 52, outputTokens: 5, totalTokens: 57 });
    const expected = cost(12, 2, 0.15, 0.6) + cost(40, 3, 2.5, 10);
    expect(result.costUsd).toBeCloseTo(expected, 12);
    expect(result.costUsd).toBeCloseTo(result.results[0]!.costUsd! + result.results[1]!.costUsd!, 12);

    expect(server.requests.map((r) => (r.body as { model: string }).model)).toEqual(['gpt-4o-mini', 'gpt-4o']);
    expect(userText(0)).toBe('Translate to French: Hello');
    expect(userText(1)).toBe('Translate from French to German: Bonjour');
    const second = (server.requests[1]!.body as { messages: Array<{ role: string; content: string }>; temperature?: number });
    expect(second.messages[0]).toEqual({ role: 'system', content: 'You are a careful translator. Answer as {"text": "..."}.' });
    expect(second.temperature).toBe(0);

    // One chain span; the model step's inference span and the bot step's agent span are its children.
    const [chainSpan] = byName('invoke_workflow chain');
    expect(byName('invoke_workflow chain')).toHaveLength(1);
    expect(chainSpan!.kind).toBe(SpanKind.INTERNAL);
    expect(chainSpan!.attributes).toMatchObject({ 'gen_ai.operation.name': 'invoke_workflow', 'gen_ai.workflow.name': 'chain', 'switchboard.chain.steps': 2, 'gen_ai.request.stream': false });
    expect(chainSpan!.attributes['switchboard.cost.usd']).toBeCloseTo(expected, 12);
    const [mini] = byName('chat gpt-4o-mini');
    const [agent] = byName('invoke_agent translator');
    const [big] = byName('chat gpt-4o');
    expect(parentOf(mini!)).toBe(chainSpan!.spanContext().spanId);
    expect(parentOf(agent!)).toBe(chainSpan!.spanContext().spanId);
    expect(parentOf(big!)).toBe(agent!.spanContext().spanId);
    expect(new Set([mini, agent, big, chainSpan].map((span) => span!.spanContext().traceId)).size).toBe(1);
    expect(chainSpan!.events.map((event) => event.attributes)).toEqual([
      { 'switchboard.chain.step.index': 0, 'switchboard.chain.step.output_key': 'french', 'switchboard.model': 'openai:gpt-4o-mini' },
      { 'switchboard.chain.step.index': 1, 'switchboard.chain.step.output_key': 'german', 'switchboard.model': 'openai:gpt-4o' },
    ]);
    // No prompt or answer text on any span without content capture.
    for (const span of harness.finished()) {
      expect(JSON.stringify(span.attributes)).not.toMatch(/Hello|Bonjour|Guten|translator\. Answer/);
      expect(JSON.stringify(span.events)).not.toMatch(/Hello|Bonjour|Guten/);
    }
  });

  it('streams the last step after running the earlier ones', async () => {
    server.script('gpt-4o-mini', { text: 'Bonne nuit', usage: { promptTokens: 10, completionTokens: 3 } });
    server.script('gpt-4o', { text: 'Gute Nacht', chunks: ['Gute', ' Nacht'], usage: { promptTokens: 30, completionTokens: 2 } });
    const parts: StreamPart[] = [];
    for await (const part of twoSteps().stream({ text: 'Good night' })) parts.push(part);

    expect(parts.filter((p) => p.type === 'text-delta').map((p) => (p as { text: string }).text)).toEqual(['Gute', ' Nacht']);
    const finish = parts.at(-1) as Extract<StreamPart, { type: 'finish' }>;
    expect(finish.type).toBe('finish');
    expect(finish.result).toMatchObject({ text: 'Gute Nacht', model: 'openai:gpt-4o', usage: { inputTokens: 30, outputTokens: 2 } });
    expect(server.requests.map((r) => (r.body as { stream?: boolean }).stream ?? false)).toEqual([false, true]);
    expect(userText(1)).toBe('Translate from French to German: Bonne nuit');

    const [chainSpan] = byName('invoke_workflow chain');
    expect(chainSpan!.attributes).toMatchObject({ 'gen_ai.request.stream': true });
    expect(chainSpan!.attributes['switchboard.cost.usd']).toBeCloseTo(cost(10, 3, 0.15, 0.6) + cost(30, 2, 2.5, 10), 12);
    expect(parentOf(byName('chat gpt-4o-mini')[0]!)).toBe(chainSpan!.spanContext().spanId);
    const agent = byName('invoke_agent translator')[0]!;
    expect(parentOf(agent)).toBe(chainSpan!.spanContext().spanId);
    expect(parentOf(byName('chat gpt-4o')[0]!)).toBe(agent.spanContext().spanId);
    expect(chainSpan!.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('a failing middle step rejects with its own kind of error naming the step, and no later step runs', async () => {
    const chain = sb.chain([
      { prompt: 'Summarise: {text}', model: 'openai:gpt-4o-mini', outputKey: 'summary' },
      { prompt: 'Translate: {summary}', bot: 'translator', outputKey: 'german' },
      { prompt: 'Rate: {german}', model: 'openai:gpt-4o-mini', outputKey: 'rating' },
    ]);
    server.script('gpt-4o-mini', { text: 'Short.' }, { text: 'never used' });
    server.script('gpt-4o', { kind: 'status', status: 500, message: 'upstream exploded' });
    const error = await rejection<ProviderError>(chain.run({ text: 'A long story' }));

    expect(ProviderError.isInstance(error)).toBe(true);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.code).toBe('provider_error');
    expect(error.status).toBe(500);
    expect(error.message).toMatch(/^Chain step 1 \("german"\) failed: /);
    expect(error.message).toContain('upstream exploded');
    expect(server.requestCount).toBe(2);
    expect(server.pending('gpt-4o-mini')).toBe(1);

    const [chainSpan] = byName('invoke_workflow chain');
    expect(chainSpan!.status).toMatchObject({ code: SpanStatusCode.ERROR });
    expect(chainSpan!.status.message).toMatch(/^Chain step 1 \("german"\) failed/);
    expect(chainSpan!.attributes).toMatchObject({ 'error.type': 'provider_error', 'switchboard.chain.step.index': 1, 'switchboard.chain.step.output_key': 'german' });
    expect(chainSpan!.events).toHaveLength(1);
    expect(parentOf(byName('invoke_agent translator')[0]!)).toBe(chainSpan!.spanContext().spanId);
  });

  it('a streamed chain whose last step fails throws from the iterator, naming the step', async () => {
    server.script('gpt-4o-mini', { text: 'Salut' });
    server.script('gpt-4o', { kind: 'status', status: 500, message: 'no stream today' });
    const seen: StreamPart[] = [];
    const failure = await rejection(
      (async () => {
        for await (const part of twoSteps().stream({ text: 'Hi' })) seen.push(part);
      })(),
    );
    expect(ProviderError.isInstance(failure)).toBe(true);
    expect(failure.message).toMatch(/^Chain step 1 \("german"\) failed: /);
    expect(seen).toEqual([]);
    expect(byName('invoke_workflow chain')[0]!.attributes['error.type']).toBe('provider_error');
  });

  it('leaving a streamed chain early aborts the last step and ends the chain span as aborted', async () => {
    server.script('gpt-4o-mini', { text: 'Salut' });
    server.script('gpt-4o', { text: 'one two three four', chunks: ['one ', 'two ', 'three ', 'four'], chunkDelayMs: 20 });
    for await (const part of twoSteps().stream({ text: 'Hi' })) {
      if (part.type === 'text-delta') break;
    }
    const [chainSpan] = byName('invoke_workflow chain');
    expect(chainSpan!.attributes).toMatchObject({ 'error.type': 'aborted', 'switchboard.chain.step.index': 1 });
    expect(byName('invoke_agent translator')[0]!.attributes['error.type']).toBe('aborted');
    expect(sb.stats().active).toBe(0);
  });

  it('refuses bad variables before any call, and reports a null cost when a step has no price', async () => {
    const chain = twoSteps();
    await expect(chain.run({})).rejects.toThrow('steps[0] ("french") uses the variable "text": give it to run(), or name an earlier step\'s outputKey');
    expect(() => chain.stream({ text: ['not', 'text'] })).toThrow(InvalidRequestError);
    expect(server.requestCount).toBe(0);
    expect(harness.finished()).toHaveLength(0);

    const unpriced = sb.chain([
      { prompt: 'One: {text}', model: 'openai:gpt-4o-mini', outputKey: 'one' },
      { prompt: 'Two: {one}', model: 'openai:house-model-without-price', outputKey: 'two' },
    ]);
    server.script('gpt-4o-mini', { text: 'a', usage: { promptTokens: 5, completionTokens: 1 } });
    server.script('house-model-without-price', { text: 'b', usage: { promptTokens: 6, completionTokens: 1 } });
    const result = await unpriced.run({ text: 'x' }, { tenantId: 'acme' });
    expect(result.costUsd).toBeNull();
    expect(result.results[0]!.costUsd).not.toBeNull();
    expect(result.usage).toEqual({ inputTokens: 11, outputTokens: 2, totalTokens: 13 });
    expect(byName('invoke_workflow chain')[0]!.attributes['switchboard.cost.usd']).toBeUndefined();
  });

  it('records the first prompt and the last answer on the chain span only with content capture on, scrubbed', async () => {
    const capturing = await createSwitchboard({
      config: {
        telemetry: { logLevel: 'silent', captureContent: true },
        resilience: { maxRetries: 0 },
        providers: { openai: { apiKey: 'sk-chain-test-canary-123456', baseURL: server.baseURL } },
      },
      env: {},
    });
    try {
      server.script('gpt-4o-mini', { text: 'Bonjour' }, { text: 'Hallo' });
      await capturing
        .chain(
          [
            { prompt: 'Translate to French: {text}', model: 'openai:gpt-4o-mini', outputKey: 'french' },
            { prompt: 'To German: {french}', model: 'openai:gpt-4o-mini', outputKey: 'german' },
          ],
          { name: 'translate' },
        )
        .run({ text: 'Hello, my key is sk-chain-test-canary-123456' });
    } finally {
      await capturing.close();
    }
    const [chainSpan] = byName('invoke_workflow translate');
    expect(chainSpan!.attributes['gen_ai.workflow.name']).toBe('translate');
    const input = JSON.parse(chainSpan!.attributes['gen_ai.input.messages'] as string) as unknown;
    expect(input).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'Translate to French: Hello, my key is [REDACTED]' }] }]);
    const output = JSON.parse(chainSpan!.attributes['gen_ai.output.messages'] as string) as unknown;
    expect(output).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Hallo' }], finish_reason: 'stop' }]);
  });

  it('an aborted signal stops the chain with AbortError naming the step', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await rejection<Error & { code: string }>(twoSteps().run({ text: 'Hi' }, { signal: controller.signal }));
    expect(error.code).toBe('aborted');
    expect(error.message).toMatch(/^Chain step 0 \("french"\) failed/);
    expect(server.requestCount).toBe(0);
  });

  it("a switchboard given its own tracerProvider puts the chain span there, with the steps' spans beneath it", async () => {
    const own = makeHarness();
    const local = await createSwitchboard({
      tracerProvider: own.tracerProvider,
      config: { telemetry: { logLevel: 'silent' }, resilience: { maxRetries: 0 }, providers: { openai: { apiKey: 'sk-chain-test-canary-123456', baseURL: server.baseURL } } },
      env: {},
    });
    try {
      server.script('gpt-4o-mini', { text: 'Un' });
      server.script('gpt-4o-mini', { text: 'Eins' });
      await local.chain([
        { prompt: 'One: {text}', model: 'openai:gpt-4o-mini', outputKey: 'french' },
        { prompt: 'Two: {french}', model: 'openai:gpt-4o-mini', outputKey: 'german' },
      ]).run({ text: 'One' });
      const spans = own.finished();
      const chainSpan = spans.find((span) => span.name === 'invoke_workflow chain');
      expect(chainSpan).toBeDefined();
      const steps = spans.filter((span) => span.name === 'chat gpt-4o-mini');
      expect(steps).toHaveLength(2);
      for (const step of steps) expect(step.parentSpanContext?.spanId).toBe(chainSpan!.spanContext().spanId);
      // Nothing of this switchboard's reached the global provider.
      expect(byName('invoke_workflow chain')).toHaveLength(0);
    } finally {
      await local.close();
      await own.shutdown();
    }
  });
});

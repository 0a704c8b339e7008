/**
 * Span structure and attributes (TELEMETRY.md "Spans"), driven through the real BaseLLMManager
 * template method and the pipeline-side CallRecorder.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { AuthenticationError, RateLimitError } from '../../../src/core/errors.js';
import { makeUsage } from '../../../src/core/usage.js';
import type { CallOutcome } from '../../../src/telemetry/observer.js';
import { CannedManager, PRICED, callContext, chatRequest, drain, makeHarness, type Harness } from './otel-harness.js';

let harness: Harness;
afterEach(async () => {
  await harness.shutdown();
});

describe('inference span', () => {
  it('names a successful chat `chat {model}`, CLIENT, with request, response, usage and cost attributes', async () => {
    harness = makeHarness();
    const usage = makeUsage({ inputTokens: 1200, outputTokens: 300, cacheReadTokens: 1000, reasoningTokens: 100 });
    const manager = new CannedManager(harness.telemetry.observer, [{ kind: 'answer', text: 'hi', usage, id: 'resp-1', responseModel: 'priced-2025' }], { catalog: PRICED });
    const result = await manager.generateResponse(
      chatRequest('priced', { temperature: 0.2, maxTokens: 64, topP: 0.9, topK: 40, frequencyPenalty: 0.1, presencePenalty: 0.3, stop: 'END', seed: 7 }),
      callContext(),
    );

    const [span] = harness.finished();
    expect(harness.finished()).toHaveLength(1);
    expect(span!.name).toBe('chat priced');
    expect(span!.kind).toBe(SpanKind.CLIENT);
    expect(span!.status.code).not.toBe(SpanStatusCode.ERROR);
    // (200 fresh × 0.15 + 1000 × 0.075 + 300 × 0.6) / 1e6
    expect(result.costUsd).toBeCloseTo(0.000285, 12);
    expect(span!.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'canned',
      'gen_ai.request.model': 'priced',
      'gen_ai.request.stream': false,
      'server.address': '127.0.0.1',
      'server.port': 8080,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.max_tokens': 64,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.top_k': 40,
      'gen_ai.request.frequency_penalty': 0.1,
      'gen_ai.request.presence_penalty': 0.3,
      'gen_ai.request.stop_sequences': ['END'],
      'gen_ai.request.seed': 7,
      'gen_ai.response.id': 'resp-1',
      'gen_ai.response.model': 'priced-2025',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.output_tokens': 300,
      'gen_ai.usage.cache_read.input_tokens': 1000,
      'gen_ai.usage.reasoning.output_tokens': 100,
      'switchboard.cost.usd': result.costUsd,
      'switchboard.attempts': 1,
    });
  });

  it('is INTERNAL for an in-process model and omits usage and cost that were not reported or priced', async () => {
    harness = makeHarness();
    const manager = new CannedManager(harness.telemetry.observer, [{ kind: 'answer', text: 'hi' }], { provider: 'local', inProcess: true });
    const result = await manager.generateResponse(chatRequest('tiny'), callContext());
    expect(result.costUsd).toBeNull();
    const [span] = harness.finished();
    expect(span!.kind).toBe(SpanKind.INTERNAL);
    expect(span!.name).toBe('chat tiny');
    const keys = Object.keys(span!.attributes);
    expect(keys.filter((k) => k.startsWith('gen_ai.usage.'))).toEqual([]);
    expect(keys).not.toContain('switchboard.cost.usd');
    expect(keys).not.toContain('server.address');
  });

  it('records a retried attempt as a `retry` event on the same span, not a new span', async () => {
    harness = makeHarness();
    const manager = new CannedManager(
      harness.telemetry.observer,
      [
        { kind: 'error', error: new RateLimitError('slow down', { retryAfterMs: 5 }) },
        { kind: 'answer', text: 'ok', usage: makeUsage({ inputTokens: 3, outputTokens: 1 }) },
      ],
      { maxRetries: 1 },
    );
    const result = await manager.generateResponse(chatRequest('m'), callContext());
    expect(result.attempts).toBe(2);
    const spans = harness.finished();
    expect(spans).toHaveLength(1);
    expect(spans[0]!.events.map((e) => ({ name: e.name, attributes: e.attributes }))).toEqual([
      { name: 'retry', attributes: { attempt: 1, 'error.type': 'rate_limit', delay_ms: 5 } },
    ]);
    expect(spans[0]!.attributes['switchboard.attempts']).toBe(2);
  });

  it('marks a failure with error.type and status ERROR, message scrubbed', async () => {
    harness = makeHarness();
    const manager = new CannedManager(harness.telemetry.observer, [
      { kind: 'error', error: new AuthenticationError('Incorrect API key provided: sk-abcdefghijklmnop1234') },
    ]);
    await expect(manager.generateResponse(chatRequest('m'), callContext())).rejects.toBeInstanceOf(AuthenticationError);
    const [span] = harness.finished();
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.attributes['error.type']).toBe('authentication');
    expect(span!.status.message).toContain('Incorrect API key');
    expect(span!.status.message).not.toContain('sk-abcdefghijklmnop1234');
  });

  it('records time to first chunk and stream=true for a stream', async () => {
    harness = makeHarness();
    const manager = new CannedManager(harness.telemetry.observer, [{ kind: 'stream', deltas: ['a', 'b'], usage: makeUsage({ inputTokens: 2, outputTokens: 2 }) }]);
    const parts = await drain(manager.streamResponse(chatRequest('m'), callContext()));
    expect(parts.at(-1)).toMatchObject({ type: 'finish' });
    const [span] = harness.finished();
    expect(span!.attributes['gen_ai.request.stream']).toBe(true);
    const ttfc = span!.attributes['gen_ai.response.time_to_first_chunk'] as number;
    expect(typeof ttfc).toBe('number');
    expect(ttfc).toBeGreaterThanOrEqual(0);
    expect(ttfc).toBeLessThan(5);
  });

  it('ends the span with an error when the consumer stops a stream early', async () => {
    harness = makeHarness();
    const manager = new CannedManager(harness.telemetry.observer, [{ kind: 'stream', deltas: ['a', 'b', 'c'] }]);
    for await (const part of manager.streamResponse(chatRequest('m'), callContext())) {
      if (part.type === 'text-delta') break;
    }
    const [span] = harness.finished();
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.attributes['error.type']).toBe('aborted');
  });
});

describe('agent span', () => {
  const outcome = (model: string, costUsd: number | null): CallOutcome => ({
    id: 'resp-9',
    text: 'hello',
    model,
    usage: makeUsage({ inputTokens: 10, outputTokens: 5 }),
    costUsd,
    cached: false,
    attempts: 2,
    adapters: ['pii-redact', 'max-length'],
    latencyMs: 12,
    finishReason: 'stop',
  });

  it('parents the inference spans of a bot call under `invoke_agent {bot}`', async () => {
    harness = makeHarness();
    const { observer } = harness.telemetry;
    const call = observer.startCall({ operation: 'chat', stream: false, bot: 'support', sessionId: 'sess-42', model: 'canned:primary', messages: [{ role: 'user', content: 'hi' }], params: {} });
    expect(call.parent).toBeDefined();
    const primary = new CannedManager(observer, [{ kind: 'error', error: new AuthenticationError('no') }]);
    await expect(primary.generateResponse(chatRequest('primary'), callContext({ bot: 'support', telemetryParent: call.parent }))).rejects.toThrow();
    call.fallback('canned:primary', 'canned:priced', new AuthenticationError('no'));
    const backup = new CannedManager(observer, [{ kind: 'answer', text: 'hello', usage: makeUsage({ inputTokens: 10, outputTokens: 5 }) }], { catalog: PRICED });
    const result = await backup.generateResponse(chatRequest('priced'), callContext({ bot: 'support', telemetryParent: call.parent }));
    call.end(outcome('canned:priced', result.costUsd));

    const spans = harness.finished();
    const agent = spans.find((s) => s.name === 'invoke_agent support')!;
    const children = spans.filter((s) => s.name.startsWith('chat '));
    expect(agent.kind).toBe(SpanKind.INTERNAL);
    expect(children.map((s) => s.name).sort()).toEqual(['chat priced', 'chat primary']);
    for (const child of children) {
      expect(child.parentSpanContext?.spanId).toBe(agent.spanContext().spanId);
      expect(child.spanContext().traceId).toBe(agent.spanContext().traceId);
    }
    expect(agent.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'support',
      'gen_ai.conversation.id': 'sess-42',
      'gen_ai.provider.name': 'canned',
      'gen_ai.request.model': 'primary',
      'switchboard.cost.usd': result.costUsd,
      'switchboard.cache.hit': false,
      'switchboard.adapters': ['pii-redact', 'max-length'],
      'switchboard.attempts': 2,
      'switchboard.fallback.model': 'canned:priced',
    });
  });

  it('makes no agent span for a plain model call, and its inference span is a root', async () => {
    harness = makeHarness();
    const { observer } = harness.telemetry;
    const call = observer.startCall({ operation: 'chat', stream: false, model: 'canned:m', messages: [], params: {} });
    expect(call.parent).toBeUndefined();
    const manager = new CannedManager(observer, [{ kind: 'answer', text: 'x' }]);
    await manager.generateResponse(chatRequest('m'), callContext({ telemetryParent: call.parent }));
    call.end(outcome('canned:m', null));
    const spans = harness.finished();
    expect(spans.map((s) => s.name)).toEqual(['chat m']);
    expect(spans[0]!.parentSpanContext).toBeUndefined();
  });

  it('marks a failed bot call ERROR with attempts, and a cached answer with cache.hit and no fallback model', () => {
    harness = makeHarness();
    const { observer } = harness.telemetry;
    const failed = observer.startCall({ operation: 'chat', stream: true, bot: 'b', model: 'canned:m', messages: [], params: {} });
    failed.fail(new RateLimitError('busy'), 3);
    failed.end(outcome('canned:m', 1)); // after fail: ignored
    const cached = observer.startCall({ operation: 'chat', stream: false, bot: 'b', model: 'canned:m', messages: [], params: {} });
    cached.cacheLookup(true);
    cached.end({ ...outcome('canned:m', null), cached: true, attempts: 0 });

    const [first, second] = harness.finished();
    expect(harness.finished()).toHaveLength(2);
    expect(first!.status.code).toBe(SpanStatusCode.ERROR);
    expect(first!.attributes).toMatchObject({ 'error.type': 'rate_limit', 'switchboard.attempts': 3, 'gen_ai.request.stream': true });
    expect(first!.attributes).not.toHaveProperty('switchboard.cache.hit');
    expect(second!.attributes).toMatchObject({ 'switchboard.cache.hit': true, 'switchboard.attempts': 0 });
    expect(second!.attributes).not.toHaveProperty('switchboard.fallback.model');
    expect(second!.attributes).not.toHaveProperty('switchboard.cost.usd');
  });
});

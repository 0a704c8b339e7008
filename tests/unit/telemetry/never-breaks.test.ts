/**
 * Telemetry never breaks a call: a throwing span processor, span exporter, metric reader, event
 * listener or logger leaves every result unchanged; the failure is logged; recorders settle once.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Context } from '@opentelemetry/api';
import { SimpleSpanProcessor, type ReadableSpan, type Span, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { RateLimitError } from '../../../src/core/errors.js';
import type { ManagedResult } from '../../../src/core/types.js';
import { makeUsage } from '../../../src/core/usage.js';
import { noopObserver, type CallObserver } from '../../../src/telemetry/observer.js';
import { createTelemetry } from '../../../src/telemetry/telemetry.js';
import { CannedManager, PRICED, callContext, chatRequest, drain, makeHarness, recordingLogger, type Harness, type Script } from './otel-harness.js';

class ThrowingProcessor implements SpanProcessor {
  onStart(_span: Span, _context: Context): void {
    throw new Error('span processor exploded on start');
  }
  onEnd(_span: ReadableSpan): void {
    throw new Error('span processor exploded on end');
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

const throwingExporter: SpanExporter = {
  export() {
    throw new Error('exporter exploded');
  },
  async shutdown() {},
};

const script = (): Script[] => [
  { kind: 'error', error: new RateLimitError('busy', { retryAfterMs: 1 }) },
  { kind: 'answer', text: 'answer', usage: makeUsage({ inputTokens: 40, outputTokens: 8 }), id: 'id-1', responseModel: 'priced-x' },
  { kind: 'stream', deltas: ['str', 'eam'], usage: makeUsage({ inputTokens: 4, outputTokens: 2 }), id: 'id-2' },
];

/** A bot call, a retried generate and a stream through `observer`; latency aside, what the caller got. */
async function runCalls(observer: CallObserver): Promise<unknown> {
  const call = observer.startCall({ operation: 'chat', stream: false, bot: 'support', sessionId: 's', model: 'canned:priced', messages: [], params: {} });
  call.cacheLookup(false);
  const manager = new CannedManager(observer, script(), { catalog: PRICED, maxRetries: 1 });
  const ctx = callContext({ bot: 'support', telemetryParent: call.parent });
  const generated = await manager.generateResponse(chatRequest('priced'), ctx);
  call.fallback('canned:other', 'canned:priced', new RateLimitError('busy'));
  call.end({ id: 'id-1', text: generated.text, model: generated.model, usage: generated.usage, costUsd: generated.costUsd, cached: false, attempts: 2, adapters: [], latencyMs: 1, finishReason: 'stop' });
  const streamed = await drain(manager.streamResponse(chatRequest('priced'), ctx));
  const strip = ({ latencyMs: _ignored, ...rest }: ManagedResult) => rest;
  return {
    generated: strip(generated),
    streamed: streamed.map((part) => (part.type === 'finish' ? { type: 'finish', result: strip(part.result) } : part)),
  };
}

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.shutdown();
  harness = undefined;
});

describe('telemetry failures never reach the call', () => {
  it('gives the same results with throwing span processors, exporters, metric readers and listeners', async () => {
    const expected = await runCalls(noopObserver);
    harness = makeHarness({
      spanProcessors: [new SimpleSpanProcessor(throwingExporter), new ThrowingProcessor()],
      readerOptions: {
        aggregationSelector: () => {
          throw new Error('metric reader exploded');
        },
      },
    });
    for (const name of ['call.finished', 'call.failed', 'retry', 'fallback', 'cache.hit'] as const) {
      harness.telemetry.events.on(name, () => {
        throw new Error(`listener of ${name} exploded`);
      });
    }
    const actual = await runCalls(harness.telemetry.observer);
    expect(actual).toEqual(expected);

    const messages = harness.logger.lines.map((l) => JSON.stringify(l));
    expect(messages.some((m) => m.includes('span processor exploded'))).toBe(true);
    expect(messages.some((m) => m.includes('metric reader exploded'))).toBe(true);
    expect(messages.some((m) => m.includes('listener of retry exploded'))).toBe(true);
    // Stats are a separate step: they still counted everything.
    const stats = harness.telemetry.stats.snapshot([]);
    expect(stats.byModel['canned:priced']).toMatchObject({ requests: 2, errors: 0, inputTokens: 44, outputTokens: 10 });
    expect(stats.requests).toBe(1);
  });

  it('survives a logger that throws too', async () => {
    const expected = await runCalls(noopObserver);
    const explode = () => {
      throw new Error('logger exploded');
    };
    harness = makeHarness({ spanProcessors: [new ThrowingProcessor()] });
    const telemetry = createTelemetry({
      tracerProvider: harness.tracerProvider,
      meterProvider: harness.meterProvider,
      logger: { debug: explode, info: explode, warn: explode, error: explode },
    });
    telemetry.events.on('call.finished', explode);
    expect(await runCalls(telemetry.observer)).toEqual(expected);
  });

  it('logs a rejecting async listener without an unhandled rejection', async () => {
    const logger = recordingLogger();
    const telemetry = createTelemetry({ logger });
    telemetry.events.on('cache.hit', async () => {
      throw new Error('async listener rejected');
    });
    const call = telemetry.observer.startCall({ operation: 'chat', stream: false, bot: 'b', model: 'p:m', messages: [], params: {} });
    call.cacheLookup(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(logger.lines.some((l) => JSON.stringify(l).includes('async listener rejected'))).toBe(true);
  });

  it('thins out repeated failure logs', () => {
    const logger = recordingLogger();
    harness = makeHarness({ spanProcessors: [new ThrowingProcessor()], telemetry: { logger } });
    for (let i = 0; i < 50; i++) harness.telemetry.observer.startCall({ operation: 'chat', stream: false, bot: 'b', model: 'p:m', messages: [], params: {} });
    expect(logger.lines.length).toBe(10);
  });
});

describe('recorders settle once', () => {
  it('ignores a second end or fail and reports after settling', async () => {
    harness = makeHarness();
    const { observer, stats } = harness.telemetry;
    const inference = observer.startInference({ operation: 'chat', provider: 'p', model: 'm', request: chatRequest('m'), stream: false, inProcess: false });
    const result: ManagedResult = { text: 'x', finishReason: 'stop', model: 'p:m', toolCalls: [], usage: makeUsage({ inputTokens: 1, outputTokens: 1 }), usageReported: true, costUsd: null, attempts: 1, latencyMs: 3 };
    inference.end(result);
    inference.end(result);
    inference.fail(new RateLimitError('late'));
    inference.retry(2, new RateLimitError('late'), 10);
    expect(harness.finished()).toHaveLength(1);
    expect(harness.finished()[0]!.events).toHaveLength(0);
    expect(stats.snapshot([]).byModel['p:m']).toMatchObject({ requests: 1, errors: 0 });
    const duration = await harness.metric('gen_ai.client.operation.duration');
    expect(duration?.dataPoints).toHaveLength(1);
  });
});

/**
 * Deprecations act through a whole switchboard: a call naming a deprecated catalog model warns once
 * per model per switchboard and emits one `model.deprecated`; with `redirectDeprecated: true` the call
 * goes to the replacement, and the result, the events, the stats and the inference span name it.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createSwitchboard } from '../../src/create-switchboard.js';
import type { Switchboard } from '../../src/switchboard.js';
import type { ModelDeprecatedEvent } from '../../src/telemetry/events.js';
import { FakeProvider } from '../../src/testing/index.js';
import { recordingLogger } from '../unit/telemetry/otel-harness.js';

const CATALOG = {
  'fake:old': { contextWindow: 4096, deprecated: { since: '2025-06-01', replacement: 'new' }, pricing: { inputPerMTok: 1, outputPerMTok: 1 } },
  'fake:new': { contextWindow: 8192, pricing: { inputPerMTok: 2, outputPerMTok: 2 } },
  'fake:gone': { deprecated: {} },
};

const open: Switchboard[] = [];
afterAll(async () => {
  await Promise.all(open.map((sb) => sb.close()));
});

async function setUp(redirectDeprecated: boolean) {
  const fake = new FakeProvider();
  const logger = recordingLogger();
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const sb = await createSwitchboard({
    configFile: [],
    env: {},
    logger,
    tracerProvider,
    managers: [fake],
    config: { models: CATALOG, redirectDeprecated, bots: { helper: { model: 'fake:old', fallbacks: ['fake:gone'] } } },
  });
  open.push(sb);
  const events: ModelDeprecatedEvent[] = [];
  sb.events.on('model.deprecated', (event) => {
    events.push(event);
  });
  const warnings = () => logger.lines.filter((line) => line.level === 'warn' && line.message.includes('deprecated'));
  return { sb, fake, events, warnings, exporter };
}

const ask = { messages: [{ role: 'user' as const, content: 'hi' }] };

describe('deprecated catalog models', () => {
  it('warn once per model per switchboard and emit one event naming the replacement; calls still go as named', async () => {
    const { sb, fake, events, warnings } = await setUp(false);
    for (let i = 0; i < 3; i++) expect((await sb.chat({ model: 'fake:old', ...ask })).model).toBe('fake:old');
    await sb.chat({ bot: 'helper', ...ask });
    expect(fake.calls.map((call) => call.model)).toEqual(['fake:old', 'fake:old', 'fake:old', 'fake:old']);
    // The bot's fallback is deprecated too (with no replacement): one warning for it as well.
    expect(events).toEqual([
      { model: 'fake:old', since: '2025-06-01', replacement: 'fake:new', redirected: false },
      { model: 'fake:gone', redirected: false },
    ]);
    expect(warnings().map((line) => line.message)).toEqual([
      'fake:old is deprecated since 2025-06-01; use fake:new, or set redirectDeprecated: true',
      'fake:gone is deprecated; the catalog names no replacement',
    ]);

    // Another switchboard has its own warned set.
    const other = await setUp(false);
    await other.sb.chat({ model: 'fake:old', ...ask });
    expect(other.events).toHaveLength(1);
  });

  it('with redirectDeprecated the call goes to the replacement, and every report names the model called', async () => {
    const { sb, fake, events, exporter } = await setUp(true);
    const finished: string[] = [];
    sb.events.on('call.finished', (event) => {
      finished.push(event.model);
    });
    const result = await sb.chat({ model: 'fake:old', ...ask });
    expect(result.model).toBe('fake:new');
    const parts: string[] = [];
    for await (const part of sb.stream({ bot: 'helper', ...ask })) if (part.type === 'finish') parts.push(part.result.model);
    expect(parts).toEqual(['fake:new']);
    expect(fake.calls.map((call) => call.model)).toEqual(['fake:new', 'fake:new']);
    expect(finished).toEqual(['fake:new', 'fake:new']);
    expect(events).toEqual([
      { model: 'fake:old', since: '2025-06-01', replacement: 'fake:new', redirected: true },
      { model: 'fake:gone', redirected: false },
    ]);
    const stats = sb.stats();
    expect(Object.keys(stats.byModel)).toEqual(['fake:new']);
    expect(stats.byModel['fake:new']!.requests).toBe(2);
    expect(exporter.getFinishedSpans().map((span) => span.name).filter((name) => name.startsWith('chat '))).toEqual(['chat new', 'chat new']);
  });
});

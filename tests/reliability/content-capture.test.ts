/**
 * RELIABILITY.md row "content capture off (default)": 0 message-content attributes
 * (gen_ai.input.messages, gen_ai.output.messages, gen_ai.system_instructions) on any span, and the
 * text of prompts, system prompts and answers under no other attribute or span event either.
 * Calls of every shape go through createSwitchboard and the real SDKs against the fake servers.
 * The same run with `telemetry.captureContent: true` shows the attributes do appear when asked for.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Switchboard } from '../../src/switchboard.js';
import { makeHarness, type Harness } from '../unit/telemetry/otel-harness.js';
import { chaosSwitchboard, drainStream, startChaosServers, type ChaosServers } from './helpers.js';

const CONTENT_ATTRIBUTES = ['gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.system_instructions'];
/** Words that occur only in message content (the fake servers echo the user's text back). */
const MARKERS = { system: 'Quillfeather', user: 'Marrowbyte', reply: 'Thistlewick' };

/** Every attribute key and value on a span and on its events. */
function attributesOf(span: ReadableSpan): Array<[string, string]> {
  const out: Array<[string, string]> = Object.entries(span.attributes).map(([key, value]) => [key, JSON.stringify(value)]);
  for (const event of span.events) {
    out.push([`event ${event.name}`, event.name]);
    for (const [key, value] of Object.entries(event.attributes ?? {})) out.push([`${event.name}.${key}`, JSON.stringify(value)]);
  }
  return out;
}

describe('reliability: content capture', () => {
  let servers: ChaosServers;
  const opened: Array<{ sb: Switchboard; harness: Harness }> = [];

  afterAll(async () => {
    for (const { sb, harness } of opened) {
      await sb.close();
      await harness.shutdown();
    }
    await servers?.close();
  });

  /** Run calls of every shape and return the finished spans. */
  async function spansOfAllShapes(captureContent: boolean | undefined): Promise<ReadableSpan[]> {
    servers ??= await startChaosServers();
    const harness = makeHarness();
    const sb = await chaosSwitchboard(
      servers,
      {
        bots: { quiet: { model: 'openai:gpt-content', fallbacks: ['anthropic:claude-content'], system: `You are ${MARKERS.system}.` } },
        responseCache: { enabled: true },
        telemetry: captureContent === undefined ? {} : { captureContent },
        resilience: { maxRetries: 1 },
      },
      { tracerProvider: harness.tracerProvider, meterProvider: harness.meterProvider, logger: harness.logger },
    );
    opened.push({ sb, harness });
    const messages = [{ role: 'user' as const, content: `Tell ${MARKERS.user} a story` }];
    servers.openai.script('gpt-content', { text: `${MARKERS.reply} said hello` });
    await sb.chat({ bot: 'quiet', messages });
    await sb.chat({ bot: 'quiet', messages }); // a cache hit
    servers.openai.script('gpt-content', { text: `${MARKERS.reply} streams on` });
    await drainStream(sb.stream({ bot: 'quiet', messages: [{ role: 'user', content: `Stream for ${MARKERS.user}` }] }));
    await sb.generate({ model: 'anthropic:claude-content', prompt: `Generate for ${MARKERS.user}` });
    // A retry, then a fallback, then an interrupted stream: error paths record content too if anything does.
    servers.openai.script('gpt-content', { kind: 'status', status: 500 }, { kind: 'status', status: 503 });
    await sb.chat({ bot: 'quiet', messages: [{ role: 'user', content: `Fallback for ${MARKERS.user}` }] });
    servers.openai.script('gpt-content', { text: `${MARKERS.reply} is cut short here`, dieAfterChunks: 2, dieMode: 'reset' });
    await drainStream(sb.stream({ bot: 'quiet', messages: [{ role: 'user', content: `Cut ${MARKERS.user} off` }] }));
    const session = await sb.sessions.start({ bot: 'quiet', tenantId: 't-1' });
    await sb.chat({ sessionId: session.id, messages: [{ role: 'user', content: `Session of ${MARKERS.user}` }] });
    return harness.finished();
  }

  it('content capture off (default) -> 0 message-content attributes on any span', async () => {
    const spans = await spansOfAllShapes(undefined);
    const attributes = spans.flatMap(attributesOf);
    const contentKeys = attributes.filter(([key]) => CONTENT_ATTRIBUTES.some((name) => key === name || key.endsWith(`.${name}`)));
    const carryingText = attributes.filter(([, value]) => Object.values(MARKERS).some((marker) => value.includes(marker)));
    console.log(`content capture off: ${spans.length} spans, ${attributes.length} attributes; content attributes ${contentKeys.length}; attributes carrying message text ${carryingText.length}`);
    expect(spans.length).toBeGreaterThan(10);
    expect(contentKeys).toEqual([]);
    expect(carryingText).toEqual([]);
    // Spans names carry no content either.
    expect(spans.filter((span) => Object.values(MARKERS).some((marker) => span.name.includes(marker)))).toEqual([]);
  });

  it('content capture on (opt-in) records the content attributes, so the check above can fail', async () => {
    const spans = await spansOfAllShapes(true);
    const keys = new Set(spans.flatMap((span) => Object.keys(span.attributes)));
    for (const name of CONTENT_ATTRIBUTES) expect(keys.has(name)).toBe(true);
    const text = spans.flatMap(attributesOf).map(([, value]) => value).join('\n');
    for (const marker of Object.values(MARKERS)) expect(text).toContain(marker);
  });
});

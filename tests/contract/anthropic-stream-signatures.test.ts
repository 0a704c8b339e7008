/**
 * What AnthropicManager's stream says of reasoning blocks and of the stop sequence, through the real
 * `@anthropic-ai/sdk` against FakeAnthropicServer: each thinking block's signature as a
 * `reasoning-signature` part where its `signature_delta` arrives (after the block's thinking, before
 * what follows), a redacted block as a `reasoning-redacted` part in its place, and `stopSequence` on
 * the JSON result and the stream's finish when the answer ended by one of `params.stop`. Then
 * through a switchboard: the parts pass the pipeline unchanged, a cached answer replays them in the
 * same order, and the cached answer keeps its stop sequence.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createSwitchboard } from '../../src/create-switchboard.js';
import type { CallContext, ChatMessage, ManagedStreamPart, ProviderRequest, StreamPart } from '../../src/core/types.js';
import { AnthropicManager } from '../../src/managers/anthropic/anthropic-manager.js';
import { FakeAnthropicServer, type AnthropicBlockScript } from '../helpers/fake-anthropic-server.js';
import { makeManagerDeps } from '../helpers/manager-deps.js';

const KEY = 'sk-ant-signatures-Hq27Lp90';
const MODEL = 'claude-haiku-4-5';
const HELLO: ChatMessage[] = [{ role: 'user', content: 'Hello?' }];
const CONTENT: AnthropicBlockScript[] = [
  { type: 'thinking', thinking: 'First, the city.', signature: 'sig-one' },
  { type: 'redacted_thinking', data: 'ENCRYPTED==' },
  { type: 'thinking', thinking: 'Then the weather.', signature: 'sig-two' },
  { type: 'text', text: 'Sunny in Paris.', chunks: ['Sunny ', 'in Paris.'] },
];
const REASONING = [{ text: 'First, the city.', signature: 'sig-one' }, { text: '', redacted: 'ENCRYPTED==' }, { text: 'Then the weather.', signature: 'sig-two' }];
/** The parts of that answer, in order, as `[type, what it carries]` (text and reasoning deltas joined). */
const SHAPE = [
  ['reasoning-delta', 'First, the city.'],
  ['reasoning-signature', 'sig-one'],
  ['reasoning-redacted', 'ENCRYPTED=='],
  ['reasoning-delta', 'Then the weather.'],
  ['reasoning-signature', 'sig-two'],
  ['text-delta', 'Sunny in Paris.'],
  ['finish', ''],
];

/** Parts as `[type, content]`, consecutive deltas of one type joined (how many chunks is the SDK's business). */
function shape(parts: Array<ManagedStreamPart | StreamPart>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const part of parts) {
    const content = part.type === 'text-delta' || part.type === 'reasoning-delta' ? part.text : part.type === 'reasoning-signature' ? part.signature : part.type === 'reasoning-redacted' ? part.redacted : '';
    const last = out.at(-1);
    if (last && last[0] === part.type && (part.type === 'text-delta' || part.type === 'reasoning-delta')) last[1] += content;
    else out.push([part.type, content]);
  }
  return out;
}

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const parts: T[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

function context(): CallContext {
  return { signal: new AbortController().signal };
}

describe('AnthropicManager streams signatures, redacted blocks and the stop sequence', () => {
  let server: FakeAnthropicServer;
  const build = () => new AnthropicManager(makeManagerDeps(), { apiKey: KEY, baseURL: server.url, timeoutMs: 5_000, defaultMaxTokens: 500 });
  const ask = (fields: Partial<ProviderRequest> = {}): ProviderRequest => ({ modelId: MODEL, messages: HELLO, params: { reasoning: { effort: 'low' } }, operation: 'chat', ...fields });

  beforeAll(async () => {
    server = await FakeAnthropicServer.start({ apiKey: KEY });
  });
  beforeEach(() => server.reset());
  afterAll(() => server.close());

  it('yields each signature after its block\'s thinking and before what follows, a redacted block in its place', async () => {
    server.script(MODEL, { content: CONTENT });
    const parts = await collect(build().streamResponse(ask(), context()));
    expect(shape(parts)).toEqual(SHAPE);
    const finish = parts.at(-1);
    // The finish still carries the blocks whole, for the assistant message.
    expect(finish?.type === 'finish' ? finish.result.reasoning : undefined).toEqual(REASONING);
  });

  it('reports the stop sequence that ended the answer, JSON and streamed; finishReason stays stop', async () => {
    const stopped = ask({ params: { stop: ['END', 'HALT'] } });
    server.script(MODEL, { text: 'Counted to three', finishReason: 'stop_sequence' });
    const json = await build().generateResponse(stopped, context());
    expect([json.finishReason, json.stopSequence]).toEqual(['stop', 'END']);
    server.script(MODEL, { text: 'Counted to three', chunks: ['Counted ', 'to three'], finishReason: 'stop_sequence' });
    const finish = (await collect(build().streamResponse(stopped, context()))).at(-1);
    expect(finish?.type === 'finish' ? [finish.result.finishReason, finish.result.stopSequence] : undefined).toEqual(['stop', 'END']);
  });

  it('reports no stop sequence for an answer that ended otherwise', async () => {
    server.script(MODEL, { text: 'All said', finishReason: 'end_turn' });
    const json = await build().generateResponse(ask({ params: { stop: ['END'] } }), context());
    expect([json.finishReason, json.stopSequence]).toEqual(['stop', undefined]);
  });

  it('through a switchboard: the parts pass unchanged, and a cached answer replays them and keeps its stop sequence', async () => {
    const sb = await createSwitchboard({
      configFile: [],
      env: {},
      config: { telemetry: { logLevel: 'silent' }, responseCache: { enabled: true }, providers: { anthropic: { apiKey: KEY, baseURL: server.url } } },
    });
    try {
      const request = { model: `anthropic:${MODEL}`, messages: HELLO, params: { reasoning: { effort: 'low' as const }, stop: ['END'] } };
      server.script(MODEL, { content: CONTENT, finishReason: 'stop_sequence' });
      const live = await collect(sb.stream(request));
      const cached = await collect(sb.stream(request));
      expect(server.requestCount).toBe(1);
      expect(shape(live)).toEqual(SHAPE);
      expect(shape(cached)).toEqual(SHAPE);
      for (const parts of [live, cached]) {
        const finish = parts.at(-1);
        expect(finish?.type === 'finish' ? [finish.result.stopSequence, finish.result.message.reasoning] : undefined).toEqual(['END', REASONING]);
      }
    } finally {
      await sb.close();
    }
  });
});

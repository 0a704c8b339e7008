/**
 * `item_reference` input items of `POST /v1/responses` (what the AI SDK's default OpenAI provider sends
 * for text written before a tool call and for reasoning): the gateway keeps the message and reasoning
 * items of its answers, JSON and streamed, per tenant, and a reference converts as the item sent
 * inline would. Unknown, malformed, foreign (another tenant's) and too many references are 400s
 * naming the path, before any upstream call. Raw HTTP against the testing FakeProvider; the same
 * round trip through the real AI SDK is in tests/interop/responses-ai-sdk.test.ts, and across two
 * gateways sharing Redis in gateway-shared-redis.test.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../src/core/logger.js';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { FakeProvider } from '../../src/testing/index.js';

const KEY = 'gw-references-Hq38Lm20Vb61Tx';
const OTHER_KEY = 'gw-references-other-Pz47Kd93Wc';
const WEATHER = { type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
const CALL = { id: 'call_r1', name: 'get_weather', arguments: '{"city":"Paris"}' };

type Json = Record<string, any>;

/** The data of each frame of a typed SSE answer. */
async function events(response: Response): Promise<Json[]> {
  const frames = (await response.text()).split('\n\n').filter((frame) => frame.trim() !== '');
  return frames.map((frame) => JSON.parse(frame.split('\n')[1]!.replace(/^data: /, '')) as Json);
}

describe('item references on /v1/responses', () => {
  const fake = new FakeProvider();
  let gw: Gateway;
  const post = (body: unknown, key = KEY) =>
    fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  /** The second step of a tool loop: the first answer's items as references, the call inline, its result. */
  const secondStep = (first: Json[], reference: (item: Json) => Json) => [
    { role: 'user', content: 'Weather in Paris?' },
    ...first.map((item) => (item.type === 'function_call' ? { type: 'function_call', call_id: item.call_id, name: item.name, arguments: item.arguments } : reference(item))),
    { type: 'function_call_output', call_id: CALL.id, output: '{"sky":"sunny"}' },
  ];

  beforeAll(async () => {
    gw = await startGateway({
      config: {
        resilience: { maxRetries: 0 },
        server: { apiKeys: [{ key: KEY, tenant: 'refs' }, { key: OTHER_KEY, tenant: 'other' }], responseItems: { max: 50, maxBytes: 1_000_000, ttlMs: 60_000 } },
      },
      env: { NODE_ENV: 'test' },
      managers: [fake],
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
    });
  });
  afterAll(async () => {
    await gw.close();
  });
  beforeEach(() => fake.reset());

  it('resolves references to the text and signed reasoning of a JSON answer', async () => {
    fake.reply('fake:m', { text: 'Let me check.', toolCalls: [CALL], reasoning: [{ text: 'Look it up.', signature: 'sig-r1' }] });
    fake.reply('fake:m', { text: 'Sunny.' });
    const first = (await (await post({ model: 'fake:m', input: 'Weather in Paris?', tools: [WEATHER] })).json()) as Json;
    expect(first.output.map((item: Json) => item.type)).toEqual(['reasoning', 'message', 'function_call']);

    const response = await post({ model: 'fake:m', tools: [WEATHER], input: secondStep(first.output, (item) => ({ type: 'item_reference', id: item.id })) });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Json).output[0].content[0].text).toBe('Sunny.');
    expect(fake.calls[1]!.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: 'Let me check.', toolCalls: [CALL], reasoning: [{ text: 'Look it up.', signature: 'sig-r1' }] },
      { role: 'tool', toolCallId: CALL.id, content: '{"sky":"sunny"}' },
    ]);
  });

  it('resolves references to the items of a streamed answer, in OpenAI\'s typeless form too', async () => {
    fake.reply('fake:s', { chunks: ['Checking ', 'now.'], toolCalls: [CALL] });
    fake.reply('fake:s', { text: 'Sunny.' });
    const streamed = await events(await post({ model: 'fake:s', input: 'Weather in Paris?', tools: [WEATHER], stream: true }));
    const completed = streamed.at(-1)!;
    expect(completed.type).toBe('response.completed');

    const response = await post({ model: 'fake:s', tools: [WEATHER], input: secondStep(completed.response.output, (item) => ({ id: item.id })) });
    expect(response.status).toBe(200);
    expect(fake.calls[1]!.messages[1]).toEqual({ role: 'assistant', content: 'Checking now.', toolCalls: [CALL] });
  });

  it('keeps items per tenant: another tenant\'s reference is not found, before any upstream call', async () => {
    fake.reply('fake:m', { text: 'Mine.' });
    const first = (await (await post({ model: 'fake:m', input: 'hi' })).json()) as Json;
    const id = first.output[0].id as string;
    fake.reset();

    const response = await post({ model: 'fake:m', input: [{ type: 'item_reference', id }, { role: 'user', content: 'and?' }] }, OTHER_KEY);
    const body = (await response.json()) as Json;
    expect([response.status, body.error]).toEqual([400, expect.objectContaining({ type: 'invalid_request_error', code: 'item_not_found', param: 'input[0].id' })]);
    expect(body.error.message).not.toContain(id);
    expect(fake.calls).toHaveLength(0);
  });

  const refusals: Array<[string, Json[], string, string | null]> = [
    ['an id this gateway never wrote', [{ type: 'item_reference', id: 'msg_0123456789abcdef01234567' }], 'input[0].id', 'item_not_found'],
    ['an id of another shape', [{ type: 'item_reference', id: 'msg_1' }], 'input[0].id', null],
    ['a function call by reference', [{ type: 'item_reference', id: 'fc_0123456789abcdef01234567' }], 'input[0].id', null],
    ['an extra key', [{ type: 'item_reference', id: 'msg_0123456789abcdef01234567', role: 'assistant' }], 'input[0].role', 'unknown_parameter'],
  ];
  it.each(refusals)('refuses %s by path before any upstream call', async (_name, input, param, code) => {
    const response = await post({ model: 'fake:m', input: [...input, { role: 'user', content: 'next' }] });
    const body = (await response.json()) as Json;
    expect([response.status, body.error]).toEqual([400, expect.objectContaining({ type: 'invalid_request_error', code, param })]);
    expect(fake.calls).toHaveLength(0);
  });

  it('refuses more than 256 references in one request, naming the first one too many', async () => {
    fake.reply('fake:m', { text: 'x' });
    const first = (await (await post({ model: 'fake:m', input: 'hi' })).json()) as Json;
    const reference = { type: 'item_reference', id: first.output[0].id };
    fake.reset();
    const response = await post({ model: 'fake:m', input: [...Array.from({ length: 257 }, () => reference), { role: 'user', content: 'next' }] });
    expect([response.status, ((await response.json()) as Json).error.param]).toEqual([400, 'input[256]']);
    expect(fake.calls).toHaveLength(0);
  });
});

/**
 * Rich messages through the whole pipeline (FakeProvider on a real switchboard): tool calls as
 * results, stream parts and assistant messages; JSON answers parsed, validated and failed over;
 * candidates skipped by catalog capability or by what their provider can carry; the cache key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { InvalidOutputError, InvalidRequestError } from '../../../src/core/errors.js';
import type { StreamPart, ToolDefinition } from '../../../src/core/types.js';
import { createSwitchboard, type Switchboard } from '../../../src/index.js';
import { FakeProvider } from '../../../src/testing/index.js';

const WEATHER: ToolDefinition = { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
const CALLS = [
  { id: 'c1', name: 'get_weather', arguments: '{"city":"Paris"}' },
  { id: 'c2', name: 'get_weather', arguments: '{"city":"Oslo"}' },
];
const SCHEMA = { type: 'object', properties: { temp: { type: 'number' } }, required: ['temp'], additionalProperties: false };

describe('rich messages through the pipeline', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rich-call-'));
  const fake = new FakeProvider();
  const textOnly = new FakeProvider({ provider: 'plain', supports: { tools: false, vision: false, json: false, reasoning: false } });
  let sb: Switchboard;

  beforeAll(async () => {
    const models = {
      'fake:blind': { capabilities: { tools: true, vision: false, json: true } },
      'fake:notools': { capabilities: { tools: false, vision: true, json: true } },
    };
    sb = await createSwitchboard({ config: { models, resilience: { maxRetries: 0 }, responseCache: { enabled: true } }, env: {}, cwd: dir });
    sb.registry.register(fake);
    sb.registry.register(textOnly);
    sb.bots.define('json-with-backup', { model: 'fake:m', fallbacks: ['fake:backup'] });
    sb.bots.define('no-tools-first', { model: 'fake:notools', fallbacks: ['fake:m'] });
    sb.bots.define('plain-first', { model: 'plain:m', fallbacks: ['fake:m'] });
  });
  beforeEach(() => {
    fake.reset();
    textOnly.reset();
  });
  afterAll(async () => {
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('tool calls come back as toolCalls, finish reason tool-calls and an assistant message to append', async () => {
    fake.reply('m', { toolCalls: CALLS });
    const result = await sb.chat({ model: 'fake:m', messages: [{ role: 'user', content: 'Weather?' }], tools: [WEATHER], toolChoice: 'required' });
    expect(result.toolCalls).toEqual(CALLS);
    expect(result.finishReason).toBe('tool-calls');
    expect(result.message).toEqual({ role: 'assistant', content: null, toolCalls: CALLS });
    expect(fake.calls[0]!.rich).toEqual({ tools: [WEATHER], toolChoice: 'required' });
  });

  it('the follow-up with the assistant message and tool results is accepted and sent as is', async () => {
    fake.reply('m', { text: 'Sunny in both.' });
    const messages = [
      { role: 'user' as const, content: 'Weather?' },
      { role: 'assistant' as const, content: null, toolCalls: CALLS },
      { role: 'tool' as const, toolCallId: 'c1', content: '{"temp":21}' },
      { role: 'tool' as const, toolCallId: 'c2', content: '{"temp":-3}' },
    ];
    const result = await sb.chat({ model: 'fake:m', messages, tools: [WEATHER] });
    expect(result.text).toBe('Sunny in both.');
    expect(fake.calls[0]!.messages).toEqual(messages);
  });

  it('a tool result answering no earlier call is refused by name before any call', async () => {
    const error = await sb.chat({ model: 'fake:m', messages: [{ role: 'user', content: 'x' }, { role: 'tool', toolCallId: 'nope', content: '{}' }] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toContain('messages[1].toolCallId');
    expect(fake.calls).toHaveLength(0);
  });

  it('streams: reasoning and tool-call deltas, each tool call once before finish, finish lists them', async () => {
    fake.reply('m', { text: 'Checking.', reasoning: 'Two cities.', toolCalls: CALLS });
    const parts: StreamPart[] = [];
    for await (const part of sb.stream({ model: 'fake:m', messages: [{ role: 'user', content: 'Weather?' }], tools: [WEATHER] })) parts.push(part);
    const kinds = parts.map((part) => part.type);
    expect(kinds[0]).toBe('reasoning-delta');
    expect(kinds.filter((kind) => kind === 'tool-call')).toHaveLength(2);
    expect(kinds.lastIndexOf('tool-call')).toBe(kinds.length - 2);
    expect(kinds.at(-1)).toBe('finish');
    const toolCalls = parts.flatMap((part) => (part.type === 'tool-call' ? [part.toolCall] : []));
    expect(toolCalls).toEqual(CALLS);
    const finish = parts.at(-1) as Extract<StreamPart, { type: 'finish' }>;
    expect(finish.result.toolCalls).toEqual(CALLS);
    expect(finish.result.reasoning).toBe('Two cities.');
    expect(finish.result.message).toEqual({ role: 'assistant', content: 'Checking.', toolCalls: CALLS, reasoning: [{ text: 'Two cities.' }] });
  });

  it('json_schema: a valid answer is parsed into object', async () => {
    fake.reply('m', { text: '{"temp": 21}' });
    const result = await sb.chat({ model: 'fake:m', messages: [{ role: 'user', content: 'Temp?' }], responseFormat: { type: 'json_schema', schema: SCHEMA } });
    expect(result.object).toEqual({ temp: 21 });
  });

  it('json_schema: an answer that does not validate fails over to the next model; with none left, InvalidOutputError carries the text', async () => {
    fake.reply('m', { text: '{"temp":"warm"}' });
    fake.reply('backup', { text: '{"temp":19}' });
    const result = await sb.chat({ bot: 'json-with-backup', messages: [{ role: 'user', content: 'Temp now?' }], responseFormat: { type: 'json_schema', schema: SCHEMA } });
    expect(result).toMatchObject({ model: 'fake:backup', object: { temp: 19 } });
    fake.reply('m', { text: 'It is warm.' });
    const error = await sb.chat({ model: 'fake:m', messages: [{ role: 'user', content: 'Temp later?' }], responseFormat: { type: 'json_schema', schema: SCHEMA } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidOutputError);
    expect((error as InvalidOutputError).text).toBe('It is warm.');
  });

  it('with tools and a JSON format, an answer that calls a tool is an answer (its JSON comes after the results)', async () => {
    fake.reply('m', { toolCalls: [CALLS[0]!] });
    const result = await sb.chat({ model: 'fake:m', messages: [{ role: 'user', content: 'Temp in Paris?' }], tools: [WEATHER], responseFormat: { type: 'json_schema', schema: SCHEMA } });
    expect(result.toolCalls).toEqual([CALLS[0]]);
    expect(result.object).toBeUndefined();
  });

  it('a stream whose JSON does not validate throws InvalidOutputError after its deltas, never a silent finish', async () => {
    fake.reply('m', { chunks: ['{"temp":', '"hot"}'] });
    const seen: string[] = [];
    const run = async () => {
      for await (const part of sb.stream({ model: 'fake:m', messages: [{ role: 'user', content: 'Temp streamed?' }], responseFormat: { type: 'json_schema', schema: SCHEMA } })) {
        if (part.type === 'text-delta') seen.push(part.text);
        if (part.type === 'finish') throw new Error('finished');
      }
    };
    await expect(run()).rejects.toBeInstanceOf(InvalidOutputError);
    expect(seen.join('')).toBe('{"temp":"hot"}');
  });

  it('a catalogued model without the capability is skipped; when none has it, the error names it', async () => {
    fake.reply('m', { toolCalls: [CALLS[0]!] });
    const result = await sb.chat({ bot: 'no-tools-first', messages: [{ role: 'user', content: 'Weather?' }], tools: [WEATHER] });
    expect(result.model).toBe('fake:m');
    expect(fake.calls.map((call) => call.model)).toEqual(['fake:m']);
    const image = { role: 'user' as const, content: [{ type: 'image' as const, url: 'https://example.com/a.png' }] };
    const error = await sb.chat({ model: 'fake:blind', messages: [image] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toContain('vision');
  });

  it('a provider that cannot carry a field refuses it before any call, and the next candidate serves', async () => {
    fake.reply('m', { text: '{"temp":1}' });
    const result = await sb.chat({ bot: 'plain-first', messages: [{ role: 'user', content: 'Temp plain?' }], responseFormat: { type: 'json' } });
    expect(result.model).toBe('fake:m');
    expect(textOnly.calls).toHaveLength(0);
    const error = await sb.chat({ model: 'plain:m', messages: [{ role: 'user', content: 'x' }], params: { reasoning: { effort: 'low' } } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toContain('reasoning');
    expect(textOnly.calls).toHaveLength(0);
  });

  it('output adapters see text only: tool calls and reasoning pass unchanged', async () => {
    sb.adapters.register('shout', () => ({ name: 'shout', transformOutput: (text: string) => text.toUpperCase() }));
    sb.bots.define('shouter', { model: 'fake:m', adapters: [{ name: 'shout' }], tools: [WEATHER] });
    fake.reply('m', { text: 'calling', reasoning: 'quietly', toolCalls: [CALLS[0]!] });
    const result = await sb.chat({ bot: 'shouter', messages: [{ role: 'user', content: 'x' }] });
    expect(result.text).toBe('CALLING');
    expect(result.toolCalls).toEqual([CALLS[0]]);
    expect(result.reasoning).toBe('quietly');
    expect(fake.calls[0]!.rich.tools).toEqual([WEATHER]);
  });

  it('transformRequest sees rich messages; what it returns obeys the request rules; the caller\'s parts stay untouched', async () => {
    sb.adapters.register('tag-image', () => ({
      name: 'tag-image',
      transformRequest: (request) => {
        const first = request.messages[0]!;
        if (first.role === 'user' && Array.isArray(first.content)) first.content[0] = { type: 'text', text: 'tagged' };
        return request;
      },
    }));
    sb.adapters.register('break-tools', () => ({
      name: 'break-tools',
      transformRequest: (request) => ({ ...request, messages: [...request.messages, { role: 'tool', toolCallId: 'none', content: 'x' }] }),
    }));
    sb.bots.define('tagger', { model: 'fake:m', adapters: [{ name: 'tag-image' }] });
    sb.bots.define('breaker', { model: 'fake:m', adapters: [{ name: 'break-tools' }] });
    const parts = [{ type: 'text' as const, text: 'original' }, { type: 'image' as const, url: 'https://example.com/a.png' }];
    fake.reply('m', { text: 'seen' });
    await sb.chat({ bot: 'tagger', messages: [{ role: 'user', content: parts }] });
    expect(parts[0]).toEqual({ type: 'text', text: 'original' });
    expect(fake.calls[0]!.messages[0]).toEqual({ role: 'user', content: [{ type: 'text', text: 'tagged' }, parts[1]] });
    const error = await sb.chat({ bot: 'breaker', messages: [{ role: 'user', content: 'x' }] }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'adapter_error' });
    expect((error as Error).message).toContain('messages[1].toolCallId');
    expect(fake.calls).toHaveLength(1);
  });

  it('bots give rich defaults, checked by key path; a request may choose among its bot\'s tools', async () => {
    expect(() => sb.bots.define('bad-choice', { model: 'fake:m', tools: [WEATHER], toolChoice: { name: 'nope' } })).toThrow(/bots\.bad-choice\.toolChoice\.name/);
    expect(() => sb.bots.define('bad-format', { model: 'fake:m', responseFormat: { type: 'json_schema', schema: { type: 'nope' } } as never })).toThrow(/bots\.bad-format\.responseFormat\.schema/);
    sb.bots.define('weather-bot', { model: 'fake:m', tools: [WEATHER], responseFormat: { type: 'text' }, params: { reasoning: { effort: 'low' } }, providerOptions: { fake: { user: 'bot-user' } } });
    fake.reply('m', { toolCalls: [CALLS[0]!] });
    await sb.chat({ bot: 'weather-bot', messages: [{ role: 'user', content: 'Weather?' }], toolChoice: { name: 'get_weather' } });
    expect(fake.calls[0]!.rich).toEqual({ tools: [WEATHER], toolChoice: { name: 'get_weather' }, responseFormat: { type: 'text' }, providerOptions: { fake: { user: 'bot-user' } } });
    expect(fake.calls[0]!.params.reasoning).toEqual({ effort: 'low' });
    const error = await sb.chat({ bot: 'weather-bot', messages: [{ role: 'user', content: 'x' }], toolChoice: { name: 'other' } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toContain('toolChoice.name');
  });

  it('the response cache tells requests apart by tools, tool choice and response format', async () => {
    const ask = (extra: object) => sb.chat({ model: 'fake:cached', messages: [{ role: 'user', content: 'same words' }], params: { temperature: 0 }, ...extra });
    fake.setDefaultReply({ text: '{"temp":2}' });
    await ask({});
    await ask({});
    await ask({ tools: [WEATHER] });
    await ask({ tools: [WEATHER], toolChoice: 'required' });
    await ask({ responseFormat: { type: 'json' } });
    await ask({ responseFormat: { type: 'json' } });
    expect(fake.calls).toHaveLength(4);
  });
});

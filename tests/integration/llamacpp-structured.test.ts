/**
 * Structured output and forced tool calls from a local GGUF model, through the whole switchboard
 * (issue #13's "done when"): on the tests' tiny random-weight model, a `json_schema` answer is valid by
 * construction (sampled under a grammar built from the schema), so `sb.chat` returns an `object` that
 * validates; a forced tool call (`toolChoice` required or `{ name }`)
 * returns arguments that validate against the tool's schema, streamed and not, and a follow-up
 * carrying the call and its result runs. Schemas bound their strings (`maxLength`): a random model
 * would otherwise write one string until the token limit (why `json`, any object, is covered with the
 * manager in tests/contract/llamacpp-manager.test.ts rather than by validity here).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { createSwitchboard } from '../../src/create-switchboard.js';
import { silentLogger } from '../../src/core/logger.js';
import type { StreamPart, ToolDefinition } from '../../src/core/types.js';
import type { Switchboard } from '../../src/switchboard.js';
import { writeTinyGguf } from '../helpers/tiny-gguf.js';

/**
 * No free-form string: a random model writes one until the token limit, and its byte tokens that are
 * no valid UTF-8 decode to more characters than the grammar counted (so `maxLength` can fail on
 * noise). Strings with `maxLength` are in the tool schemas below, at fixed seeds.
 */
const ANSWER = {
  type: 'object',
  properties: {
    temp: { type: 'integer' },
    feels: { type: 'number' },
    sunny: { type: 'boolean' },
    unit: { enum: ['C', 'F'] },
    alerts: { type: 'array', items: { enum: ['wind', 'rain', 'heat'] }, maxItems: 2 },
    place: { type: 'object', properties: { zip: { type: 'integer' }, coastal: { anyOf: [{ type: 'boolean' }, { type: 'null' }] } }, required: ['zip', 'coastal'] },
  },
  required: ['temp', 'feels', 'sunny', 'unit', 'alerts', 'place'],
  additionalProperties: false,
};
const BOOK: ToolDefinition = {
  name: 'book_table',
  description: 'Book a table',
  parameters: { type: 'object', properties: { guests: { type: 'integer' }, slot: { enum: ['lunch', 'dinner'] }, name: { type: 'string', maxLength: 6 } }, required: ['guests', 'slot', 'name'], additionalProperties: false },
};
const WEATHER: ToolDefinition = {
  name: 'get_weather',
  parameters: { type: 'object', properties: { city: { type: 'string', maxLength: 6 }, days: { anyOf: [{ type: 'integer' }, { type: 'null' }] } }, required: ['city', 'days'] },
};

const ajv = new Ajv({ strict: false });
const valid = (schema: object, value: unknown): boolean => ajv.validate(schema, value);

async function drain(stream: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const parts: StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

describe('llamacpp structured output and forced tool calls through sb.chat', () => {
  let dir: string;
  let sb: Switchboard;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-structured-'));
    await writeTinyGguf(join(dir, 'tiny.gguf'), { seed: 3, contextLength: 1024 });
    sb = await createSwitchboard({ env: {}, config: { telemetry: { logLevel: 'silent' }, providers: { llamacpp: { modelsDir: dir, threads: 1 } } }, logger: silentLogger });
  });
  afterAll(async () => {
    await sb?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('returns an object that validates against a json_schema, for several seeds', async () => {
    for (const seed of [1, 2, 3]) {
      const result = await sb.chat({
        model: 'llamacpp:tiny',
        messages: [{ role: 'user', content: 'The weather in Paris, as JSON.' }],
        responseFormat: { type: 'json_schema', name: 'weather', schema: ANSWER },
        params: { maxTokens: 200, temperature: 0.8, seed },
        cache: false,
      });
      expect(valid(ANSWER, result.object)).toBe(true);
      expect(JSON.parse(result.text)).toEqual(result.object);
      expect(result.finishReason).toBe('stop');
      expect(result.toolCalls).toEqual([]);
    }
  });

  it('streams a json_schema answer as text deltas that join to the validated object', async () => {
    const parts = await drain(sb.stream({ model: 'llamacpp:tiny', messages: [{ role: 'user', content: 'JSON please.' }], responseFormat: { type: 'json_schema', schema: ANSWER }, params: { maxTokens: 200, temperature: 0 }, cache: false }));
    const text = parts.flatMap((part) => (part.type === 'text-delta' ? [part.text] : [])).join('');
    const finish = parts.at(-1);
    if (finish?.type !== 'finish') throw new Error('no finish');
    expect(valid(ANSWER, finish.result.object)).toBe(true);
    expect(JSON.parse(text)).toEqual(finish.result.object);
  });

  it.each([['required' as const], [{ name: 'book_table' }]])('a forced call (toolChoice %j) returns arguments that validate against the tool schema', async (toolChoice) => {
    for (const seed of [1, 2]) {
      const result = await sb.chat({ model: 'llamacpp:tiny', messages: [{ role: 'user', content: 'Book for two tonight.' }], tools: [BOOK, WEATHER], toolChoice, params: { maxTokens: 200, temperature: 0.8, seed }, cache: false });
      expect(result.finishReason).toBe('tool-calls');
      expect(result.toolCalls).toHaveLength(1);
      const [call] = result.toolCalls;
      expect(call!.id).toMatch(/^call_/);
      if (typeof toolChoice === 'object') expect(call!.name).toBe('book_table');
      const tool = [BOOK, WEATHER].find((candidate) => candidate.name === call!.name)!;
      expect(valid(tool.parameters, JSON.parse(call!.arguments))).toBe(true);
      expect(result.text).toBe('');
      expect(result.message).toMatchObject({ role: 'assistant', toolCalls: result.toolCalls });
    }
  });

  it('streams a forced call as one tool-call delta and one tool-call part, then the finish', async () => {
    const parts = await drain(sb.stream({ model: 'llamacpp:tiny', messages: [{ role: 'user', content: 'Book it.' }], tools: [BOOK], toolChoice: { name: 'book_table' }, params: { maxTokens: 200, temperature: 0 }, cache: false }));
    expect(parts.filter((part) => part.type === 'text-delta')).toEqual([]);
    const deltas = parts.filter((part) => part.type === 'tool-call-delta');
    expect(deltas).toHaveLength(1);
    const calls = parts.flatMap((part) => (part.type === 'tool-call' ? [part.toolCall] : []));
    expect(calls).toHaveLength(1);
    expect(valid(BOOK.parameters, JSON.parse(calls[0]!.arguments))).toBe(true);
    const finish = parts.at(-1);
    if (finish?.type !== 'finish') throw new Error('no finish');
    expect(finish.result.toolCalls).toEqual(calls);
    expect(finish.result.finishReason).toBe('tool-calls');
  });

  it('answers a follow-up that carries the call and its result (function-call history)', async () => {
    const first = await sb.chat({ model: 'llamacpp:tiny', messages: [{ role: 'user', content: 'Book for two.' }], tools: [BOOK], toolChoice: 'required', params: { maxTokens: 200, temperature: 0 }, cache: false });
    const followUp = await sb.chat({
      model: 'llamacpp:tiny',
      messages: [{ role: 'user', content: 'Book for two.' }, first.message, { role: 'tool', toolCallId: first.toolCalls[0]!.id, content: '{"booked":true}' }],
      tools: [BOOK],
      params: { maxTokens: 8, temperature: 0 },
      cache: false,
    });
    expect(followUp.usage.inputTokens).toBeGreaterThan(first.usage.inputTokens);
    expect(followUp.usage.outputTokens).toBeGreaterThan(0);
  });
});

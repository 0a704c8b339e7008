/**
 * The rich-message contract every manager passes (API.md "Messages, tools, structured output"): tools
 * offered and called (two parallel calls, JSON and streamed), tool results sent back, tool choice,
 * images, JSON answers, reasoning settings and reasoning answers, providerOptions; and a request the
 * provider cannot carry refused before any network call. Each manager's test runs it against its
 * fake server through its real SDK, via a RichContractHarness.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { InvalidRequestError, UnsupportedCapabilityError } from '../../src/core/errors.js';
import type { CallContext, ChatMessage, ManagedStreamPart, ProviderRequest, ToolDefinition } from '../../src/core/types.js';
import type { RichContractHarness, RichHarnessFactory } from './contract-harness.js';

const WEATHER: ToolDefinition = {
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
};
const TIME: ToolDefinition = {
  name: 'get_time',
  description: 'The time in a time zone',
  parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'], additionalProperties: false },
};
const CALLS = [
  { id: 'call_weather_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
  { id: 'call_time_2', name: 'get_time', arguments: '{"zone":"CET"}' },
];
/** 1x1 PNG. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==';
const ANSWER_SCHEMA = { type: 'object', properties: { city: { type: 'string' }, temp: { type: 'number' } }, required: ['city', 'temp'], additionalProperties: false };

function context(): CallContext {
  return { signal: new AbortController().signal };
}

async function collect(stream: AsyncIterable<ManagedStreamPart>): Promise<ManagedStreamPart[]> {
  const parts: ManagedStreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

function finishOf(parts: ManagedStreamPart[]) {
  const last = parts.at(-1);
  if (last?.type !== 'finish') throw new Error('the stream did not end with its finish part');
  return last.result;
}

const parsedCalls = (calls: Array<{ id: string; name: string; arguments: string }>) => calls.map((call) => ({ ...call, arguments: JSON.parse(call.arguments) as unknown }));
/** Calls without their ids, for providers whose wire carries none (they make their own). */
const withoutIds = (calls: Array<{ id?: string; name?: string; arguments: unknown }>) => calls.map(({ name, arguments: args }) => ({ name, arguments: args }));

/** The conversation after the model asked for both tools and both answered. */
function followUp(): ChatMessage[] {
  return [
    { role: 'user', content: 'Weather and time in Paris?' },
    { role: 'assistant', content: null, toolCalls: CALLS },
    { role: 'tool', toolCallId: 'call_weather_1', content: '{"temp":21}' },
    { role: 'tool', toolCallId: 'call_time_2', content: '{"time":"14:05"}' },
  ];
}

/** Run the rich-message contract against the harness `factory` builds. */
export function runRichContract(name: string, factory: RichHarnessFactory): void {
  describe(`${name}: rich-message contract`, () => {
    let harness: RichContractHarness;
    const request = (fields: Partial<ProviderRequest>): ProviderRequest => ({
      modelId: harness.modelId,
      messages: [{ role: 'user', content: 'Weather and time in Paris?' }],
      params: {},
      operation: 'chat',
      ...fields,
    });
    const lastWire = () => harness.richWire(harness.requests().at(-1)!);
    const expectRefused = async (fields: Partial<ProviderRequest>, capability: string) => {
      const before = harness.requests().length;
      const error = await harness.manager.generateResponse(request(fields), context()).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UnsupportedCapabilityError);
      expect((error as UnsupportedCapabilityError).capability).toBe(capability);
      expect(harness.requests()).toHaveLength(before);
    };

    beforeAll(async () => {
      harness = await factory();
    });
    afterAll(async () => {
      await harness?.close();
    });

    describe('tools', () => {
      const withTools = (): boolean => harness.capabilities.tools;
      const ids = (): boolean => harness.capabilities.toolCallIds !== false;
      /** The calls one scripted answer carries: both, or the first where an answer carries one. */
      const scripted = () => (harness.capabilities.parallelToolCalls === false ? CALLS.slice(0, 1) : CALLS);
      /** Returned calls as expected: exactly, or (a provider making its own ids) unique ids, names and arguments. */
      const expectCalls = (got: Array<{ id?: string; name?: string; arguments: unknown }>, want: typeof CALLS) => {
        const parsed = got.map((call) => ({ ...call, arguments: typeof call.arguments === 'string' ? (JSON.parse(call.arguments) as unknown) : call.arguments }));
        if (ids()) return expect(parsed).toEqual(parsedCalls(want));
        expect(withoutIds(parsed)).toEqual(withoutIds(parsedCalls(want)));
        const made = parsed.map((call) => call.id);
        expect(made.every((id) => typeof id === 'string' && id !== '')).toBe(true);
        expect(new Set(made).size).toBe(made.length);
      };

      it('offers the tools and returns two parallel tool calls, ids, names and arguments as sent', async () => {
        if (!withTools()) return expectRefused({ tools: [WEATHER, TIME] }, 'tools');
        harness.replyRich({ text: '', toolCalls: scripted(), usage: { inputTokens: 40, outputTokens: 20 } });
        const result = await harness.manager.generateResponse(request({ tools: [WEATHER, TIME], toolChoice: 'auto' }), context());
        expectCalls(result.toolCalls, scripted());
        expect(result.finishReason).toBe('tool-calls');
        const wire = lastWire();
        expect(wire.tools.map((tool) => tool.name)).toEqual(['get_weather', 'get_time']);
        expect(wire.tools[0]!.parameters).toEqual(WEATHER.parameters);
        expect(wire.tools[0]!.description).toBe(WEATHER.description);
        expect([undefined, 'auto']).toContainEqual(wire.toolChoice);
        if (harness.reportsUsage) expect(result.usage).toMatchObject({ inputTokens: 40, outputTokens: 20 });
      });

      it('streams tool-call deltas that join to the calls, and the finish lists them', async () => {
        if (!withTools()) return;
        harness.replyRich({ text: '', toolCalls: scripted() });
        const parts = await collect(harness.manager.streamResponse(request({ tools: [WEATHER, TIME] }), context()));
        const joined = new Map<number, { id?: string; name?: string; args: string }>();
        for (const part of parts) {
          if (part.type !== 'tool-call-delta') continue;
          const entry = joined.get(part.index) ?? { args: '' };
          if (part.id) entry.id = part.id;
          if (part.name) entry.name = part.name;
          entry.args += part.argumentsDelta;
          joined.set(part.index, entry);
        }
        expectCalls([...joined.values()].map((entry) => ({ id: entry.id, name: entry.name, arguments: JSON.parse(entry.args) as unknown })), scripted());
        const result = finishOf(parts);
        expectCalls(result.toolCalls, scripted());
        expect(result.toolCalls.map((call) => call.id)).toEqual([...joined.values()].map((entry) => entry.id));
        expect(result.finishReason).toBe('tool-calls');
        expect(parts.filter((part) => part.type === 'finish')).toHaveLength(1);
      });

      it('sends the assistant tool calls and both tool results back, and answers in text', async () => {
        if (!withTools()) return;
        harness.replyRich({ text: 'Sunny, 21 degrees; it is 14:05.' });
        const result = await harness.manager.generateResponse(request({ messages: followUp(), tools: [WEATHER, TIME] }), context());
        expect(result.text).toBe('Sunny, 21 degrees; it is 14:05.');
        expect(result.toolCalls).toEqual([]);
        const wire = lastWire();
        const results = [
          { toolCallId: 'call_weather_1', content: '{"temp":21}' },
          { toolCallId: 'call_time_2', content: '{"time":"14:05"}' },
        ];
        if (ids()) {
          expect(wire.assistantToolCalls).toEqual(parsedCalls(CALLS));
          expect(wire.toolResults).toEqual(results);
        } else {
          // No ids on this wire: each result goes with its call, in order.
          expect(withoutIds(wire.assistantToolCalls)).toEqual(withoutIds(parsedCalls(CALLS)));
          expect(wire.toolResults.map((entry) => entry.content)).toEqual(results.map((entry) => entry.content));
        }
      });

      it.each([['required'], ['none'], [{ name: 'get_time' }]] as const)('sends toolChoice %j', async (toolChoice) => {
        if (!withTools()) return;
        if (toolChoice !== 'none' && harness.capabilities.forcesToolCalls === false) {
          // A provider without tool choice cannot force a call: refused, so the pipeline tries another candidate.
          return expectRefused({ tools: [WEATHER, TIME], toolChoice }, 'toolChoice');
        }
        harness.replyRich(toolChoice === 'none' ? { text: 'No tools then.' } : { text: '', toolCalls: [CALLS[1]!] });
        await harness.manager.generateResponse(request({ tools: [WEATHER, TIME], toolChoice }), context());
        const wire = lastWire();
        // `none` goes as none, or as no tools offered (the form a wire without tool choice has).
        if (toolChoice === 'none' && wire.toolChoice === undefined) expect(wire.tools).toEqual([]);
        else expect(wire.toolChoice).toEqual(toolChoice);
      });
    });

    describe('images', () => {
      const imageMessage = (url: boolean): ChatMessage[] => [
        {
          role: 'user',
          content: [{ type: 'text', text: 'What is in these?' }, url ? { type: 'image', url: 'https://example.com/cat.png' } : { type: 'image', data: PNG, mediaType: 'image/png' }],
        },
      ];

      it('sends base64 image bytes with their media type (and a data: URL as bytes)', async () => {
        if (!harness.capabilities.vision) return expectRefused({ messages: imageMessage(false) }, 'vision');
        harness.reply({ text: 'A pixel.' });
        await harness.manager.generateResponse(request({ messages: imageMessage(false) }), context());
        expect(lastWire().images).toEqual([{ data: PNG, mediaType: 'image/png' }]);
        harness.reply({ text: 'A pixel again.' });
        const dataUrl: ChatMessage = { role: 'user', content: [{ type: 'image', url: `data:image/png;base64,${PNG}` }] };
        await harness.manager.generateResponse(request({ messages: [dataUrl] }), context());
        expect(lastWire().images).toEqual([{ data: PNG, mediaType: 'image/png' }]);
      });

      it('sends an https image URL, or refuses it by name before any request when only bytes go', async () => {
        if (!harness.capabilities.vision) return;
        if (harness.capabilities.vision === 'base64') {
          const before = harness.requests().length;
          const error = await harness.manager.generateResponse(request({ messages: imageMessage(true) }), context()).catch((caught: unknown) => caught);
          expect(error).toBeInstanceOf(InvalidRequestError);
          expect((error as Error).message).toMatch(/messages\[0\]\.content\[1\]\.url/);
          expect((error as Error).message).not.toContain('example.com');
          expect(harness.requests()).toHaveLength(before);
          return;
        }
        harness.reply({ text: 'A cat.' });
        await harness.manager.generateResponse(request({ messages: imageMessage(true) }), context());
        expect(lastWire().images).toEqual([{ url: 'https://example.com/cat.png' }]);
      });
    });

    describe('JSON answers', () => {
      const replyJson = (json: string) => (harness.replyJson ? harness.replyJson(json) : harness.reply({ text: json }));

      it('json_schema: sends the schema and returns the JSON text', async () => {
        const responseFormat = { type: 'json_schema' as const, name: 'weather', schema: ANSWER_SCHEMA };
        if (!harness.capabilities.json) return expectRefused({ responseFormat }, 'json');
        replyJson('{"city":"Paris","temp":21}');
        const result = await harness.manager.generateResponse(request({ responseFormat }), context());
        expect(JSON.parse(result.text)).toEqual({ city: 'Paris', temp: 21 });
        expect(result.toolCalls).toEqual([]);
        expect(lastWire().responseFormat).toEqual({ type: 'json_schema', schema: ANSWER_SCHEMA });
      });

      it('json_schema streams the JSON text as text deltas', async () => {
        if (!harness.capabilities.json) return;
        replyJson('{"city":"Oslo","temp":-3}');
        const parts = await collect(harness.manager.streamResponse(request({ responseFormat: { type: 'json_schema', schema: ANSWER_SCHEMA } }), context()));
        const text = parts.flatMap((part) => (part.type === 'text-delta' ? [part.text] : [])).join('');
        expect(JSON.parse(text)).toEqual({ city: 'Oslo', temp: -3 });
        expect(finishOf(parts).toolCalls).toEqual([]);
      });

      it('json: asks for a JSON object', async () => {
        if (!harness.capabilities.json) return;
        replyJson('{"ok":true}');
        const result = await harness.manager.generateResponse(request({ responseFormat: { type: 'json' } }), context());
        expect(JSON.parse(result.text)).toEqual({ ok: true });
        expect(lastWire().responseFormat?.type).toMatch(/^json/);
      });
    });

    describe('reasoning', () => {
      it('sends the reasoning effort (as an effort, or as a thinking budget)', async () => {
        const reasoning = harness.capabilities.reasoning;
        if (!reasoning) return expectRefused({ params: { reasoning: { effort: 'low' } } }, 'reasoning');
        harness.replyRich({ text: 'Done.' });
        await harness.manager.generateResponse(request({ params: { reasoning: { effort: 'low' } } }), context());
        const wire = lastWire().reasoning;
        if (reasoning === 'budget') expect(wire?.maxTokens).toBeGreaterThan(0);
        else expect(wire?.effort).toBe('low');
      });

      it('sends a thinking budget, or refuses it by name when only efforts go', async () => {
        const reasoning = harness.capabilities.reasoning;
        if (!reasoning) return;
        if (reasoning === 'effort') {
          const before = harness.requests().length;
          const error = await harness.manager.generateResponse(request({ params: { reasoning: { maxTokens: 2048 } } }), context()).catch((caught: unknown) => caught);
          expect(error).toBeInstanceOf(InvalidRequestError);
          expect((error as Error).message).toContain('params.reasoning.maxTokens');
          expect(harness.requests()).toHaveLength(before);
          return;
        }
        harness.replyRich({ text: 'Done.' });
        await harness.manager.generateResponse(request({ params: { reasoning: { maxTokens: 2048 }, maxTokens: 4096 } }), context());
        expect(lastWire().reasoning?.maxTokens).toBe(2048);
      });

      it('returns the reasoning text apart from the answer (JSON and streamed)', async () => {
        if (!harness.capabilities.returnsReasoning) return;
        harness.replyRich({ text: '42.', reasoning: 'Six times seven.', signature: 'sig-abc' });
        const result = await harness.manager.generateResponse(request({ params: { reasoning: { effort: 'high' }, maxTokens: 4096 } }), context());
        expect(result.text).toBe('42.');
        expect(result.reasoning?.map((block) => block.text).join('')).toBe('Six times seven.');
        harness.replyRich({ text: '42.', reasoning: 'Six times seven.', signature: 'sig-abc' });
        const parts = await collect(harness.manager.streamResponse(request({ params: { reasoning: { effort: 'high' }, maxTokens: 4096 } }), context()));
        expect(parts.flatMap((part) => (part.type === 'reasoning-delta' ? [part.text] : [])).join('')).toBe('Six times seven.');
        expect(parts.flatMap((part) => (part.type === 'text-delta' ? [part.text] : [])).join('')).toBe('42.');
        expect(finishOf(parts).reasoning?.map((block) => block.text).join('')).toBe('Six times seven.');
        if (harness.capabilities.sendsReasoningBack) {
          expect(result.reasoning?.[0]?.signature).toBe('sig-abc');
          expect(finishOf(parts).reasoning?.[0]?.signature).toBe('sig-abc');
        }
      });

      it('sends earlier reasoning blocks back with their signatures', async () => {
        if (!harness.capabilities.sendsReasoningBack || !harness.capabilities.tools) return;
        harness.replyRich({ text: 'It is sunny.' });
        const messages = followUp();
        messages[1] = { role: 'assistant', content: null, toolCalls: CALLS, reasoning: [{ text: 'I need both tools.', signature: 'sig-1' }] };
        await harness.manager.generateResponse(request({ messages, tools: [WEATHER, TIME], params: { reasoning: { maxTokens: 1024 }, maxTokens: 4096 } }), context());
        expect(lastWire().reasoningBlocksSent).toEqual([{ text: 'I need both tools.', signature: 'sig-1' }]);
      });
    });

    it('providerOptions for this provider land in its request body; those for others do not', async () => {
      const option = harness.providerOption;
      if (!option) return;
      harness.reply({ text: 'ok' });
      await harness.manager.generateResponse(request({ providerOptions: { [harness.manager.provider]: { [option.key]: option.value }, other: { leaked: true } } }), context());
      const sent = harness.requests().at(-1)!;
      expect(option.read(sent)).toEqual(option.value);
      expect(JSON.stringify(sent.body)).not.toContain('leaked');
    });
  });
}

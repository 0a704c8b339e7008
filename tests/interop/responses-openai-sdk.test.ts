/**
 * The official `openai` SDK's Responses API (`responses.create`, streamed and not, `responses.stream`,
 * `responses.parse`) through the gateway, in front of the OpenAI fake and the Anthropic fake (a model
 * on another provider than the client's own): a text turn, a streamed turn, and a function-tool round
 * trip the way the SDK's docs write it (call -> `input.push(...response.output)` plus a
 * `function_call_output` -> answer), whose call and result must reach the upstream wire under the id
 * the model gave the call. To Anthropic with thinking on, the signed thinking rides back in the
 * reasoning item's `encrypted_content`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { zodTextFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { GATEWAY_KEY, startInteropGateway, WEATHER_PARAMETERS, type InteropGateway, type Upstream } from './interop-gateway.js';

const WEATHER: OpenAI.Responses.FunctionTool = { type: 'function', name: 'get_weather', description: 'The weather in a city', parameters: WEATHER_PARAMETERS, strict: true };
const CALL = { id: 'call_weather_1', name: 'get_weather', arguments: '{"city":"Paris"}' };

let interop: InteropGateway;
let client: OpenAI;

beforeAll(async () => {
  interop = await startInteropGateway();
  client = new OpenAI({ apiKey: GATEWAY_KEY, baseURL: interop.baseURL, maxRetries: 0 });
});
afterAll(async () => {
  await interop.close();
});

describe.each(['openai', 'anthropic'])('openai SDK responses through the gateway to the %s fake', (name) => {
  let upstream: Upstream;
  beforeAll(() => {
    upstream = interop.upstreams.find((candidate) => candidate.name === name)!;
  });
  beforeEach(() => upstream.reset());

  it('answers a text turn with responses.create', async () => {
    upstream.reply({ text: 'Hello from the gateway.' });
    const response = await client.responses.create({ model: upstream.model, instructions: 'Be brief.', input: 'Say hello' });
    expect(response.output_text).toBe('Hello from the gateway.');
    expect(response).toMatchObject({ object: 'response', status: 'completed', model: upstream.model });
    expect(response.usage).toMatchObject({ input_tokens: expect.any(Number), output_tokens: expect.any(Number), total_tokens: expect.any(Number) });
  });

  it('streams a turn with responses.create({ stream: true }) and responses.stream()', async () => {
    upstream.reply({ text: 'One two three.', chunks: ['One ', 'two ', 'three.'] });
    const stream = await client.responses.create({ model: upstream.model, input: 'Count', stream: true });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    expect(text).toBe('One two three.');
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');

    upstream.reply({ text: 'Four five.', chunks: ['Four ', 'five.'] });
    const final = await client.responses.stream({ model: upstream.model, input: 'Go on' }).finalResponse();
    expect([final.status, final.output_text]).toEqual(['completed', 'Four five.']);
  });

  it.each([false, true])('completes a function-tool round trip (stream: %s)', async (streamed) => {
    upstream.reply({ text: '', toolCalls: [CALL] });
    upstream.reply({ text: 'Sunny and 21 degrees in Paris.' });
    const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'What is the weather in Paris?' }];
    const ask = async (): Promise<OpenAI.Responses.Response> =>
      streamed ? client.responses.stream({ model: upstream.model, input, tools: [WEATHER] }).finalResponse() : client.responses.create({ model: upstream.model, input, tools: [WEATHER] });
    const first = await ask();
    const calls = first.output.filter((item): item is OpenAI.Responses.ResponseFunctionToolCall => item.type === 'function_call');
    expect(calls.map((call) => [call.call_id, call.name, JSON.parse(call.arguments)])).toEqual([[CALL.id, CALL.name, { city: 'Paris' }]]);
    input.push(...(first.output as OpenAI.Responses.ResponseInputItem[]), { type: 'function_call_output', call_id: calls[0]!.call_id, output: '{"sky":"sunny","temp":21}' });
    const second = await ask();
    expect(second.output_text).toBe('Sunny and 21 degrees in Paris.');
    const requests = upstream.requests();
    expect(requests).toHaveLength(2);
    expect(upstream.wire(requests[0]!).tools.map((tool) => tool.name)).toEqual(['get_weather']);
    const wire = upstream.wire(requests[1]!);
    expect(wire.assistantToolCalls).toEqual([{ id: CALL.id, name: CALL.name, arguments: { city: 'Paris' } }]);
    expect(wire.toolResults).toEqual([{ toolCallId: CALL.id, content: '{"sky":"sunny","temp":21}' }]);
  });

  it('parses a zod text format with responses.parse', async () => {
    upstream.replyJson('{"city":"Paris","temp":21}');
    const Place = z.object({ city: z.string(), temp: z.number() });
    const response = await client.responses.parse({ model: upstream.model, input: 'Where is it warm?', text: { format: zodTextFormat(Place, 'place') } });
    expect(response.output_parsed).toEqual({ city: 'Paris', temp: 21 });
    expect(upstream.wire(upstream.requests()[0]!).responseFormat).toMatchObject({ type: 'json_schema', schema: { type: 'object', required: ['city', 'temp'] } });
  });

  it('raises a refused field as BadRequestError naming it', async () => {
    const refused = await client.responses.create({ model: upstream.model, input: 'hi', store: true }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect(refused).toMatchObject({ status: 400, code: 'unsupported_parameter', param: 'store' });
    expect(upstream.requests()).toHaveLength(0);
  });
});

describe('openai SDK responses to the anthropic fake, thinking on', () => {
  it.each([false, true])('returns signed thinking in a tool follow-up through the reasoning item (stream: %s)', async (streamed) => {
    const upstream = interop.upstreams.find((candidate) => candidate.name === 'anthropic')!;
    upstream.reset();
    upstream.reply({ text: '', reasoning: 'The user wants the weather.', signature: 'sig-thinking-1', toolCalls: [CALL] });
    upstream.reply({ text: 'Sunny.' });
    const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'What is the weather in Paris?' }];
    const params = { model: upstream.model, tools: [WEATHER], reasoning: { effort: 'low' as const } };
    const ask = async (): Promise<OpenAI.Responses.Response> => (streamed ? client.responses.stream({ ...params, input }).finalResponse() : client.responses.create({ ...params, input }));
    const first = await ask();
    const reasoning = first.output.find((item): item is OpenAI.Responses.ResponseReasoningItem => item.type === 'reasoning');
    expect(reasoning).toMatchObject({ summary: [{ type: 'summary_text', text: 'The user wants the weather.' }], encrypted_content: expect.any(String) });
    input.push(...(first.output as OpenAI.Responses.ResponseInputItem[]), { type: 'function_call_output', call_id: CALL.id, output: '{"sky":"sunny"}' });
    expect((await ask()).output_text).toBe('Sunny.');
    expect(upstream.wire(upstream.requests()[1]!).reasoningBlocksSent).toEqual([{ text: 'The user wants the weather.', signature: 'sig-thinking-1' }]);
  });
});

/**
 * The official `openai` SDK through the gateway, in front of the OpenAI fake and the Anthropic fake:
 * a manual two-step tool loop (JSON and streamed), `runTools`, and `chat.completions.parse` with a
 * zod response format. The fakes answer the second step with text once the tool result arrived; the
 * tool results must reach the upstream wire under the ids the model gave its calls.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { GATEWAY_KEY, startInteropGateway, WEATHER_PARAMETERS, type InteropGateway, type Upstream } from './interop-gateway.js';

const WEATHER: OpenAI.ChatCompletionFunctionTool = { type: 'function', function: { name: 'get_weather', description: 'The weather in a city', parameters: WEATHER_PARAMETERS } };
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

describe('openai SDK through the gateway to a bot', () => {
  it('keeps the bot\'s provider options when user adds the end-user id (and names the session)', async () => {
    const upstream = interop.upstreams.find((candidate) => candidate.name === 'openai')!;
    upstream.reset();
    await client.chat.completions.create({ model: 'bot:concierge', user: 'end-user-8', messages: [{ role: 'user', content: 'hi' }] });
    expect(upstream.requests()[0]!.body).toMatchObject({ user: 'end-user-8', service_tier: 'default' });
    expect(await interop.gw.switchboard.sessions.get('end-user-8')).toMatchObject({ bot: 'concierge', userId: 'end-user-8' });
  });
});

describe.each(['openai', 'anthropic'])('openai SDK through the gateway to the %s fake', (name) => {
  let upstream: Upstream;
  beforeAll(() => {
    upstream = interop.upstreams.find((candidate) => candidate.name === name)!;
  });
  beforeEach(() => upstream.reset());

  /** The tool result of the second upstream request, and the call it answers, as the provider got them. */
  const expectToolRoundTrip = () => {
    const requests = upstream.requests();
    expect(requests).toHaveLength(2);
    expect(upstream.wire(requests[0]!).tools.map((tool) => tool.name)).toEqual(['get_weather']);
    const second = upstream.wire(requests[1]!);
    expect(second.assistantToolCalls).toEqual([{ id: CALL.id, name: CALL.name, arguments: { city: 'Paris' } }]);
    expect(second.toolResults).toEqual([{ toolCallId: CALL.id, content: '{"sky":"sunny","temp":21}' }]);
  };

  it.each([false, true])('completes a manual two-step tool loop (stream: %s)', async (stream) => {
    upstream.reply({ text: '', toolCalls: [CALL] });
    upstream.reply({ text: 'Sunny and 21 degrees in Paris.' });
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
    const ask = async () =>
      stream
        ? client.chat.completions.stream({ model: upstream.model, messages, tools: [WEATHER], stream_options: { include_usage: true } }).finalChatCompletion()
        : client.chat.completions.create({ model: upstream.model, messages, tools: [WEATHER] });
    const first = await ask();
    const message = first.choices[0]!.message;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(message.tool_calls).toEqual([{ id: CALL.id, type: 'function', function: { name: CALL.name, arguments: CALL.arguments } }]);
    messages.push(message, { role: 'tool', tool_call_id: CALL.id, content: '{"sky":"sunny","temp":21}' });
    const second = await ask();
    expect(second.choices[0]!.message.content).toBe('Sunny and 21 degrees in Paris.');
    expect(second.choices[0]!.finish_reason).toBe('stop');
    expectToolRoundTrip();
  });

  it.each([false, true])('runs tools with runTools (stream: %s)', async (stream) => {
    upstream.reply({ text: '', toolCalls: [CALL] });
    upstream.reply({ text: 'Sunny and 21 degrees in Paris.' });
    const cities: string[] = [];
    const tool = {
      type: 'function' as const,
      function: {
        name: 'get_weather',
        description: 'The weather in a city',
        parameters: WEATHER_PARAMETERS,
        parse: JSON.parse,
        function: (args: { city: string }) => {
          cities.push(args.city);
          return { sky: 'sunny', temp: 21 };
        },
      },
    };
    const runner = stream
      ? client.chat.completions.runTools({ model: upstream.model, stream: true, messages: [{ role: 'user', content: 'What is the weather in Paris?' }], tools: [tool] })
      : client.chat.completions.runTools({ model: upstream.model, messages: [{ role: 'user', content: 'What is the weather in Paris?' }], tools: [tool] });
    expect(await runner.finalContent()).toBe('Sunny and 21 degrees in Paris.');
    expect(cities).toEqual(['Paris']);
    expectToolRoundTrip();
  });

  it('forwards user as the provider\'s end-user id', async () => {
    await client.chat.completions.create({ model: upstream.model, user: 'end-user-7', messages: [{ role: 'user', content: 'hi' }] });
    expect(upstream.endUser(upstream.requests()[0]!)).toBe('end-user-7');
  });

  it('parses a zod response format with chat.completions.parse', async () => {
    upstream.replyJson('{"city":"Paris","temp":21}');
    const Place = z.object({ city: z.string(), temp: z.number() });
    const completion = await client.chat.completions.parse({ model: upstream.model, messages: [{ role: 'user', content: 'Where is it warm?' }], response_format: zodResponseFormat(Place, 'place') });
    expect(completion.choices[0]!.message.parsed).toEqual({ city: 'Paris', temp: 21 });
    const format = upstream.wire(upstream.requests()[0]!).responseFormat;
    expect(format).toMatchObject({ type: 'json_schema', schema: { type: 'object', required: ['city', 'temp'] } });
  });
});

describe('openai SDK through the gateway to the anthropic fake, thinking on', () => {
  it.each([false, true])('returns signed thinking to a provider that signs it, through reasoning_details, in a tool follow-up (stream: %s)', async (stream) => {
    const upstream = interop.upstreams.find((candidate) => candidate.name === 'anthropic')!;
    upstream.reset();
    upstream.reply({ text: '', reasoning: 'The user wants the weather.', signature: 'sig-thinking-1', toolCalls: [CALL] });
    upstream.reply({ text: 'Sunny.' });
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
    const ask = async () =>
      stream
        ? client.chat.completions.stream({ model: upstream.model, messages, tools: [WEATHER], reasoning_effort: 'low' }).finalChatCompletion()
        : client.chat.completions.create({ model: upstream.model, messages, tools: [WEATHER], reasoning_effort: 'low' });
    const first = await ask();
    const message = first.choices[0]!.message as OpenAI.ChatCompletionMessage & { reasoning_details?: unknown };
    expect(message.reasoning_details).toEqual([{ type: 'reasoning.text', text: 'The user wants the weather.', signature: 'sig-thinking-1', index: 0 }]);
    messages.push(message, { role: 'tool', tool_call_id: CALL.id, content: '{"sky":"sunny"}' });
    const second = await ask();
    expect(second.choices[0]!.message.content).toBe('Sunny.');
    expect(upstream.wire(upstream.requests()[1]!).reasoningBlocksSent).toEqual([{ text: 'The user wants the weather.', signature: 'sig-thinking-1' }]);
  });
});

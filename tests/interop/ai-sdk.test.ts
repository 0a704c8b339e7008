/**
 * The Vercel AI SDK (`ai` 6 through `@ai-sdk/openai-compatible`, which speaks chat completions)
 * through the gateway, in front of the OpenAI fake and the Anthropic fake: `generateText` and
 * `streamText` with a tool and a second step (`stopWhen: stepCountIs(2)`), and `generateObject` with
 * a zod schema (sent as `response_format: json_schema`). The tool result must reach the upstream wire
 * under the id of the call it answers.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateObject, generateText, Output, stepCountIs, streamText } from 'ai';
import { z } from 'zod';
import { expectWeatherRoundTrip, WEATHER_CALL, weatherTools } from './ai-sdk-weather.js';
import { GATEWAY_KEY, startInteropGateway, type InteropGateway, type Upstream } from './interop-gateway.js';

const CALL = WEATHER_CALL;

// The AI SDK logs its warnings to the console unless told otherwise.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

let interop: InteropGateway;
let provider: ReturnType<typeof createOpenAICompatible>;

beforeAll(async () => {
  interop = await startInteropGateway();
  provider = createOpenAICompatible({ name: 'switchboard', baseURL: interop.baseURL, apiKey: GATEWAY_KEY, includeUsage: true, supportsStructuredOutputs: true });
});
afterAll(async () => {
  await interop.close();
});

describe.each(['openai', 'anthropic'])('AI SDK through the gateway to the %s fake', (name) => {
  let upstream: Upstream;
  beforeAll(() => {
    upstream = interop.upstreams.find((candidate) => candidate.name === name)!;
  });
  beforeEach(() => upstream.reset());

  const weather = weatherTools;
  const expectToolRoundTrip = () => expectWeatherRoundTrip(upstream);

  it('generateText calls the tool, then answers in a second step', async () => {
    upstream.reply({ text: '', toolCalls: [CALL] });
    upstream.reply({ text: 'Sunny and 21 degrees in Paris.' });
    const { cities, tools } = weather();
    const result = await generateText({ model: provider.chatModel(upstream.model), tools, stopWhen: stepCountIs(2), maxRetries: 0, prompt: 'What is the weather in Paris?' });
    expect(result.text).toBe('Sunny and 21 degrees in Paris.');
    expect(result.steps).toHaveLength(2);
    expect(result.steps[0]!.finishReason).toBe('tool-calls');
    expect(result.steps[0]!.toolCalls.map((call) => [call.toolCallId, call.toolName, call.input])).toEqual([[CALL.id, CALL.name, { city: 'Paris' }]]);
    expect(cities).toEqual(['Paris']);
    expectToolRoundTrip();
  });

  it('streamText streams the tool call, then the second step', async () => {
    upstream.reply({ text: '', toolCalls: [CALL] });
    upstream.reply({ text: 'Sunny and 21 degrees in Paris.', chunks: ['Sunny and 21 ', 'degrees in Paris.'] });
    const { cities, tools } = weather();
    const result = streamText({ model: provider.chatModel(upstream.model), tools, stopWhen: stepCountIs(2), maxRetries: 0, prompt: 'What is the weather in Paris?' });
    const kinds: string[] = [];
    for await (const part of result.fullStream) {
      if (part.type === 'error') throw part.error;
      kinds.push(part.type);
    }
    expect(await result.text).toBe('Sunny and 21 degrees in Paris.');
    expect(kinds).toEqual(expect.arrayContaining(['tool-input-start', 'tool-call', 'tool-result', 'text-delta', 'finish']));
    expect(cities).toEqual(['Paris']);
    expectToolRoundTrip();
  });

  it('generateObject (and generateText with an object output) return the validated object', async () => {
    const Place = z.object({ city: z.string(), temp: z.number() });
    upstream.replyJson('{"city":"Paris","temp":21}');
    const { object } = await generateObject({ model: provider.chatModel(upstream.model), schema: Place, maxRetries: 0, prompt: 'Where is it warm?' });
    expect(object).toEqual({ city: 'Paris', temp: 21 });
    expect(upstream.wire(upstream.requests()[0]!).responseFormat).toMatchObject({ type: 'json_schema', schema: { type: 'object', required: ['city', 'temp'] } });

    upstream.replyJson('{"city":"Oslo","temp":4}');
    const { output } = await generateText({ model: provider.chatModel(upstream.model), output: Output.object({ schema: Place }), maxRetries: 0, prompt: 'And where is it cold?' });
    expect(output).toEqual({ city: 'Oslo', temp: 4 });
  });
});

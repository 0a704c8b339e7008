/**
 * The Vercel AI SDK's default OpenAI provider (`createOpenAI({ baseURL, apiKey })(model)`, which speaks
 * the Responses API and validates every answer and event with zod) through the gateway, in front of
 * the OpenAI fake and the Anthropic fake: `generateText`, `streamText`, a tool round trip with
 * `tools` / `stopWhen` (generated and streamed), and `Output.object`. The tool result must reach the
 * upstream wire under the id of the call it answers. A step that wrote text before its call comes back
 * as an `item_reference`, which the gateway resolves from the items it kept (with `store: false` the
 * AI SDK sends that text whole instead): either way the upstream sees the text.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, Output, stepCountIs, streamText } from 'ai';
import { z } from 'zod';
import { expectWeatherRoundTrip, WEATHER_CALL, weatherTools } from './ai-sdk-weather.js';
import { GATEWAY_KEY, startInteropGateway, type InteropGateway, type Upstream } from './interop-gateway.js';

const CALL = WEATHER_CALL;

// The AI SDK logs its warnings to the console unless told otherwise.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

let interop: InteropGateway;
let provider: ReturnType<typeof createOpenAI>;

beforeAll(async () => {
  interop = await startInteropGateway();
  provider = createOpenAI({ baseURL: interop.baseURL, apiKey: GATEWAY_KEY });
});
afterAll(async () => {
  await interop.close();
});

describe.each(['openai', 'anthropic'])('AI SDK default OpenAI provider through the gateway to the %s fake', (name) => {
  let upstream: Upstream;
  beforeAll(() => {
    upstream = interop.upstreams.find((candidate) => candidate.name === name)!;
  });
  beforeEach(() => upstream.reset());

  const weather = weatherTools;
  const expectToolRoundTrip = () => expectWeatherRoundTrip(upstream);

  it('generateText answers a text turn with usage', async () => {
    upstream.reply({ text: 'Hello from the gateway.' });
    const result = await generateText({ model: provider(upstream.model), system: 'Be brief.', prompt: 'Say hello', maxRetries: 0 });
    expect(result.text).toBe('Hello from the gateway.');
    expect(result.finishReason).toBe('stop');
    expect(result.usage.inputTokens).toEqual(expect.any(Number));
    expect(result.usage.outputTokens).toEqual(expect.any(Number));
  });

  it('streamText streams a text turn', async () => {
    upstream.reply({ text: 'One two three.', chunks: ['One ', 'two ', 'three.'] });
    const result = streamText({ model: provider(upstream.model), prompt: 'Count', maxRetries: 0 });
    const deltas: string[] = [];
    for await (const part of result.fullStream) {
      if (part.type === 'error') throw part.error;
      if (part.type === 'text-delta') deltas.push(part.text);
    }
    expect(deltas.join('')).toBe('One two three.');
    expect(await result.finishReason).toBe('stop');
  });

  it('generateText calls the tool, then answers in a second step', async () => {
    upstream.reply({ text: '', toolCalls: [CALL] });
    upstream.reply({ text: 'Sunny and 21 degrees in Paris.' });
    const { cities, tools } = weather();
    const result = await generateText({ model: provider(upstream.model), tools, stopWhen: stepCountIs(2), maxRetries: 0, prompt: 'What is the weather in Paris?' });
    expect(result.text).toBe('Sunny and 21 degrees in Paris.');
    expect(result.steps.map((step) => step.finishReason)).toEqual(['tool-calls', 'stop']);
    expect(result.steps[0]!.toolCalls.map((call) => [call.toolCallId, call.toolName, call.input])).toEqual([[CALL.id, CALL.name, { city: 'Paris' }]]);
    expect(cities).toEqual(['Paris']);
    expectToolRoundTrip();
  });

  it('streamText streams the tool call, then the second step', async () => {
    upstream.reply({ text: '', toolCalls: [CALL] });
    upstream.reply({ text: 'Sunny and 21 degrees in Paris.', chunks: ['Sunny and 21 ', 'degrees in Paris.'] });
    const { cities, tools } = weather();
    const result = streamText({ model: provider(upstream.model), tools, stopWhen: stepCountIs(2), maxRetries: 0, prompt: 'What is the weather in Paris?' });
    const kinds: string[] = [];
    for await (const part of result.fullStream) {
      if (part.type === 'error') throw part.error;
      kinds.push(part.type);
    }
    expect(await result.text).toBe('Sunny and 21 degrees in Paris.');
    expect(kinds).toEqual(expect.arrayContaining(['tool-input-start', 'tool-input-delta', 'tool-call', 'tool-result', 'text-delta', 'finish']));
    expect(cities).toEqual(['Paris']);
    expectToolRoundTrip();
  });

  /** The second step's upstream request carries the first step's text, its call and the call's result. */
  const expectTextBeforeCall = () => {
    expectToolRoundTrip();
    const second = upstream.requests()[1]!;
    expect(JSON.stringify(second.body)).toContain('Let me check.');
  };

  it('sends text written before a call back as an item reference the gateway resolves (no client settings)', async () => {
    upstream.reply({ text: 'Let me check.', toolCalls: [CALL] });
    upstream.reply({ text: 'Sunny.' });
    const { tools } = weather();
    const result = await generateText({ model: provider(upstream.model), tools, stopWhen: stepCountIs(2), maxRetries: 0, prompt: 'What is the weather in Paris?' });
    expect(result.text).toBe('Sunny.');
    // What the AI SDK sent back: a reference, not the text.
    expect(JSON.stringify(result.steps[1]!.request.body)).toContain('"item_reference"');
    expectTextBeforeCall();
  });

  it('streams a step with text before its call and resolves its item reference in the next step', async () => {
    upstream.reply({ text: 'Let me check.', chunks: ['Let me ', 'check.'], toolCalls: [CALL] });
    upstream.reply({ text: 'Sunny.', chunks: ['Sunny.'] });
    const { tools } = weather();
    const result = streamText({ model: provider(upstream.model), tools, stopWhen: stepCountIs(2), maxRetries: 0, prompt: 'What is the weather in Paris?' });
    for await (const part of result.fullStream) if (part.type === 'error') throw part.error;
    expect((await result.steps).map((step) => step.text)).toEqual(['Let me check.', 'Sunny.']);
    expectTextBeforeCall();
  });

  it('sends text written before a call back whole with store: false', async () => {
    upstream.reply({ text: 'Let me check.', toolCalls: [CALL] });
    upstream.reply({ text: 'Sunny.' });
    const { tools } = weather();
    const result = await generateText({ model: provider(upstream.model), tools, stopWhen: stepCountIs(2), maxRetries: 0, prompt: 'What is the weather in Paris?', providerOptions: { openai: { store: false } } });
    expect(result.text).toBe('Sunny.');
    expect(JSON.stringify(result.steps[1]!.request.body)).not.toContain('"item_reference"');
    expectTextBeforeCall();
  });

  it('generateText with Output.object returns the validated object', async () => {
    const Place = z.object({ city: z.string(), temp: z.number() });
    upstream.replyJson('{"city":"Paris","temp":21}');
    const { output } = await generateText({ model: provider(upstream.model), output: Output.object({ schema: Place }), maxRetries: 0, prompt: 'Where is it warm?' });
    expect(output).toEqual({ city: 'Paris', temp: 21 });
    expect(upstream.wire(upstream.requests()[0]!).responseFormat).toMatchObject({ type: 'json_schema', schema: { type: 'object', required: ['city', 'temp'] } });
  });
});

/**
 * LangChain.js (`ChatOpenAI` from @langchain/openai, pointed at the gateway with
 * `configuration.baseURL`) in front of the OpenAI fake and the Anthropic fake: a `bindTools` agent
 * step and its ToolMessage follow-up (invoked and streamed), and `withStructuredOutput` (JSON schema,
 * and function calling). The tool result must reach the upstream wire under its call's id.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { AIMessageChunk, HumanMessage, ToolMessage, type AIMessage, type BaseMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { ChatOpenAI } from '@langchain/openai';
import { z } from 'zod';
import { GATEWAY_KEY, startInteropGateway, type InteropGateway, type Upstream } from './interop-gateway.js';

const CALL = { id: 'call_weather_1', name: 'get_weather', arguments: '{"city":"Paris"}' };

let interop: InteropGateway;

beforeAll(async () => {
  interop = await startInteropGateway();
});
afterAll(async () => {
  await interop.close();
});

describe.each(['openai', 'anthropic'])('LangChain ChatOpenAI through the gateway to the %s fake', (name) => {
  let upstream: Upstream;
  let chat: ChatOpenAI;
  beforeAll(() => {
    upstream = interop.upstreams.find((candidate) => candidate.name === name)!;
    chat = new ChatOpenAI({ model: upstream.model, apiKey: GATEWAY_KEY, configuration: { baseURL: interop.baseURL }, maxRetries: 0 });
  });
  beforeEach(() => upstream.reset());

  const getWeather = tool(async ({ city }: { city: string }) => JSON.stringify({ city, sky: 'sunny', temp: 21 }), {
    name: 'get_weather',
    description: 'The weather in a city',
    schema: z.object({ city: z.string() }),
  });

  it.each([false, true])('runs a bindTools agent step and its ToolMessage follow-up (stream: %s)', async (stream) => {
    upstream.reply({ text: '', toolCalls: [CALL] });
    upstream.reply({ text: 'Sunny and 21 degrees in Paris.' });
    const agent = chat.bindTools([getWeather]);
    const ask = async (messages: BaseMessage[]): Promise<AIMessage> => {
      if (!stream) return agent.invoke(messages);
      let whole: AIMessageChunk | undefined;
      for await (const chunk of await agent.stream(messages)) whole = whole ? whole.concat(chunk) : chunk;
      return whole!;
    };
    const messages: BaseMessage[] = [new HumanMessage('What is the weather in Paris?')];
    const step = await ask(messages);
    expect(step.tool_calls).toEqual([expect.objectContaining({ id: CALL.id, name: CALL.name, args: { city: 'Paris' } })]);
    // What a LangGraph ToolNode does: run the tool for the call and answer it with a ToolMessage.
    const result = await getWeather.invoke({ ...step.tool_calls![0]!, type: 'tool_call' });
    expect(result).toBeInstanceOf(ToolMessage);
    messages.push(step, result);
    const answer = await ask(messages);
    expect(answer.content).toBe('Sunny and 21 degrees in Paris.');
    const requests = upstream.requests();
    expect(requests).toHaveLength(2);
    const second = upstream.wire(requests[1]!);
    expect(second.assistantToolCalls).toEqual([{ id: CALL.id, name: CALL.name, arguments: { city: 'Paris' } }]);
    expect(second.toolResults).toHaveLength(1);
    expect(second.toolResults[0]!.toolCallId).toBe(CALL.id);
    expect(JSON.parse(second.toolResults[0]!.content)).toEqual({ city: 'Paris', sky: 'sunny', temp: 21 });
  });

  it('withStructuredOutput returns the parsed object (JSON schema)', async () => {
    upstream.replyJson('{"city":"Paris","temp":21}');
    const structured = chat.withStructuredOutput(z.object({ city: z.string(), temp: z.number() }), { name: 'place' });
    expect(await structured.invoke('Where is it warm?')).toEqual({ city: 'Paris', temp: 21 });
    expect(upstream.wire(upstream.requests()[0]!).responseFormat).toMatchObject({ type: 'json_schema', schema: { type: 'object', required: ['city', 'temp'] } });
  });

  it('withStructuredOutput with method functionCalling forces the tool and parses its arguments', async () => {
    upstream.reply({ text: '', toolCalls: [{ id: 'call_place_1', name: 'place', arguments: '{"city":"Oslo","temp":4}' }] });
    const structured = chat.withStructuredOutput(z.object({ city: z.string(), temp: z.number() }), { name: 'place', method: 'functionCalling' });
    expect(await structured.invoke('Where is it cold?')).toEqual({ city: 'Oslo', temp: 4 });
    const wire = upstream.wire(upstream.requests()[0]!);
    expect(wire.tools.map((offered) => offered.name)).toEqual(['place']);
    expect(wire.toolChoice).toEqual({ name: 'place' });
  });
});

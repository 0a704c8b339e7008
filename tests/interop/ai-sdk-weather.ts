/**
 * The weather tool both AI SDK interop suites (chat completions through `@ai-sdk/openai-compatible`,
 * the Responses API through `@ai-sdk/openai`) run their tool round trips with, and what the upstream
 * must have seen on the second step.
 */
import { expect } from '@jest/globals';
import { tool } from 'ai';
import { z } from 'zod';
import type { Upstream } from './interop-gateway.js';

/** The call the fakes are scripted to make. */
export const WEATHER_CALL = { id: 'call_weather_1', name: 'get_weather', arguments: '{"city":"Paris"}' };

/** Builds the tool (its type inferred from the schema). */
const makeWeather = (cities: string[]) =>
  tool({
    description: 'The weather in a city',
    inputSchema: z.object({ city: z.string() }),
    execute: async ({ city }) => {
      cities.push(city);
      return { sky: 'sunny', temp: 21 };
    },
  });

/** A fresh `get_weather` tool and the cities it was asked about. */
export function weatherTools(): { cities: string[]; tools: { get_weather: ReturnType<typeof makeWeather> } } {
  const cities: string[] = [];
  return { cities, tools: { get_weather: makeWeather(cities) } };
}

/** Two upstream requests; the second offers the tool, carries the call and its one result. */
export function expectWeatherRoundTrip(upstream: Upstream): void {
  const requests = upstream.requests();
  expect(requests).toHaveLength(2);
  const second = upstream.wire(requests[1]!);
  expect(second.tools.map((offered) => offered.name)).toEqual(['get_weather']);
  expect(second.assistantToolCalls).toEqual([{ id: WEATHER_CALL.id, name: WEATHER_CALL.name, arguments: { city: 'Paris' } }]);
  expect(second.toolResults.map((result) => [result.toolCallId, JSON.parse(result.content)])).toEqual([[WEATHER_CALL.id, { sky: 'sunny', temp: 21 }]]);
}

/**
 * Tool definitions, tool arguments and results, images and reasoning are content: no span carries them
 * unless content capture is on, and then in the GenAI message format (tool_call, tool_call_response,
 * reasoning parts; images without their bytes). The output type and finish reasons follow the conventions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { ChatMessage, ToolDefinition } from '../../../src/core/types.js';
import { createSwitchboard, type Switchboard } from '../../../src/index.js';
import { FakeProvider } from '../../../src/testing/index.js';
import { makeHarness, type Harness } from './otel-harness.js';

const MARK = { tool: 'Brambleclock', args: 'Gloamwick', result: 'Fernquill', reasoning: 'Ottersong', image: 'iVBORw0KGgoQmlsbG93' };
const TOOL: ToolDefinition = { name: 'lookup', description: `Looks up ${MARK.tool}`, parameters: { type: 'object', properties: { q: { type: 'string' } } } };
const CONVERSATION: ChatMessage[] = [
  { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', data: MARK.image, mediaType: 'image/png' }] },
  { role: 'assistant', content: null, toolCalls: [{ id: 'c1', name: 'lookup', arguments: `{"q":"${MARK.args}"}` }] },
  { role: 'tool', toolCallId: 'c1', content: `{"found":"${MARK.result}"}` },
];

describe('rich content in telemetry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rich-telemetry-'));
  const opened: Array<{ sb: Switchboard; harness: Harness }> = [];
  afterAll(async () => {
    for (const { sb, harness } of opened) {
      await sb.close();
      await harness.shutdown();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  async function spans(captureContent: boolean) {
    const harness = makeHarness();
    const sb = await createSwitchboard({
      config: { models: {}, telemetry: { logLevel: 'silent', captureContent }, resilience: { maxRetries: 0 } },
      env: {},
      cwd: dir,
      tracerProvider: harness.tracerProvider,
      meterProvider: harness.meterProvider,
      logger: harness.logger,
    });
    opened.push({ sb, harness });
    const fake = new FakeProvider();
    sb.registry.register(fake);
    fake.reply('m', { reasoning: MARK.reasoning, toolCalls: [{ id: 'c2', name: 'lookup', arguments: `{"q":"${MARK.args}2"}` }] });
    await sb.chat({ model: 'fake:m', messages: CONVERSATION, tools: [TOOL] });
    fake.reply('m', { text: '{"a":1}' });
    await sb.chat({ model: 'fake:m', messages: [{ role: 'user', content: 'json please' }], responseFormat: { type: 'json' } });
    return harness.finished();
  }

  it('records none of it by default', async () => {
    const dumped = JSON.stringify((await spans(false)).map((span) => [span.attributes, span.events]));
    for (const marker of Object.values(MARK)) expect(dumped).not.toContain(marker);
    expect(dumped).not.toContain('gen_ai.tool.definitions');
  });

  it('with capture on: tool definitions, calls, results and reasoning as GenAI parts; images without bytes', async () => {
    const all = await spans(true);
    const inference = all.find((span) => span.name === 'chat m' && typeof span.attributes['gen_ai.tool.definitions'] === 'string')!;
    expect(JSON.parse(inference.attributes['gen_ai.tool.definitions'] as string)).toEqual([{ type: 'function', name: 'lookup', description: TOOL.description, parameters: TOOL.parameters }]);
    const input = JSON.parse(inference.attributes['gen_ai.input.messages'] as string) as Array<{ role: string; parts: Array<Record<string, unknown>> }>;
    expect(input[0]!.parts).toEqual([{ type: 'text', content: 'What is this?' }, { type: 'blob', modality: 'image', mime_type: 'image/png' }]);
    expect(input[1]!.parts).toEqual([{ type: 'tool_call', id: 'c1', name: 'lookup', arguments: `{"q":"${MARK.args}"}` }]);
    expect(input[2]).toEqual({ role: 'tool', parts: [{ type: 'tool_call_response', id: 'c1', response: `{"found":"${MARK.result}"}` }] });
    const output = JSON.parse(inference.attributes['gen_ai.output.messages'] as string) as Array<{ parts: Array<Record<string, unknown>>; finish_reason: string }>;
    expect(output[0]!.parts).toEqual([{ type: 'reasoning', content: MARK.reasoning }, { type: 'tool_call', id: 'c2', name: 'lookup', arguments: `{"q":"${MARK.args}2"}` }]);
    expect(output[0]!.finish_reason).toBe('tool_call');
    expect(inference.attributes['gen_ai.response.finish_reasons']).toEqual(['tool_call']);
    expect(JSON.stringify(all.map((span) => span.attributes))).not.toContain(MARK.image);
    const json = all.find((span) => span.name === 'chat m' && span.attributes['gen_ai.output.type'] === 'json');
    expect(json).toBeDefined();
  });
});

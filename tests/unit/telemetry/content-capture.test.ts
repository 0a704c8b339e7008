/**
 * Message content on spans is opt-in (option or OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT),
 * in the GenAI JSON format, and never carries a registered secret.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { registerSecret } from '../../../src/core/secrets.js';
import { makeUsage } from '../../../src/core/usage.js';
import { contentCaptureEnabled } from '../../../src/telemetry/telemetry.js';
import { CannedManager, callContext, chatRequest, makeHarness, type Harness } from './otel-harness.js';

const CONTENT_KEYS = ['gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.system_instructions'];
const ENV = 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT';

let harness: Harness;
afterEach(async () => {
  delete process.env[ENV];
  await harness.shutdown();
});

async function runBotCall(h: Harness, userText = 'Say hi'): Promise<void> {
  const { observer } = h.telemetry;
  const messages = [{ role: 'user' as const, content: userText }];
  const call = observer.startCall({ operation: 'chat', stream: false, bot: 'support', sessionId: 's1', model: 'canned:m', messages, params: {} });
  const manager = new CannedManager(observer, [{ kind: 'answer', text: 'Hi there', usage: makeUsage({ inputTokens: 4, outputTokens: 2 }) }]);
  const request = chatRequest('m');
  request.messages = [{ role: 'system', content: 'You are terse.' }, ...messages];
  const result = await manager.generateResponse(request, callContext({ bot: 'support', telemetryParent: call.parent }));
  call.end({ id: 'r', text: result.text, model: 'canned:m', usage: result.usage, costUsd: null, cached: false, attempts: 1, adapters: [], latencyMs: 1, finishReason: 'stop' });
}

describe('content capture', () => {
  it('records no content attribute by default', async () => {
    harness = makeHarness();
    await runBotCall(harness);
    const spans = harness.finished();
    expect(spans).toHaveLength(2);
    for (const span of spans) {
      expect(Object.keys(span.attributes).filter((k) => CONTENT_KEYS.includes(k))).toEqual([]);
      expect(JSON.stringify(span.attributes)).not.toContain('Say hi');
    }
  });

  it('records input, output and system instructions in the GenAI format when turned on', async () => {
    harness = makeHarness({ telemetry: { captureContent: true } });
    await runBotCall(harness);
    const inference = harness.finished().find((s) => s.name === 'chat m')!;
    const agent = harness.finished().find((s) => s.name === 'invoke_agent support')!;
    expect(JSON.parse(inference.attributes['gen_ai.input.messages'] as string)).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'Say hi' }] }]);
    expect(JSON.parse(inference.attributes['gen_ai.system_instructions'] as string)).toEqual([{ type: 'text', content: 'You are terse.' }]);
    expect(JSON.parse(inference.attributes['gen_ai.output.messages'] as string)).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'Hi there' }], finish_reason: 'stop' },
    ]);
    // The agent span sees the caller's messages (no bot system prompt here) and the final text.
    expect(JSON.parse(agent.attributes['gen_ai.input.messages'] as string)).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'Say hi' }] }]);
    expect(agent.attributes).not.toHaveProperty('gen_ai.system_instructions');
    expect(JSON.parse(agent.attributes['gen_ai.output.messages'] as string)[0].parts[0].content).toBe('Hi there');
  });

  it('turns on with the standard environment variable', async () => {
    process.env[ENV] = 'TRUE';
    harness = makeHarness();
    await runBotCall(harness);
    expect(harness.finished().every((s) => typeof s.attributes['gen_ai.input.messages'] === 'string')).toBe(true);
  });

  it('reads the switch as documented', () => {
    expect(contentCaptureEnabled(undefined, {})).toBe(false);
    expect(contentCaptureEnabled(false, { [ENV]: 'false' })).toBe(false);
    expect(contentCaptureEnabled(false, { [ENV]: ' true ' })).toBe(true);
    expect(contentCaptureEnabled(true, {})).toBe(true);
  });

  it('scrubs a registered key that a user pasted into a message', async () => {
    const key = 'sk-test-telemetry-0123456789abcdef';
    registerSecret(key);
    harness = makeHarness({ telemetry: { captureContent: true } });
    await runBotCall(harness, `my key is ${key}`);
    for (const span of harness.finished()) {
      const dumped = JSON.stringify(span.attributes);
      expect(dumped).not.toContain(key);
      expect(dumped).not.toContain('0123456789abcdef');
      expect(dumped).not.toMatch(/authorization/i);
    }
    const inference = harness.finished().find((s) => s.name === 'chat m')!;
    expect(inference.attributes['gen_ai.input.messages']).toContain('[REDACTED]');
  });
});

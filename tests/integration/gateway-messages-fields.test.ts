/**
 * No field of an Anthropic Messages request is dropped silently: every body field of
 * `MessageCreateParamsBase` and `MessageCountTokensParams` as the installed @anthropic-ai/sdk documents
 * them (read from its type definitions, so a field a new SDK adds fails here until it has a case),
 * plus the sampling fields older clients send, one per case through `/v1/messages` to the real
 * AnthropicManager (or OpenAIManager, OllamaManager) in front of the fakes. Each is on the upstream
 * wire or refused with a 400 in Anthropic's shape naming it, before any upstream call. Header params
 * (the SDK sends them as headers) are not body fields. And the answer's `stop_reason` /
 * `stop_sequence` when a stop sequence ended it.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../src/core/logger.js';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { FakeAnthropicServer, type AnthropicReply } from '../helpers/fake-anthropic-server.js';
import { startFakeOllamaServer, type FakeOllamaServer } from '../helpers/fake-ollama-server.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';
import type { RecordedRequest } from '../helpers/fake-provider.js';

/** The body fields of one params interface in the installed SDK's types. */
function sdkBodyFields(name: string): string[] {
  const types = readFileSync(new URL('../../node_modules/@anthropic-ai/sdk/resources/messages/messages.d.ts', import.meta.url), 'utf8');
  const start = types.indexOf(`export interface ${name} {`);
  if (start < 0) throw new Error(`${name} not found in the @anthropic-ai/sdk types`);
  const body = types.slice(start, types.indexOf('\n}', start));
  return [...body.matchAll(/\/\*\*\s*\n\s*\* (Body|Header) param:[\s\S]*?\*\/\s*\n {4}([a-z_]+)\??:/g)].filter((match) => match[1] === 'Body').map((match) => match[2]!);
}

type Body = Record<string, unknown>;
const TOOL = { name: 'lookup', description: 'Look up', input_schema: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } };
const SCHEMA = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==';

/** A case: fields to send (to `model`), and what the upstream body then shows, or the field a 400 names. */
type Case = { send: Body; wire: (body: Body) => void; model?: string; reply?: AnthropicReply } | { send: Body; refused: string; model?: string };

const CONVERSATION: Case = {
  send: {
    tools: [TOOL],
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'Look these up' }, { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }] },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 'Need a lookup.', signature: 'sig-1' }, { type: 'text', text: 'Looking.' }, { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'a' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: '{"hit":1}' }] }, { type: 'text', text: 'Thanks' }] },
    ],
  },
  wire: (body) =>
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Look these up' }, { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }] },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 'Need a lookup.', signature: 'sig-1' }, { type: 'text', text: 'Looking.' }, { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'a' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '{"hit":1}' }, { type: 'text', text: 'Thanks' }] },
    ]),
};

const CASES: Record<string, Case> = {
  max_tokens: { send: { max_tokens: 77 }, wire: (body) => expect(body.max_tokens).toBe(77) },
  messages: CONVERSATION,
  model: { send: {}, wire: (body) => expect(body.model).toBe('claude-haiku-4-5') },
  cache_control: { send: { cache_control: { type: 'ephemeral' } }, refused: 'cache_control' },
  container: { send: { container: 'container_1' }, refused: 'container' },
  diagnostics: { send: { diagnostics: { previous_message_id: 'msg_1' } }, refused: 'diagnostics' },
  inference_geo: { send: { inference_geo: 'us' }, refused: 'inference_geo' },
  metadata: { send: { metadata: { user_id: 'end-user-3' } }, wire: (body) => expect(body.metadata).toEqual({ user_id: 'end-user-3' }) },
  output_config: {
    send: { output_config: { format: { type: 'json_schema', schema: SCHEMA } } },
    reply: { json: '{"city":"Paris"}' },
    wire: (body) => expect(body.output_config).toEqual({ format: { type: 'json_schema', schema: SCHEMA } }),
  },
  'output_config (effort)': { send: { output_config: { effort: 'high' } }, refused: 'output_config.effort' },
  service_tier: { send: { service_tier: 'standard_only' }, refused: 'service_tier' },
  'service_tier (auto)': { send: { service_tier: 'auto' }, wire: (body) => expect(body.service_tier).toBeUndefined() },
  speed: { send: { speed: 'fast' }, refused: 'speed' },
  'speed (standard)': { send: { speed: 'standard' }, wire: (body) => expect(body.speed).toBeUndefined() },
  stop_sequences: { send: { stop_sequences: ['END', 'STOP'] }, wire: (body) => expect(body.stop_sequences).toEqual(['END', 'STOP']) },
  stream: { send: { stream: true }, wire: (body) => expect(body.stream).toBe(true) },
  system: { send: { system: [{ type: 'text', text: 'Be brief.' }, { type: 'text', text: 'Be kind.' }] }, wire: (body) => expect(body.system).toBe('Be brief.\nBe kind.') },
  thinking: { send: { max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 1024 } }, wire: (body) => expect([body.thinking, body.max_tokens]).toEqual([{ type: 'enabled', budget_tokens: 1024 }, 2048]) },
  'thinking (disabled)': { send: { thinking: { type: 'disabled' } }, wire: (body) => expect(body.thinking).toBeUndefined() },
  'thinking (adaptive)': { send: { thinking: { type: 'adaptive' } }, refused: 'thinking.type' },
  tool_choice: {
    send: { tools: [TOOL], tool_choice: { type: 'tool', name: 'lookup', disable_parallel_tool_use: true } },
    wire: (body) => expect(body.tool_choice).toEqual({ type: 'tool', name: 'lookup', disable_parallel_tool_use: true }),
  },
  'tool_choice (any)': { send: { tools: [TOOL], tool_choice: { type: 'any' } }, wire: (body) => expect(body.tool_choice).toEqual({ type: 'any' }) },
  'tool_choice (none)': { send: { tools: [TOOL], tool_choice: { type: 'none' } }, wire: (body) => expect(body.tool_choice).toEqual({ type: 'none' }) },
  tools: { send: { tools: [TOOL] }, wire: (body) => expect(body.tools).toEqual([TOOL]) },
  'tools (server tool)': { send: { tools: [TOOL, { type: 'web_search_20250305', name: 'web_search' }] }, refused: 'tools[1]' },
  // Not in SDK 1.12's types (its API version has no sampling parameters), but older clients send them.
  'temperature (anthropic)': { send: { temperature: 0.3 }, refused: 'temperature' },
  'temperature (openai)': { send: { temperature: 0.3 }, model: 'openai:gpt-4o-mini', wire: (body) => expect(body.temperature).toBe(0.3) },
  'top_p (anthropic)': { send: { top_p: 0.8 }, refused: 'top_p' },
  'top_p (openai)': { send: { top_p: 0.8 }, model: 'openai:gpt-4o-mini', wire: (body) => expect(body.top_p).toBe(0.8) },
  'top_k (anthropic)': { send: { top_k: 5 }, refused: 'top_k' },
  'top_k (openai)': { send: { top_k: 5 }, model: 'openai:gpt-4o-mini', refused: 'top_k' },
  'top_k (ollama)': { send: { top_k: 5 }, model: 'ollama:llama3.2', wire: (body) => expect((body.options as Body).top_k).toBe(5) },
  'top_k (not a whole number)': { send: { top_k: 2.5 }, model: 'ollama:llama3.2', refused: 'top_k' },
  'stop_sequences (openai)': { send: { stop_sequences: ['END'] }, model: 'openai:gpt-4o-mini', wire: (body) => expect(body.stop).toEqual(['END']) },
  'metadata (openai)': { send: { metadata: { user_id: 'end-user-4' } }, model: 'openai:gpt-4o-mini', wire: (body) => expect(body.user).toBe('end-user-4') },
  'mcp_servers (beta)': { send: { mcp_servers: [{ type: 'url', url: 'https://mcp.example', name: 'x' }] }, refused: 'mcp_servers' },
  'context_management (beta)': { send: { context_management: { edits: [] } }, refused: 'context_management' },
  'frequency_penalty (unknown)': { send: { frequency_penalty: 0.5 }, refused: 'frequency_penalty' },
};

const COUNT_CASES: Record<string, Case> = {
  messages: { send: {}, wire: (body) => expect(body.messages).toEqual([{ role: 'user', content: 'hi' }]) },
  model: { send: {}, wire: (body) => expect(body.model).toBe('claude-haiku-4-5') },
  cache_control: { send: { cache_control: { type: 'ephemeral' } }, refused: 'cache_control' },
  output_config: { send: { output_config: { format: { type: 'json_schema', schema: SCHEMA } } }, refused: 'output_config' },
  speed: { send: { speed: 'fast' }, refused: 'speed' },
  system: { send: { system: 'Be brief.' }, wire: (body) => expect(body.system).toBe('Be brief.') },
  thinking: { send: { thinking: { type: 'enabled', budget_tokens: 1024 } }, wire: (body) => expect(body.thinking).toBeUndefined() },
  tool_choice: { send: { tools: [TOOL], tool_choice: { type: 'auto' } }, wire: (body) => expect(body.tool_choice).toBeUndefined() },
  tools: { send: { tools: [TOOL] }, wire: (body) => expect(body.tools).toEqual([TOOL]) },
  'max_tokens (not a count field)': { send: { max_tokens: 10 }, refused: 'max_tokens' },
  'stream (not a count field)': { send: { stream: false }, refused: 'stream' },
};

const KEY = 'gw-messages-fields-Tq47Xc20';
const ANTHROPIC_KEY = 'sk-ant-fields-Mv83';
const OPENAI_KEY = 'sk-fields-openai-Bz16';

describe('every field of an Anthropic Messages request is on the upstream wire or refused by name', () => {
  let anthropic: FakeAnthropicServer;
  let openai: FakeOpenAIServer;
  let ollama: FakeOllamaServer;
  let gw: Gateway;
  /** What the fake behind `model` has received so far. */
  const received = (model: string): RecordedRequest[] => (model.startsWith('openai:') ? openai.requests : model.startsWith('ollama:') ? ollama.requests() : anthropic.requests);

  beforeAll(async () => {
    anthropic = await FakeAnthropicServer.start({ apiKey: ANTHROPIC_KEY });
    openai = await FakeOpenAIServer.start({ apiKey: OPENAI_KEY });
    ollama = await startFakeOllamaServer();
    gw = await startGateway({
      config: {
        resilience: { maxRetries: 0 },
        providers: { anthropic: { apiKey: ANTHROPIC_KEY, baseURL: anthropic.url }, openai: { apiKey: OPENAI_KEY, baseURL: openai.baseURL }, ollama: { baseURL: ollama.url } },
        server: { apiKeys: [{ key: KEY, tenant: 'fields' }] },
      },
      env: { NODE_ENV: 'test' },
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
    });
  });
  afterAll(async () => {
    await gw.close();
    await Promise.all([anthropic.close(), openai.close(), ollama.close()]);
  });
  beforeEach(() => {
    anthropic.reset();
    openai.reset();
  });

  /** Send one case; check its wire body or its refusal. */
  async function run(path: string, scenario: Case, base: Body): Promise<void> {
    const model = scenario.model ?? 'anthropic:claude-haiku-4-5';
    // The Ollama fake keeps every request: count from here.
    const before = received(model).length;
    if ('reply' in scenario && scenario.reply) anthropic.script('claude-haiku-4-5', scenario.reply);
    const response = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json' }, body: JSON.stringify({ ...base, model, ...scenario.send }) });
    const text = await response.text();
    if ('refused' in scenario) {
      expect([response.status, JSON.parse(text)]).toEqual([400, { type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining(scenario.refused) }, request_id: expect.stringMatching(/^req_/) }]);
      expect(received(model)).toHaveLength(before);
      return;
    }
    expect([response.status, response.status === 200 ? '' : text]).toEqual([200, '']);
    expect(received(model)).toHaveLength(before + 1);
    scenario.wire(received(model).at(-1)!.body as Body);
  }

  it('has a case for every body field the SDK documents', () => {
    const fields = sdkBodyFields('MessageCreateParamsBase');
    expect(fields.length).toBeGreaterThan(15);
    expect(fields.filter((field) => !CASES[field])).toEqual([]);
    expect(sdkBodyFields('MessageCountTokensParams').filter((field) => !COUNT_CASES[field])).toEqual([]);
  });

  it.each(Object.keys(CASES))('/v1/messages: %s', async (name) => {
    await run('/v1/messages', CASES[name]!, { max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
  });

  it.each(Object.keys(COUNT_CASES))('/v1/messages/count_tokens: %s', async (name) => {
    await run('/v1/messages/count_tokens', COUNT_CASES[name]!, { messages: [{ role: 'user', content: 'hi' }] });
  });

  it.each([false, true])('answers stop_reason stop_sequence with the sequence that ended the answer, where the upstream says which (stream: %s)', async (stream) => {
    const send = async (model: string): Promise<Body> => {
      const body = { model, max_tokens: 64, stop_sequences: ['END', 'HALT'], stream, messages: [{ role: 'user', content: 'Count to ten' }] };
      const response = await fetch(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const text = await response.text();
      expect(response.status).toBe(200);
      if (!stream) return JSON.parse(text) as Body;
      // The message_delta event carries the stop reason and sequence.
      const frame = text.split('\n\n').find((chunk) => chunk.startsWith('event: message_delta'))!;
      return (JSON.parse(/^data: (.*)$/m.exec(frame)![1]!) as { delta: Body }).delta;
    };
    anthropic.script('claude-haiku-4-5', { text: 'One, two, three', finishReason: 'stop_sequence' });
    expect(await send('anthropic:claude-haiku-4-5')).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'END' });
    // OpenAI says only "stop": which sequence, or whether one, is unknown.
    expect(await send('openai:gpt-4o-mini')).toMatchObject({ stop_reason: 'end_turn', stop_sequence: null });
  });
});

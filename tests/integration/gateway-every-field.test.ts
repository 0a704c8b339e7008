/**
 * No request field is dropped silently (issue #13): every field of OpenAI's chat completion request,
 * as the installed `openai` SDK documents it (`ChatCompletionCreateParamsBase`, read from its type
 * definitions, so a field a new SDK adds fails here until it has a case), sent one per case through
 * the gateway to the real OpenAIManager in front of the fake OpenAI server. Each is either on the
 * upstream wire (the fake's recorded body) or refused with a 400 naming it, before any upstream call.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../src/core/logger.js';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';

/** The documented fields of ChatCompletionCreateParamsBase in the installed SDK. */
function sdkChatFields(): string[] {
  const types = readFileSync(new URL('../../node_modules/openai/resources/chat/completions/completions.d.ts', import.meta.url), 'utf8');
  const start = types.indexOf('export interface ChatCompletionCreateParamsBase {');
  if (start < 0) throw new Error('ChatCompletionCreateParamsBase not found in the openai SDK types');
  const body = types.slice(start, types.indexOf('\n}', start));
  return [...body.matchAll(/^ {4}([a-z_]+)\??:/gm)].map((match) => match[1]!);
}

type Body = Record<string, unknown>;
const TOOL = { type: 'function', function: { name: 'lookup', description: 'Look up', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } } };
const SCHEMA = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==';

/** A case: the request fields to send, and what the upstream body must then show (or the 400's param). */
type Case =
  | { send: Body; wire: (body: Body) => void; model?: string; reply?: string }
  | { send: Body; refused: string };

const CASES: Record<string, Case> = {
  messages: {
    send: {
      tools: [TOOL],
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Look these up' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png' } }, { type: 'image_url', image_url: { url: PNG } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"a"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '{"hit":1}' },
      ],
    },
    wire: (body) =>
      expect(body.messages).toEqual([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Look these up' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png' } }, { type: 'image_url', image_url: { url: PNG } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"a"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '{"hit":1}' },
      ]),
  },
  model: { send: {}, wire: (body) => expect(body.model).toBe('gpt-4o-mini') },
  audio: { send: { audio: { voice: 'alloy', format: 'mp3' } }, refused: 'audio' },
  frequency_penalty: { send: { frequency_penalty: 0.5 }, wire: (body) => expect(body.frequency_penalty).toBe(0.5) },
  function_call: { send: { function_call: 'auto' }, refused: 'function_call' },
  functions: { send: { functions: [TOOL.function] }, refused: 'functions' },
  logit_bias: { send: { logit_bias: { '50256': -100 } }, refused: 'logit_bias' },
  logprobs: { send: { logprobs: true }, refused: 'logprobs' },
  max_completion_tokens: { send: { max_completion_tokens: 33 }, wire: (body) => expect(body.max_tokens ?? body.max_completion_tokens).toBe(33) },
  max_tokens: { send: { max_tokens: 44 }, wire: (body) => expect(body.max_tokens).toBe(44) },
  metadata: { send: { metadata: { tag: 'a' } }, refused: 'metadata' },
  modalities: { send: { modalities: ['text', 'audio'] }, refused: 'modalities' },
  moderation: { send: { moderation: { model: 'omni-moderation-latest' } }, refused: 'moderation' },
  n: { send: { n: 2 }, refused: 'n' },
  parallel_tool_calls: { send: { tools: [TOOL], parallel_tool_calls: false }, wire: (body) => expect(body.parallel_tool_calls).toBe(false) },
  prediction: { send: { prediction: { type: 'content', content: 'x' } }, refused: 'prediction' },
  presence_penalty: { send: { presence_penalty: -0.5 }, wire: (body) => expect(body.presence_penalty).toBe(-0.5) },
  prompt_cache_key: { send: { prompt_cache_key: 'k-1' }, refused: 'prompt_cache_key' },
  prompt_cache_options: { send: { prompt_cache_options: { mode: 'explicit' } }, refused: 'prompt_cache_options' },
  prompt_cache_retention: { send: { prompt_cache_retention: '24h' }, refused: 'prompt_cache_retention' },
  reasoning_effort: { send: { reasoning_effort: 'low' }, model: 'openai:o4-mini', wire: (body) => expect(body.reasoning_effort).toBe('low') },
  response_format: {
    send: { response_format: { type: 'json_schema', json_schema: { name: 'place', schema: SCHEMA, strict: true } } },
    reply: '{"city":"Paris"}',
    wire: (body) => expect(body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'place', schema: SCHEMA, strict: true } }),
  },
  safety_identifier: { send: { safety_identifier: 'u-1' }, refused: 'safety_identifier' },
  seed: { send: { seed: 7 }, wire: (body) => expect(body.seed).toBe(7) },
  service_tier: { send: { service_tier: 'priority' }, refused: 'service_tier' },
  stop: { send: { stop: ['END'] }, wire: (body) => expect(body.stop).toEqual(['END']) },
  store: { send: { store: true }, refused: 'store' },
  stream: { send: { stream: true }, wire: (body) => expect(body.stream).toBe(true) },
  stream_options: { send: { stream: true, stream_options: { include_usage: true } }, wire: (body) => expect(body.stream_options).toEqual({ include_usage: true }) },
  temperature: { send: { temperature: 0.25 }, wire: (body) => expect(body.temperature).toBe(0.25) },
  tool_choice: {
    send: { tools: [TOOL], tool_choice: { type: 'function', function: { name: 'lookup' } } },
    wire: (body) => expect(body.tool_choice).toEqual({ type: 'function', function: { name: 'lookup' } }),
  },
  tools: { send: { tools: [TOOL] }, wire: (body) => expect(body.tools).toEqual([TOOL]) },
  top_logprobs: { send: { top_logprobs: 3 }, refused: 'top_logprobs' },
  top_p: { send: { top_p: 0.9 }, wire: (body) => expect(body.top_p).toBe(0.9) },
  user: { send: { user: 'end-user-42' }, wire: (body) => expect(body.user).toBe('end-user-42') },
  verbosity: { send: { verbosity: 'low' }, refused: 'verbosity' },
  web_search_options: { send: { web_search_options: {} }, refused: 'web_search_options' },
};

const KEY = 'gw-fields-Pn38Rk71Zt24Qe';
const UPSTREAM_KEY = 'sk-fields-upstream-Hw62Lq09';
const FIELDS = sdkChatFields();

describe('every field of an OpenAI chat completion request is on the upstream wire or refused by name', () => {
  let upstream: FakeOpenAIServer;
  let gw: Gateway;

  beforeAll(async () => {
    upstream = await FakeOpenAIServer.start({ apiKey: UPSTREAM_KEY });
    gw = await startGateway({
      config: { resilience: { maxRetries: 0 }, providers: { openai: { apiKey: UPSTREAM_KEY, baseURL: upstream.baseURL } }, server: { apiKeys: [{ key: KEY, tenant: 'fields' }] } },
      env: { NODE_ENV: 'test' },
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
    });
  });
  afterAll(async () => {
    await gw.close();
    await upstream.close();
  });
  beforeEach(() => upstream.reset());

  it('has a case for exactly the fields the SDK documents', () => {
    expect(FIELDS.length).toBeGreaterThan(30);
    expect(Object.keys(CASES).sort()).toEqual([...FIELDS].sort());
  });

  it.each(FIELDS)('%s', async (field) => {
    const scenario = CASES[field];
    if (!scenario) throw new Error(`no case for the SDK field ${field}: decide what the gateway does with it`);
    const model = 'model' in scenario && scenario.model ? scenario.model : 'openai:gpt-4o-mini';
    if ('reply' in scenario && scenario.reply) upstream.script(model.slice('openai:'.length), { text: scenario.reply });
    const response = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...scenario.send }),
    });
    const text = await response.text();
    if ('refused' in scenario) {
      expect([response.status, JSON.parse(text)]).toEqual([400, { error: expect.objectContaining({ type: 'invalid_request_error', code: 'unsupported_parameter', param: scenario.refused }) }]);
      expect(upstream.requests).toHaveLength(0);
      return;
    }
    expect([response.status, response.status === 200 ? '' : text]).toEqual([200, '']);
    expect(upstream.requests).toHaveLength(1);
    scenario.wire(upstream.requests[0]!.body as Body);
  });
});

/**
 * No field of a Responses request is dropped silently: every field of `ResponseCreateParamsBase` as
 * the installed `openai` SDK documents it (read from its type definitions, so a field a new SDK adds
 * fails here until it has a case), sent one per case through the gateway to the real OpenAIManager in
 * front of the fake OpenAI server. Each is on the upstream wire (the fake's recorded chat completion
 * body), accepted because it asks for nothing (and then absent upstream), or refused with a 400 naming
 * it before any upstream call. `max_tool_calls`, which the real API and the AI SDK send but this SDK's
 * create params lack, is checked too.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../src/core/logger.js';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';

/** The documented fields of ResponseCreateParamsBase in the installed SDK. */
function sdkResponsesFields(): string[] {
  const types = readFileSync(new URL('../../node_modules/openai/resources/responses/responses.d.ts', import.meta.url), 'utf8');
  const start = types.indexOf('export interface ResponseCreateParamsBase {');
  if (start < 0) throw new Error('ResponseCreateParamsBase not found in the openai SDK types');
  const body = types.slice(start, types.indexOf('\n}', start));
  return [...body.matchAll(/^ {4}([a-z_]+)\??:/gm)].map((match) => match[1]!);
}

type Body = Record<string, any>;
const TOOL = { type: 'function', name: 'lookup', description: 'Look up', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] }, strict: false };
const SCHEMA = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==';

/** A case: the fields to send, and what the upstream body (and the answer) must then show, or the 400's param. */
type Case =
  | { send: Body; wire: (upstream: Body, answer: string) => void; model?: string; reply?: string }
  | { send: Body; refused: string };

const CASES: Record<string, Case> = {
  background: { send: { background: true }, refused: 'background' },
  context_management: { send: { context_management: [{ type: 'compaction', compact_threshold: 1000 }] }, refused: 'context_management' },
  conversation: { send: { conversation: 'conv_1' }, refused: 'conversation' },
  include: { send: { include: ['reasoning.encrypted_content'] }, wire: (upstream) => expect(upstream).not.toHaveProperty('include') },
  input: {
    send: {
      tools: [TOOL],
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'Look these up' }, { type: 'input_image', image_url: PNG }] },
        { type: 'function_call', call_id: 'call_1', name: 'lookup', arguments: '{"q":"a"}' },
        { type: 'function_call_output', call_id: 'call_1', output: '{"hit":1}' },
      ],
    },
    wire: (upstream) =>
      expect(upstream.messages).toEqual([
        { role: 'user', content: [{ type: 'text', text: 'Look these up' }, { type: 'image_url', image_url: { url: PNG } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"a"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '{"hit":1}' },
      ]),
  },
  instructions: { send: { instructions: 'Be brief.' }, wire: (upstream) => expect(upstream.messages[0]).toEqual({ role: 'system', content: 'Be brief.' }) },
  max_output_tokens: { send: { max_output_tokens: 33 }, wire: (upstream) => expect(upstream.max_tokens ?? upstream.max_completion_tokens).toBe(33) },
  metadata: {
    send: { metadata: { ticket: 't-9' } },
    wire: (upstream, answer) => {
      expect(upstream).not.toHaveProperty('metadata');
      expect(JSON.parse(answer).metadata).toEqual({ ticket: 't-9' });
    },
  },
  model: { send: {}, wire: (upstream) => expect(upstream.model).toBe('gpt-4o-mini') },
  moderation: { send: { moderation: { model: 'omni-moderation-latest' } }, refused: 'moderation' },
  parallel_tool_calls: { send: { tools: [TOOL], parallel_tool_calls: false }, wire: (upstream) => expect(upstream.parallel_tool_calls).toBe(false) },
  previous_response_id: { send: { previous_response_id: 'resp_1' }, refused: 'previous_response_id' },
  prompt: { send: { prompt: { id: 'pmpt_1' } }, refused: 'prompt' },
  prompt_cache_key: { send: { prompt_cache_key: 'k-1' }, refused: 'prompt_cache_key' },
  prompt_cache_options: { send: { prompt_cache_options: { ttl: '30m' } }, refused: 'prompt_cache_options' },
  prompt_cache_retention: { send: { prompt_cache_retention: '24h' }, refused: 'prompt_cache_retention' },
  reasoning: { send: { reasoning: { effort: 'low', summary: 'auto' } }, model: 'openai:o4-mini', wire: (upstream) => expect(upstream.reasoning_effort).toBe('low') },
  safety_identifier: { send: { safety_identifier: 'u-1' }, refused: 'safety_identifier' },
  service_tier: { send: { service_tier: 'priority' }, refused: 'service_tier' },
  store: { send: { store: true }, refused: 'store' },
  stream: { send: { stream: true }, wire: (upstream, answer) => expect([upstream.stream, answer.trim().split('\n\n').at(-1)]).toEqual([true, expect.stringMatching(/^event: response\.completed\n/)]) },
  stream_options: { send: { stream: true, stream_options: { include_obfuscation: false } }, wire: (upstream) => expect(upstream.stream).toBe(true) },
  temperature: { send: { temperature: 0.25 }, wire: (upstream) => expect(upstream.temperature).toBe(0.25) },
  text: {
    send: { text: { format: { type: 'json_schema', name: 'place', schema: SCHEMA, strict: true } } },
    reply: '{"city":"Paris"}',
    wire: (upstream) => expect(upstream.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'place', schema: SCHEMA, strict: true } }),
  },
  tool_choice: {
    send: { tools: [TOOL], tool_choice: { type: 'function', name: 'lookup' } },
    wire: (upstream) => expect(upstream.tool_choice).toEqual({ type: 'function', function: { name: 'lookup' } }),
  },
  tools: {
    send: { tools: [TOOL] },
    wire: (upstream) => expect(upstream.tools).toEqual([{ type: 'function', function: { name: TOOL.name, description: TOOL.description, parameters: TOOL.parameters, strict: false } }]),
  },
  top_logprobs: { send: { top_logprobs: 3 }, refused: 'top_logprobs' },
  top_p: { send: { top_p: 0.9 }, wire: (upstream) => expect(upstream.top_p).toBe(0.9) },
  truncation: { send: { truncation: 'auto' }, refused: 'truncation' },
  user: { send: { user: 'end-user-42' }, wire: (upstream) => expect(upstream.user).toBe('end-user-42') },
};

const KEY = 'gw-resp-fields-Lc28Vq61Xm';
const UPSTREAM_KEY = 'sk-resp-fields-upstream-Tn47Bd';
const FIELDS = sdkResponsesFields();

describe('every field of a Responses request is on the upstream wire, asks for nothing, or is refused by name', () => {
  let upstream: FakeOpenAIServer;
  let gw: Gateway;
  const post = (body: Body) =>
    fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    upstream = await FakeOpenAIServer.start({ apiKey: UPSTREAM_KEY, models: ['gpt-4o-mini', 'o4-mini'] });
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
    expect(FIELDS.length).toBeGreaterThan(25);
    expect(Object.keys(CASES).sort()).toEqual([...FIELDS].sort());
  });

  it.each(FIELDS)('%s', async (field) => {
    const scenario = CASES[field];
    if (!scenario) throw new Error(`no case for the SDK field ${field}: decide what the gateway does with it`);
    const model = 'model' in scenario && scenario.model ? scenario.model : 'openai:gpt-4o-mini';
    if ('reply' in scenario && scenario.reply) upstream.script(model.slice('openai:'.length), { text: scenario.reply });
    const response = await post({ model, input: 'hi', ...scenario.send });
    const text = await response.text();
    if ('refused' in scenario) {
      expect([response.status, JSON.parse(text)]).toEqual([400, { error: expect.objectContaining({ type: 'invalid_request_error', code: 'unsupported_parameter', param: scenario.refused }) }]);
      expect(upstream.requests).toHaveLength(0);
      return;
    }
    expect([response.status, response.status === 200 ? '' : text]).toEqual([200, '']);
    expect(upstream.requests).toHaveLength(1);
    scenario.wire(upstream.requests[0]!.body as Body, text);
  });

  it('refuses max_tool_calls (the real API\'s, which the AI SDK sends) by name', async () => {
    const response = await post({ model: 'openai:gpt-4o-mini', input: 'hi', max_tool_calls: 2 });
    expect([response.status, ((await response.json()) as Body).error]).toEqual([400, expect.objectContaining({ code: 'unsupported_parameter', param: 'max_tool_calls' })]);
    expect(upstream.requests).toHaveLength(0);
  });
});

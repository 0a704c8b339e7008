/**
 * The content of a `/v1/messages` request as the switchboard receives it (a FakeProvider records each
 * call), and every nested part it cannot carry refused with a 400 in Anthropic's shape naming the
 * Anthropic path, before any call: blocks, sources, tool fields, thinking, tool choice, metadata,
 * core's own rules (a tool result answering no call, an image's media type, a tool's schema) under
 * the caller's paths, and a model's missing capability under the field that asked for it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../src/core/logger.js';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { FakeProvider } from '../../src/testing/index.js';

const KEY = 'gw-messages-content-Jr73Uf';
const TOOL = { name: 'lookup', input_schema: { type: 'object', properties: { q: { type: 'string' } } } };
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==';
const USE = { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'a' } };
type Json = Record<string, unknown>;

/** A conversation: a user turn, the assistant calling the tool, then `last` as the user's answer. */
const afterCall = (last: unknown[]) => [
  { role: 'user', content: 'look it up' },
  { role: 'assistant', content: [USE] },
  { role: 'user', content: last },
];

describe('gateway /v1/messages content', () => {
  const fake = new FakeProvider();
  const plain = new FakeProvider({ provider: 'plain', supports: { tools: false, vision: false, json: false, reasoning: false } });
  let gw: Gateway;

  const post = async (extra: Json) => {
    const response = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY },
      body: JSON.stringify({ model: 'fake:m', max_tokens: 2048, messages: [{ role: 'user', content: 'hi' }], ...extra }),
    });
    return { status: response.status, body: JSON.parse(await response.text()) as { type: string; error: { type: string; message: string } } };
  };

  beforeAll(async () => {
    gw = await startGateway({
      config: { resilience: { maxRetries: 0 }, server: { apiKeys: [{ key: KEY, tenant: 't' }] } },
      env: { NODE_ENV: 'test' },
      managers: [fake, plain],
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
    });
  });
  afterAll(async () => {
    await gw.close();
  });
  beforeEach(() => {
    fake.reset();
    plain.reset();
  });

  it('hands the switchboard the conversation: system, text and images, tool calls and results, signed and redacted thinking', async () => {
    const answer = await post({
      system: 'Be brief.',
      tools: [TOOL],
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Use tools.' }] },
        { role: 'user', content: [{ type: 'text', text: 'Look' }, { type: 'text', text: 'these up' }] },
        { role: 'user', content: [{ type: 'text', text: 'and this' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }, { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }] },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'Plan.', signature: 'sig-1' }, { type: 'redacted_thinking', data: 'enc-1' }, { type: 'text', text: 'On ' }, { type: 'text', text: 'it.' }, USE, { ...USE, id: 'toolu_2', input: { q: 'b' } }] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'hit' }, { type: 'text', text: 'two' }] },
            { type: 'tool_result', tool_use_id: 'toolu_2', content: 'not found', is_error: true },
            { type: 'text', text: 'Thanks' },
          ],
        },
      ],
    });
    expect(answer.status).toBe(200);
    expect(fake.calls[0]!.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'system', content: 'Use tools.' },
      { role: 'user', content: 'Look\nthese up' },
      { role: 'user', content: [{ type: 'text', text: 'and this' }, { type: 'image', data: PNG, mediaType: 'image/png' }, { type: 'image', url: 'https://example.com/a.png' }] },
      {
        role: 'assistant',
        content: 'On it.',
        toolCalls: [
          { id: 'toolu_1', name: 'lookup', arguments: '{"q":"a"}' },
          { id: 'toolu_2', name: 'lookup', arguments: '{"q":"b"}' },
        ],
        reasoning: [{ text: 'Plan.', signature: 'sig-1' }, { text: '', redacted: 'enc-1' }],
      },
      { role: 'tool', toolCallId: 'toolu_1', content: 'hit\ntwo' },
      // No provider but Anthropic has an error flag on a tool result: the text says it.
      { role: 'tool', toolCallId: 'toolu_2', content: 'Error: not found' },
      { role: 'user', content: 'Thanks' },
    ]);
  });

  it('hands the switchboard tools, tool choice, parallel tool calls, thinking, stop sequences and the JSON schema', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    fake.reply('fake:m', { text: '{"city":"Paris"}' });
    const answer = await post({
      tools: [{ ...TOOL, description: 'Look up', strict: true }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      thinking: { type: 'enabled', budget_tokens: 1024 },
      stop_sequences: ['END'],
      temperature: 0.5,
      top_p: 0.9,
      output_config: { format: { type: 'json_schema', schema } },
    });
    expect(answer.status).toBe(200);
    expect(fake.calls[0]!.rich).toEqual({
      tools: [{ name: 'lookup', description: 'Look up', parameters: TOOL.input_schema, strict: true }],
      toolChoice: 'required',
      parallelToolCalls: false,
      responseFormat: { type: 'json_schema', schema },
    });
    expect(fake.calls[0]!.params).toEqual({ maxTokens: 2048, reasoning: { maxTokens: 1024 }, stop: ['END'], temperature: 0.5, topP: 0.9 });
  });

  it.each([
    ['a document block', 'messages[0].content[0]', { messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'text', data: 'x', media_type: 'text/plain' } }] }] }],
    ['an uploaded file image', 'messages[0].content[0].source', { messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'file_1' } }] }] }],
    ['a citation given back', 'messages[0].content[0].citations', { messages: [{ role: 'user', content: [{ type: 'text', text: 'x', citations: [{ type: 'char_location' }] }] }] }],
    ['a block cache_control', 'messages[0].content[0].cache_control', { messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral' } }] }] }],
    ['a system block cache_control', 'system[0].cache_control', { system: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral' } }] }],
    ['an unknown block key', 'messages[0].content[0].weight', { messages: [{ role: 'user', content: [{ type: 'text', text: 'x', weight: 2 }] }] }],
    ['an unknown message key', 'messages[0].name', { messages: [{ role: 'user', content: 'x', name: 'bob' }] }],
    ['a tool role', 'messages[0].role', { messages: [{ role: 'tool', content: 'x' }] }],
    ['a prefill (last turn the assistant\'s)', 'messages[1]', { messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: 'The answer is' }] }],
    ['text before a tool_result', 'messages[2].content[1]', { messages: afterCall([{ type: 'text', text: 'first' }, { type: 'tool_result', tool_use_id: 'toolu_1', content: 'r' }]) }],
    ['an image in a tool_result', 'messages[2].content[0].content[0]', { messages: afterCall([{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }] }]) }],
    ['a tool_result answering no call', 'messages[0].content[0].tool_use_id', { messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_9', content: 'r' }] }] }],
    ['a tool_use in a user message', 'messages[0].content[0].type', { messages: [{ role: 'user', content: [USE] }] }],
    ['a tool_use whose input is no object', 'messages[1].content[0].input', { messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: [{ ...USE, input: 'q=a' }] }, { role: 'user', content: 'y' }] }],
    ['a tool call name core refuses', 'messages[1].content[0].name', { messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: [{ ...USE, name: 'bad name!' }] }, { role: 'user', content: 'y' }] }],
    ['a code-execution caller', 'messages[1].content[0].caller', { messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: [{ ...USE, caller: { type: 'code_execution_20250825' } }] }, { role: 'user', content: 'y' }] }],
    ['an image media type core refuses', 'messages[0].content[1].source.media_type', { messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'image', source: { type: 'base64', media_type: 'image/tiff', data: PNG } }] }] }],
    ['a thinking text that is no string', 'messages[1].content[0].thinking', { messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: [{ type: 'thinking', thinking: 7, signature: 's' }] }, { role: 'user', content: 'y' }] }],
    ['a tool without input_schema', 'tools[0].input_schema', { tools: [{ name: 'lookup' }] }],
    ['a tool schema that does not compile', 'tools[0].input_schema', { tools: [{ name: 'lookup', input_schema: { type: 'object', properties: 7 } }] }],
    ['a tool cache_control', 'tools[0].cache_control', { tools: [{ ...TOOL, cache_control: { type: 'ephemeral' } }] }],
    ['tool input examples', 'tools[0].input_examples', { tools: [{ ...TOOL, input_examples: [{ q: 'a' }] }] }],
    ['deferred tool loading', 'tools[0].defer_loading', { tools: [{ ...TOOL, defer_loading: true }] }],
    ['a tool_choice naming no tool', 'tool_choice.name', { tools: [TOOL], tool_choice: { type: 'tool', name: 'other' } }],
    ['a tool_choice type', 'tool_choice.type', { tools: [TOOL], tool_choice: { type: 'sometimes' } }],
    ['disable_parallel_tool_use on none', 'tool_choice.disable_parallel_tool_use', { tools: [TOOL], tool_choice: { type: 'none', disable_parallel_tool_use: true } }],
    ['a thinking budget below 1024', 'thinking.budget_tokens', { thinking: { type: 'enabled', budget_tokens: 500 } }],
    ['a thinking budget not below max_tokens', 'thinking.budget_tokens', { max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 2048 } }],
    ['thinking display omitted', 'thinking.display', { thinking: { type: 'enabled', budget_tokens: 1024, display: 'omitted' } }],
    ['a temperature above 1', 'temperature', { temperature: 1.5 }],
    ['stop_sequences as a string', 'stop_sequences', { stop_sequences: 'END' }],
    ['max_tokens of 0', 'max_tokens', { max_tokens: 0 }],
    ['an unknown metadata key', 'metadata.tag', { metadata: { user_id: 'u', tag: 'x' } }],
    ['a long metadata.user_id', 'metadata.user_id', { metadata: { user_id: 'u'.repeat(257) } }],
    ['an output_config.format that is not a JSON schema', 'output_config.format', { output_config: { format: { type: 'regex', pattern: 'x' } } }],
  ])('refuses %s, naming %s', async (_name, path, extra) => {
    const answer = await post(extra);
    expect([answer.status, answer.body.type, answer.body.error.type]).toEqual([400, 'error', 'invalid_request_error']);
    expect(answer.body.error.message.slice(0, path.length)).toBe(path);
    expect(fake.calls).toHaveLength(0);
  });

  it.each([
    ['tools', { tools: [TOOL] }, 'tools: '],
    ['an image', { messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }] }] }, 'messages: '],
    ['thinking', { thinking: { type: 'enabled', budget_tokens: 1024 } }, 'thinking: '],
    ['a JSON schema answer', { output_config: { format: { type: 'json_schema', schema: { type: 'object' } } } }, 'output_config.format: '],
  ])('names the field when the model cannot take %s', async (_name, extra, prefix) => {
    const answer = await post({ model: 'plain:m', ...extra });
    expect([answer.status, answer.body.error.type]).toEqual([400, 'invalid_request_error']);
    expect(answer.body.error.message.startsWith(prefix)).toBe(true);
    expect(plain.calls).toHaveLength(0);
  });
});

/**
 * Token counts for OpenAI model families (src/managers/openai/openai-tokens.ts) against an independent
 * reference tokenizer (js-tiktoken, a port of OpenAI's tiktoken) on a fixed set of strings, and the
 * chat format's documented overhead (3 tokens per message, 3 to prime the reply).
 */
import { describe, expect, it } from '@jest/globals';
import { getEncoding } from 'js-tiktoken';
import { measureOpenAIChat, openAIEncodingFor } from '../../../src/managers/openai/openai-tokens.js';

const STRINGS = [
  'Hello, world!',
  'The quick brown fox jumps over the lazy dog.',
  'Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich.',
  '日本語のテキストはトークンが多い。',
  'function add(a, b) { return a + b; } // code',
  '   leading spaces and\ttabs\nand new lines\n\n',
  '🙂 emoji 🚀 and symbols ∑∫√',
  'https://example.com/path?query=1&other=two#fragment',
  'a'.repeat(1000),
  '',
];

describe('OpenAI token counts', () => {
  it('maps model families to their encodings', () => {
    expect(openAIEncodingFor('gpt-4o-mini')).toBe('o200k_base');
    expect(openAIEncodingFor('gpt-4.1-nano')).toBe('o200k_base');
    expect(openAIEncodingFor('o3-mini')).toBe('o200k_base');
    expect(openAIEncodingFor('gpt-5')).toBe('o200k_base');
    expect(openAIEncodingFor('ft:gpt-4o-mini:acme::abc123')).toBe('o200k_base');
    expect(openAIEncodingFor('gpt-4')).toBe('cl100k_base');
    expect(openAIEncodingFor('gpt-4-turbo')).toBe('cl100k_base');
    expect(openAIEncodingFor('gpt-3.5-turbo')).toBe('cl100k_base');
    expect(openAIEncodingFor('llama3.1:8b')).toBeUndefined();
    expect(openAIEncodingFor('mistral-large')).toBeUndefined();
  });

  it.each([['o200k_base'], ['cl100k_base']] as const)('%s: each message counts like the reference tokenizer, plus 3 per message and 3 to prime', async (encoding) => {
    const reference = getEncoding(encoding);
    for (const text of STRINGS) {
      const measure = await measureOpenAIChat(encoding, [{ role: 'user', content: text }]);
      expect(measure.perMessage).toEqual([reference.encode(text).length + reference.encode('user').length + 3]);
      expect(measure.fixed).toBe(3);
      expect(measure.exact).toBe(true);
    }
  });

  it('a conversation is the sum of its messages; images make it inexact', async () => {
    const reference = getEncoding('o200k_base');
    const messages = [
      { role: 'system' as const, content: 'You are terse.' },
      { role: 'user' as const, content: 'Hi!' },
      { role: 'assistant' as const, content: 'Hello.' },
    ];
    const measure = await measureOpenAIChat('o200k_base', messages);
    const expected = messages.map((m) => reference.encode(m.content).length + reference.encode(m.role).length + 3);
    expect(measure.perMessage).toEqual(expected);
    const withImage = await measureOpenAIChat('o200k_base', [{ role: 'user', content: [{ type: 'text', text: 'What?' }, { type: 'image', url: 'https://example.com/a.png' }] }], [], 85);
    expect(withImage.exact).toBe(false);
    expect(withImage.perMessage[0]).toBe(reference.encode('What?').length + reference.encode('user').length + 3 + 85);
  });

  it('tool definitions and tool calls count', async () => {
    const tools = [{ name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }];
    const plain = await measureOpenAIChat('o200k_base', [{ role: 'user', content: 'Weather?' }]);
    const withTools = await measureOpenAIChat('o200k_base', [{ role: 'user', content: 'Weather?' }], tools);
    expect(withTools.fixed).toBeGreaterThan(plain.fixed + 10);
    const call = await measureOpenAIChat('o200k_base', [{ role: 'assistant', content: null, toolCalls: [{ id: 'c1', name: 'get_weather', arguments: '{"city":"Paris"}' }] }]);
    expect(call.perMessage[0]).toBeGreaterThan(8);
  });
});

/**
 * The rich request rules (src/core/request-rules.ts): every bad field is named by its path, and no
 * message repeats what the caller sent (a canary in each bad value must not come back).
 */
import { describe, expect, it } from '@jest/globals';
import { checkMessages, checkProviderOptions, checkResponseFormat, checkToolChoice, checkTools } from '../../../src/core/request-rules.js';

const CANARY = 'sk-canary-Zx81Lq0Rm2Vt';
const tool = (name: string, parameters: unknown = { type: 'object', properties: {} }) => ({ name, parameters });

function problemOf(checked: { problem?: { path: string; message: string } }): string {
  expect(checked.problem).toBeDefined();
  const text = `${checked.problem!.path} ${checked.problem!.message}`;
  expect(text).not.toContain(CANARY);
  return text;
}

describe('request rules', () => {
  it.each<[string, unknown, RegExp]>([
    ['an unknown role', [{ role: CANARY, content: 'x' }], /^messages\[0\]\.role must be "system", "user", "assistant" or "tool"/],
    ['system content as parts', [{ role: 'system', content: [{ type: 'text', text: CANARY }] }], /^messages\[0\]\.content must be a string/],
    ['an unknown part type', [{ role: 'user', content: [{ type: CANARY }] }], /^messages\[0\]\.content\[0\]\.type must be "text" or "image"/],
    ['an http image URL', [{ role: 'user', content: [{ type: 'image', url: `http://${CANARY}.example/a.png` }] }], /^messages\[0\]\.content\[0\]\.url must be an https: URL or a data: URL/],
    ['a data URL that is no image', [{ role: 'user', content: [{ type: 'image', url: `data:text/plain;base64,${CANARY}` }] }], /^messages\[0\]\.content\[0\]\.url a data: URL must be/],
    ['bytes that are not base64', [{ role: 'user', content: [{ type: 'image', data: `${CANARY}!!`, mediaType: 'image/png' }] }], /^messages\[0\]\.content\[0\]\.data/],
    ['an unknown media type', [{ role: 'user', content: [{ type: 'image', data: 'AAAA', mediaType: 'image/tiff' }] }], /^messages\[0\]\.content\[0\]\.mediaType must be image\/png/],
    ['a tool result for no call', [{ role: 'user', content: 'x' }, { role: 'tool', toolCallId: CANARY, content: '{}' }], /^messages\[1\]\.toolCallId/],
    ['a tool call without id', [{ role: 'assistant', content: null, toolCalls: [{ name: 'f', arguments: '{}' }] }], /^messages\[0\]\.toolCalls\[0\]\.id/],
    ['tool call arguments as an object', [{ role: 'assistant', content: null, toolCalls: [{ id: 'a', name: 'f', arguments: { x: CANARY } }] }], /^messages\[0\]\.toolCalls\[0\]\.arguments must be the JSON text/],
    ['reasoning blocks without text', [{ role: 'assistant', content: 'x', reasoning: [{ signature: CANARY }] }], /^messages\[0\]\.reasoning\[0\]\.text must be a string/],
  ])('messages: %s', (_name, messages, pattern) => {
    expect(problemOf(checkMessages(messages))).toMatch(pattern);
  });

  it('accepts a whole tool conversation with images and reasoning, and copies it', () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', url: 'https://example.com/a.png' }, { type: 'image', data: 'iVBORw0KGgo=', mediaType: 'image/png' }] },
      { role: 'assistant', content: null, toolCalls: [{ id: 'c1', name: 'look', arguments: '{}' }], reasoning: [{ text: 'hm', signature: 's' }] },
      { role: 'tool', toolCallId: 'c1', content: 'a cat' },
    ];
    const checked = checkMessages(messages);
    expect(checked.value).toEqual(messages);
    expect(checked.value).not.toBe(messages);
  });

  it.each<[string, unknown, RegExp]>([
    ['not a list', 'weather', /^tools must be an array/],
    ['a bad name', [tool(`bad name ${CANARY}`)], /^tools\[0\]\.name must be 1-64 letters/],
    ['a repeated name', [tool('f'), tool('f')], /^tools\[1\]\.name repeats/],
    ['parameters that are no schema', [tool('f', { type: CANARY })], /^tools\[0\]\.parameters is not a valid JSON Schema \(a "type" keyword/],
    ['parameters that are not an object schema', [tool('f', { type: 'string' })], /^tools\[0\]\.parameters must be an object schema/],
    ['a $ref that does not resolve', [tool('f', { type: 'object', properties: { x: { $ref: `#/$defs/${CANARY}` } } })], /^tools\[0\]\.parameters is not a valid JSON Schema/],
  ])('tools: %s', (_name, tools, pattern) => {
    expect(problemOf(checkTools(tools))).toMatch(pattern);
  });

  it('schemas naming draft 2020-12 or 2019-09 in $schema (zod 4 writes 2020-12) compile; an unknown meta-schema is a problem, not a throw', () => {
    const draft = (uri: string) => ({ $schema: uri, type: 'object', properties: { items: { type: 'array', prefixItems: [{ type: 'string' }] } } });
    expect(checkTools([tool('f', draft('https://json-schema.org/draft/2020-12/schema'))]).value).toHaveLength(1);
    expect(checkTools([tool('f', draft('https://json-schema.org/draft/2019-09/schema'))]).value).toHaveLength(1);
    expect(checkTools([tool('f', draft('http://json-schema.org/draft-07/schema#'))]).value).toHaveLength(1);
    expect(problemOf(checkTools([tool('f', draft(`https://example.com/${CANARY}/schema`))]))).toMatch(/unknown meta-schema/);
  });

  it('tool choice must name a tool of the request, and needs tools unless it is none', () => {
    expect(problemOf(checkToolChoice({ name: CANARY }, [tool('f') as never]))).toMatch(/^toolChoice\.name names no tool/);
    expect(problemOf(checkToolChoice('required', []))).toMatch(/^toolChoice needs tools/);
    expect(checkToolChoice('none', undefined).value).toBe('none');
    expect(checkToolChoice({ name: 'later-checked' }, 'later').value).toEqual({ name: 'later-checked' });
  });

  it('response formats: json_schema needs a schema that compiles', () => {
    expect(problemOf(checkResponseFormat({ type: CANARY }))).toMatch(/^responseFormat\.type must be/);
    expect(problemOf(checkResponseFormat({ type: 'json_schema' }))).toMatch(/^responseFormat\.schema must be a JSON Schema object/);
    expect(problemOf(checkResponseFormat({ type: 'json_schema', schema: { type: 'object' }, name: `${CANARY} x` }))).toMatch(/^responseFormat\.name/);
    expect(checkResponseFormat({ type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true }).value).toEqual({ type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true });
  });

  it('provider options: provider names as keys, plain JSON, bounded', () => {
    expect(problemOf(checkProviderOptions({ [`${CANARY} x`]: {} }))).toMatch(/^providerOptions keys must be provider names/);
    expect(problemOf(checkProviderOptions({ openai: 'x' }))).toMatch(/^providerOptions\.openai must be an object/);
    expect(problemOf(checkProviderOptions({ openai: { blob: 'x'.repeat(20_000) } }))).toMatch(/^providerOptions\.openai must be at most/);
    expect(checkProviderOptions({ openai: { user: 'u-1' } }).value).toEqual({ openai: { user: 'u-1' } });
  });
});

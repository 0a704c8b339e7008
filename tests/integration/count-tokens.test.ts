/**
 * `sb.countTokens` (API.md "Sessions"): exact for OpenAI families (gpt-tokenizer, checked against
 * js-tiktoken), through Anthropic's count endpoint (with the usual retries: a 529 then the count), an
 * estimate elsewhere; bad input refused before any request.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getEncoding } from 'js-tiktoken';
import { InvalidRequestError } from '../../src/core/errors.js';
import type { Switchboard } from '../../src/switchboard.js';
import { FakeProvider } from '../../src/testing/index.js';
import { chaosSwitchboard, startChaosServers, type ChaosServers } from '../reliability/helpers.js';

describe('sb.countTokens', () => {
  let servers: ChaosServers;
  let sb: Switchboard;

  beforeAll(async () => {
    servers = await startChaosServers();
    sb = await chaosSwitchboard(servers);
    sb.registry.register(new FakeProvider());
  });
  afterAll(async () => {
    await sb?.close();
    await servers?.close();
  });

  it('OpenAI models: exact, without any request (the reference tokenizer agrees)', async () => {
    const reference = getEncoding('o200k_base');
    const text = 'Count these words, please: one, two, three.';
    const counted = await sb.countTokens({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: text }] });
    expect(counted).toEqual({ inputTokens: reference.encode(text).length + reference.encode('user').length + 3 + 3, exact: true });
    const prompt = await sb.countTokens({ model: 'openai:gpt-4', prompt: text });
    const cl100k = getEncoding('cl100k_base');
    expect(prompt).toEqual({ inputTokens: cl100k.encode(text).length + cl100k.encode('user').length + 6, exact: true });
    expect(servers.openai.requestCount).toBe(0);
  });

  it('Anthropic models: the count endpoint answers, retried like any call', async () => {
    servers.anthropic.countTokensFaults.push({ kind: 'status', status: 529, message: 'overloaded' });
    const before = servers.anthropic.requestCount;
    const counted = await sb.countTokens({
      model: 'anthropic:claude-haiku-4-5',
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'one two three four' }],
      tools: [{ name: 'f', parameters: { type: 'object', properties: {} } }],
    });
    // The fake counts words (2 + 4) plus 8 per tool.
    expect(counted).toEqual({ inputTokens: 14, exact: true });
    expect(servers.anthropic.requestCount - before).toBe(2);
    const sent = servers.anthropic.requests.at(-1)!;
    expect(sent.path).toMatch(/\/v1\/messages\/count_tokens$/);
    expect(sent.body).toMatchObject({ model: 'claude-haiku-4-5', system: 'Be brief.', tools: [{ name: 'f' }] });
  });

  it('models without a known tokenizer get an estimate, marked inexact', async () => {
    await expect(sb.countTokens({ model: 'fake:m', prompt: 'x'.repeat(400) })).resolves.toEqual({ inputTokens: 104, exact: false });
  });

  it('bad input is refused by name before any request', async () => {
    const before = servers.anthropic.requestCount;
    await expect(sb.countTokens({ model: 'anthropic:claude-haiku-4-5', messages: [{ role: 'tool', toolCallId: 'x', content: 'y' }] })).rejects.toThrow(/messages\[0\]\.toolCallId/);
    await expect(sb.countTokens({ model: 'openai:gpt-4o', messages: [], prompt: 'x' } as never)).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(sb.countTokens({ model: 'nope:m', prompt: 'x' })).rejects.toMatchObject({ code: 'no_such_provider' });
    expect(servers.anthropic.requestCount).toBe(before);
  });
});

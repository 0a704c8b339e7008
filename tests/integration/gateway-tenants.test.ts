/**
 * Tenants at the gateway (issue 17, API.md "Deployments and tenants"), with the official SDKs against
 * the fake OpenAI server: a tenant limited to `bot:support` gets 403 `permission_denied` for
 * `openai:gpt-4o` on every route (Anthropic's error shape on /v1/messages) and no upstream call is
 * made, while its bot answers; a bots-only key gets 403 for any model; a tenant's rpm and budget are
 * 429s with `retry-after`; GET /v1/models lists only what the caller may call.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';

const KEYS = {
  supportOnly: 'gw-tenant-support-only-0123456789',
  botsOnly: 'gw-tenant-bots-only-key-0123456789',
  limited: 'gw-tenant-rpm-limited-0123456789',
  budgeted: 'gw-tenant-budgeted-key-0123456789',
  open: 'gw-tenant-unrestricted-0123456789',
};

describe('gateway tenants', () => {
  let upstream: FakeOpenAIServer;
  let gateway: Gateway;
  const openai = (key: string) => new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });

  beforeAll(async () => {
    upstream = await FakeOpenAIServer.start({ models: ['gpt-4o', 'gpt-4o-mini', 'text-embedding-3-small'] });
    gateway = await startGateway({
      port: 0,
      host: '127.0.0.1',
      config: {
        telemetry: { logLevel: 'silent' },
        providers: { openai: { apiKey: 'sk-upstream-gateway-tenants-abcdef', baseURL: upstream.baseURL } },
        resilience: { maxRetries: 0 },
        bots: { support: { model: 'openai:gpt-4o-mini' }, sales: { model: 'openai:gpt-4o-mini' } },
        tenants: {
          'support-only': { allowedBots: ['bot:support'] },
          limited: { rpm: 2 },
          budgeted: { budget: { usdPerDay: 0.000001 } },
        },
        server: {
          apiKeys: [
            { key: KEYS.supportOnly, tenant: 'support-only' },
            { key: KEYS.botsOnly, tenant: 'open', botsOnly: true },
            { key: KEYS.limited, tenant: 'limited' },
            { key: KEYS.budgeted, tenant: 'budgeted' },
            { key: KEYS.open, tenant: 'open' },
          ],
        },
      },
    });
  }, 20_000);

  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  async function refusal(call: () => Promise<unknown>): Promise<{ status?: number; code?: string; message: string; headers?: Headers }> {
    try {
      await call();
    } catch (error) {
      return error as { status?: number; code?: string; message: string; headers?: Headers };
    }
    throw new Error('expected a refusal');
  }

  it('gives a tenant limited to bot:support a 403 for openai:gpt-4o on every route, before any upstream call', async () => {
    const client = openai(KEYS.supportOnly);
    const before = upstream.requestCount;
    const chat = await refusal(() => client.chat.completions.create({ model: 'openai:gpt-4o', messages: [{ role: 'user', content: 'hi' }] }));
    expect(chat).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(chat).toMatchObject({ status: 403, code: 'permission_denied' });
    expect(chat.message).toContain('tenants.support-only.allowedModels');
    expect(chat.message).not.toContain('gpt-4o');
    const streamed = await refusal(async () => {
      const stream = await client.chat.completions.create({ model: 'openai:gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] });
      for await (const chunk of stream) void chunk;
    });
    expect(streamed).toMatchObject({ status: 403, code: 'permission_denied' });
    expect(await refusal(() => client.completions.create({ model: 'openai:gpt-4o', prompt: 'hi' }))).toMatchObject({ status: 403 });
    expect(await refusal(() => client.responses.create({ model: 'openai:gpt-4o', input: 'hi' }))).toMatchObject({ status: 403 });
    expect(await refusal(() => client.embeddings.create({ model: 'openai:text-embedding-3-small', input: 'hi' }))).toMatchObject({ status: 403, code: 'permission_denied' });
    // Another bot is refused too, and so is a session of it.
    expect(await refusal(() => client.chat.completions.create({ model: 'bot:sales', messages: [{ role: 'user', content: 'hi' }] }))).toMatchObject({ status: 403 });
    const session = await refusal(() => client.chat.completions.create({ model: 'bot:sales', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-session-id': 'tenant-sales-1' } }));
    expect(session).toMatchObject({ status: 403, code: 'permission_denied' });
    expect(await gateway.switchboard.sessions.get('tenant-sales-1')).toBeUndefined();
    expect(upstream.requestCount).toBe(before);
    // Its bot answers, on the bot's own model (not listed in any allowedModels).
    const answer = await client.chat.completions.create({ model: 'bot:support', messages: [{ role: 'user', content: 'hello' }] });
    expect(answer.choices[0]!.message.content).toContain('hello');
  });

  it('answers /v1/messages in Anthropic\'s error shape', async () => {
    const client = new Anthropic({ apiKey: KEYS.supportOnly, baseURL: gateway.url, maxRetries: 0 });
    const error = await refusal(() => client.messages.create({ model: 'openai:gpt-4o', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }));
    expect(error).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect((error as unknown as { error: { error: { type: string } } }).error.error.type).toBe('permission_error');
    // Counting is refused for what the tenant may not call, and answered for its bot.
    const counted = await refusal(() => client.messages.countTokens({ model: 'openai:gpt-4o', messages: [{ role: 'user', content: 'hi' }] }));
    expect(counted).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(await refusal(() => client.messages.countTokens({ model: 'bot:sales', messages: [{ role: 'user', content: 'hi' }] }))).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect((await client.messages.countTokens({ model: 'bot:support', messages: [{ role: 'user', content: 'hi' }] })).input_tokens).toBeGreaterThan(0);
  });

  it('refuses any model to a bots-only key and serves its bots', async () => {
    const client = openai(KEYS.botsOnly);
    const chat = await refusal(() => client.chat.completions.create({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }));
    expect(chat).toMatchObject({ status: 403, code: 'permission_denied' });
    expect(chat.message).toContain('server.apiKeys[].botsOnly');
    expect(await refusal(() => client.embeddings.create({ model: 'openai:text-embedding-3-small', input: 'hi' }))).toMatchObject({ status: 403 });
    const answer = await client.chat.completions.create({ model: 'bot:sales', messages: [{ role: 'user', content: 'bots only' }] });
    expect(answer.choices[0]!.message.content).toContain('bots only');
  });

  it('turns a tenant\'s rpm into a 429 with retry-after', async () => {
    const client = openai(KEYS.limited);
    for (let i = 0; i < 2; i++) await client.chat.completions.create({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: `call ${i}` }] });
    const error = await refusal(() => client.chat.completions.create({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: 'third' }] }));
    expect(error).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    expect(error.message).toContain('tenants.limited.rpm');
    expect(Number(error.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('turns a full tenant budget into a 429 budget_exceeded with retry-after until the day resets', async () => {
    const error = await refusal(() => openai(KEYS.budgeted).chat.completions.create({ model: 'openai:gpt-4o', messages: [{ role: 'user', content: 'too dear' }] }));
    expect(error).toMatchObject({ status: 429, code: 'budget_exceeded' });
    expect(error.message).toContain('tenants.budgeted.budget.usdPerDay');
    const seconds = Number(error.headers?.get('retry-after'));
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThanOrEqual(86_400);
    expect(error.headers?.get('x-should-retry')).toBe('false');
  });

  it('lists only what the caller may call on GET /v1/models', async () => {
    const ids = async (key: string) => (await openai(key).models.list()).data.map((model) => model.id);
    expect(await ids(KEYS.supportOnly)).toEqual(['bot:support']);
    const botsOnly = await ids(KEYS.botsOnly);
    expect(botsOnly).toEqual(['bot:sales', 'bot:support']);
    const open = await ids(KEYS.open);
    expect(open).toEqual(expect.arrayContaining(['bot:sales', 'bot:support', 'openai:gpt-4o']));
    expect(await refusal(() => openai(KEYS.supportOnly).models.retrieve('openai:gpt-4o'))).toMatchObject({ status: 404 });
  });
});

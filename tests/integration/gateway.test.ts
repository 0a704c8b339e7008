/**
 * The gateway through the official `openai` SDK: chat and text completions as JSON, the
 * x_switchboard extension and headers, bots with adapters, sessions (X-Session-Id and `user`) with
 * tenants from gateway keys, auth, every error class, /v1/models, /healthz, /readyz and /metrics.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { createConsoleLogger } from '../../src/core/logger.js';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { FakeProvider } from '../../src/testing/index.js';

const KEY_ACME = 'gw-acme-7Qm2vXk9Lp4Rt8Zs3Nd6';
const KEY_GLOBEX = 'gw-globex-4Hf8Wq1Ty5Ub9Oc2Je7';

describe('gateway (JSON, auth, errors, sessions, listings)', () => {
  const logLines: string[] = [];
  const fake = new FakeProvider({ pricing: { priced: { inputPerMTok: 2, outputPerMTok: 4 } } });
  let gw: Gateway;
  let acme: OpenAI;
  let globex: OpenAI;

  beforeAll(async () => {
    gw = await startGateway({
      config: {
        resilience: { maxRetries: 0 },
        bots: {
          helper: { model: 'fake:primary', system: 'Be brief.', params: { temperature: 0.3 }, adapters: [{ name: 'prefix-suffix', options: { prefix: '[helper] ' } }] },
          other: { model: 'fake:secondary' },
        },
        server: { apiKeys: [{ key: KEY_ACME, tenant: 'acme' }, { key: KEY_GLOBEX, tenant: 'globex' }], bodyLimitBytes: 16 * 1024 },
      },
      env: { NODE_ENV: 'test' },
      managers: [fake],
      host: '127.0.0.1',
      port: 0,
      logger: createConsoleLogger('debug', (line) => logLines.push(line)),
    });
    acme = new OpenAI({ apiKey: KEY_ACME, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    globex = new OpenAI({ apiKey: KEY_GLOBEX, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await gw.close();
  });
  beforeEach(() => fake.reset());

  it('answers a model in the chat.completion shape with usage, cost and headers', async () => {
    fake.reply('fake:priced', { text: 'Hello there', usage: { inputTokens: 12, outputTokens: 4, cacheReadTokens: 2, reasoningTokens: 1 } });
    const { data, response } = await acme.chat.completions
      .create({ model: 'fake:priced', messages: [{ role: 'user', content: 'hi' }], temperature: 0.5, max_tokens: 40, stop: ['END'], seed: 7, top_p: 0.9, frequency_penalty: 0.1, presence_penalty: 0.2 })
      .withResponse();
    expect(data).toMatchObject({ object: 'chat.completion', model: 'fake:priced', choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there' }, finish_reason: 'stop' }] });
    expect(data.id).toMatch(/^chatcmpl-/);
    expect(data.usage).toEqual({
      prompt_tokens: 12,
      completion_tokens: 4,
      total_tokens: 16,
      prompt_tokens_details: { cached_tokens: 2 },
      completion_tokens_details: { reasoning_tokens: 1 },
    });
    const extension = (data as unknown as { x_switchboard: Record<string, unknown> }).x_switchboard;
    expect(extension).toMatchObject({ model: 'fake:priced', cached: false, attempts: 1, adapters: [] });
    expect(extension.cost_usd).toBeCloseTo((12 * 2 + 4 * 4) / 1e6, 12);
    expect(response.headers.get('x-switchboard-model')).toBe('fake:priced');
    expect(Number(response.headers.get('x-switchboard-cost-usd'))).toBeCloseTo((12 * 2 + 4 * 4) / 1e6, 12);
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(fake.calls[0]!.params).toEqual({ temperature: 0.5, maxTokens: 40, stop: ['END'], seed: 7, topP: 0.9, frequencyPenalty: 0.1, presencePenalty: 0.2 });
  });

  it('maps finish reasons back to OpenAI words and accepts text parts and developer messages', async () => {
    fake.reply('fake:m', { text: 'cut', finishReason: 'length' }).reply('fake:m', { text: 'blocked', finishReason: 'content-filter' });
    const first = await acme.chat.completions.create({ model: 'fake:m', messages: [{ role: 'developer', content: 'rules' }, { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }], max_completion_tokens: 5 });
    const second = await acme.chat.completions.create({ model: 'fake:m', messages: [{ role: 'user', content: 'x' }] });
    expect(first.choices[0]!.finish_reason).toBe('length');
    expect(second.choices[0]!.finish_reason).toBe('content_filter');
    expect(fake.calls[0]!.messages).toEqual([{ role: 'system', content: 'rules' }, { role: 'user', content: 'a\nb' }]);
    expect(fake.calls[0]!.params.maxTokens).toBe(5);
  });

  it('runs a bot with its system prompt and adapter', async () => {
    fake.reply('fake:primary', { text: 'Sure.' });
    const data = await acme.chat.completions.create({ model: 'bot:helper', messages: [{ role: 'user', content: 'help me' }] });
    expect(data.choices[0]!.message.content).toBe('[helper] Sure.');
    expect(data.model).toBe('bot:helper');
    expect((data as unknown as { x_switchboard: { adapters: string[]; model: string } }).x_switchboard).toMatchObject({ adapters: ['prefix-suffix'], model: 'fake:primary' });
    expect(fake.calls[0]!.messages[0]).toEqual({ role: 'system', content: 'Be brief.' });
    expect(fake.calls[0]!.bot).toBe('helper');
  });

  it('answers /v1/completions in the text_completion shape', async () => {
    fake.reply('fake:writer', { text: 'a poem', usage: { inputTokens: 3, outputTokens: 2 } });
    const data = await acme.completions.create({ model: 'fake:writer', prompt: 'write', max_tokens: 9 });
    expect(data).toMatchObject({ object: 'text_completion', model: 'fake:writer', choices: [{ text: 'a poem', index: 0, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } });
    expect(fake.calls[0]).toMatchObject({ operation: 'text_completion', messages: [{ role: 'user', content: 'write' }], params: { maxTokens: 9 } });
  });

  it('continues a session named by X-Session-Id, with the tenant of the key', async () => {
    const headers = { 'X-Session-Id': 'conv-acme-1' };
    const first = await acme.chat.completions.create({ model: 'bot:helper', messages: [{ role: 'user', content: 'one' }] }, { headers }).withResponse();
    expect(first.response.headers.get('x-session-id')).toBe('conv-acme-1');
    expect((first.data as unknown as { x_switchboard: { session_id: string } }).x_switchboard.session_id).toBe('conv-acme-1');
    const session = await gw.switchboard.sessions.get('conv-acme-1');
    expect(session).toMatchObject({ id: 'conv-acme-1', bot: 'helper', tenantId: 'acme' });
    await acme.chat.completions.create({ model: 'bot:helper', messages: [{ role: 'user', content: 'two' }] }, { headers });
    expect(fake.calls.map((call) => [call.sessionId, call.tenantId])).toEqual([
      ['conv-acme-1', 'acme'],
      ['conv-acme-1', 'acme'],
    ]);
    // Another tenant may not use it; another bot may not either.
    await expect(globex.chat.completions.create({ model: 'bot:helper', messages: [{ role: 'user', content: 'x' }] }, { headers })).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    const mismatch = acme.chat.completions.create({ model: 'bot:other', messages: [{ role: 'user', content: 'x' }] }, { headers });
    await expect(mismatch).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(mismatch).rejects.toMatchObject({ code: 'session_bot_mismatch' });
    // A session header needs a bot.
    await expect(acme.chat.completions.create({ model: 'fake:x', messages: [{ role: 'user', content: 'x' }] }, { headers })).rejects.toMatchObject({ status: 400, param: 'model' });
  });

  it('uses the user field as the session id for bots only', async () => {
    await acme.chat.completions.create({ model: 'bot:other', user: 'end-user-42', messages: [{ role: 'user', content: 'hi' }] });
    expect(await gw.switchboard.sessions.get('end-user-42')).toMatchObject({ bot: 'other', tenantId: 'acme', userId: 'end-user-42' });
    await acme.chat.completions.create({ model: 'fake:plain', user: 'someone@example.com', messages: [{ role: 'user', content: 'hi' }] });
    expect(fake.calls.at(-1)!.sessionId).toBeUndefined();
  });

  it('refuses a missing or wrong gateway key with 401 and never echoes the key', async () => {
    const wrong = new OpenAI({ apiKey: 'gw-wrong-Zx81Kd02Mv55Pq', baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const failure = await wrong.chat.completions.create({ model: 'fake:x', messages: [{ role: 'user', content: 'x' }] }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((failure as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');
    expect(JSON.stringify((failure as InstanceType<typeof OpenAI.APIError>).error)).not.toContain('Zx81Kd02');
    const missing = acme.models.list({ headers: { Authorization: null } });
    await expect(missing).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(missing).rejects.toMatchObject({ code: 'missing_api_key' });
    // Another spelling of a path reaches the same route, and the same check.
    for (const path of ['/%761/models', '/v1//models', '/v1/models/']) expect((await fetch(`${gw.url}${path}`)).status).toBe(401);
    expect(fake.calls).toHaveLength(0);
  });

  it('maps bad bodies, unknown models and oversized bodies to OpenAI errors', async () => {
    const noMessages = acme.chat.completions.create({ model: 'fake:x' } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming);
    await expect(noMessages).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(noMessages).rejects.toMatchObject({ type: 'invalid_request_error', param: 'messages' });
    await expect(acme.chat.completions.create({ model: 'fake:x', messages: [{ role: 'user', content: 'x' }], temperature: 7 })).rejects.toMatchObject({ status: 400, param: 'temperature' });
    for (const model of ['nobody:model', 'bot:nobody', 'gpt-4o-mini']) {
      const unknown = acme.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] });
      await expect(unknown).rejects.toBeInstanceOf(OpenAI.NotFoundError);
      await expect(unknown).rejects.toMatchObject({ code: 'model_not_found', param: 'model' });
    }
    const huge = acme.chat.completions.create({ model: 'fake:x', messages: [{ role: 'user', content: 'x'.repeat(64 * 1024) }] });
    await expect(huge).rejects.toBeInstanceOf(OpenAI.APIError);
    await expect(huge).rejects.toMatchObject({ status: 413, code: 'request_too_large' });
    const notJson = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEY_ACME}`, 'content-type': 'application/json' }, body: '{"model": ' });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({ error: { message: 'The request body is not valid JSON', type: 'invalid_request_error', code: 'invalid_json', param: null } });
    const unknownRoute = await fetch(`${gw.url}/v1/audio/speech`, { method: 'POST', headers: { authorization: `Bearer ${KEY_ACME}` } });
    expect(unknownRoute.status).toBe(404);
    expect(fake.calls).toHaveLength(0);
  });

  it('maps provider failures: rate limit with retry-after, context length, upstream auth, server errors', async () => {
    fake.fail('fake:busy', { status: 429, headers: { 'retry-after': '3' } });
    const limited = await acme.chat.completions.create({ model: 'fake:busy', messages: [{ role: 'user', content: 'x' }] }).catch((error: unknown) => error);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect((limited as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('3');
    fake.fail('fake:small', { status: 400, code: 'context_length_exceeded', message: "This model's maximum context length is 8 tokens" });
    await expect(acme.chat.completions.create({ model: 'fake:small', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 400, code: 'context_length_exceeded' });
    fake.fail('fake:locked', { status: 401, message: 'Incorrect API key provided: sk-upstr********cret' });
    const upstreamAuth = await acme.chat.completions.create({ model: 'fake:locked', messages: [{ role: 'user', content: 'x' }] }).catch((error: unknown) => error);
    expect(upstreamAuth).toBeInstanceOf(OpenAI.InternalServerError);
    expect(upstreamAuth).toMatchObject({ status: 502, code: 'upstream_authentication_failed' });
    expect((upstreamAuth as Error).message).not.toContain('upstr');
    fake.fail('fake:broken', { status: 500 });
    await expect(acme.chat.completions.create({ model: 'fake:broken', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 502, code: 'upstream_error' });
  });

  it('answers a model whose name is not Latin-1: headers never lose an answer already paid for', async () => {
    fake.reply('fake:模型-ü', { text: 'still delivered' });
    const { data, response } = await acme.chat.completions.create({ model: 'fake:模型-ü', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(data.choices[0]!.message.content).toBe('still delivered');
    expect(data.model).toBe('fake:模型-ü');
    expect(decodeURIComponent(response.headers.get('x-switchboard-model')!)).toBe('fake:模型-ü');
  });

  it('lists bots and catalog models, and retrieves one', async () => {
    const list = await acme.models.list();
    const ids = list.data.map((model) => model.id);
    expect(ids.slice(0, 2)).toEqual(['bot:helper', 'bot:other']);
    expect(ids).toContain('bot:support');
    expect(ids).toContain('openai:gpt-4o-mini');
    const helper = list.data.find((model) => model.id === 'bot:helper') as unknown as { x_switchboard: { kind: string; ready: boolean } };
    expect(helper.x_switchboard).toEqual({ kind: 'bot', ready: true });
    const support = list.data.find((model) => model.id === 'bot:support') as unknown as { x_switchboard: { ready: boolean } };
    // The default config's support bot runs on OpenAI and Anthropic, which have no keys here.
    expect(support.x_switchboard.ready).toBe(false);
    expect((await acme.models.retrieve('bot:helper')).id).toBe('bot:helper');
    expect((await acme.models.retrieve('openai:gpt-4o-mini')).owned_by).toBe('openai');
    await expect(acme.models.retrieve('bot:nobody')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('serves /healthz, /readyz and /metrics without a key', async () => {
    expect(await (await fetch(`${gw.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(200);
    const report = (await ready.json()) as { ready: boolean; providers: Array<{ name: string; ready: boolean; reason?: string }>; bots: Array<{ name: string; ready: boolean }> };
    expect(report.ready).toBe(true);
    expect(report.providers).toContainEqual({ name: 'fake', ready: true });
    expect(report.providers.find((provider) => provider.name === 'openai')).toMatchObject({ ready: false, reason: expect.stringContaining('OPENAI_API_KEY') });
    expect(report.bots).toContainEqual({ name: 'helper', ready: true });

    fake.reply('fake:metered', { text: 'counted', usage: { inputTokens: 5, outputTokens: 1 } });
    await acme.chat.completions.create({ model: 'fake:metered', messages: [{ role: 'user', content: 'count me' }] });
    const metrics = await fetch(`${gw.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = await metrics.text();
    expect(text).toMatch(/gen_ai_client_token_usage\w*_bucket\{[^}]*gen_ai_request_model="metered"/);
    expect(text).toContain('gen_ai_client_operation_duration');
  });

  it('never writes a gateway key to the log', () => {
    const log = logLines.join('\n');
    expect(log).toContain('gateway request failed');
    for (const key of [KEY_ACME, KEY_GLOBEX, 'gw-wrong-Zx81Kd02Mv55Pq']) {
      for (let i = 0; i + 8 <= key.length; i++) expect(log).not.toContain(key.slice(i, i + 8));
    }
  });
});

describe('gateway response cache', () => {
  const fake = new FakeProvider();
  let gw: Gateway;

  beforeAll(async () => {
    gw = await startGateway({
      config: { responseCache: { enabled: true }, server: { apiKeys: [{ key: KEY_ACME, tenant: 'acme' }, { key: KEY_GLOBEX, tenant: 'globex' }] } },
      env: { NODE_ENV: 'test' },
      managers: [fake],
      host: '127.0.0.1',
      port: 0,
      logger: createConsoleLogger('silent'),
    });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('shares cached answers within a tenant and never across tenants', async () => {
    const ask = async (key: string) => {
      const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
      const { data, response } = await client.chat.completions.create({ model: 'fake:cached', messages: [{ role: 'user', content: 'same question' }] }).withResponse();
      return { text: data.choices[0]!.message.content, cached: response.headers.get('x-switchboard-cached') };
    };
    fake.reply('fake:cached', { text: 'answer for acme' }).reply('fake:cached', { text: 'answer for globex' });
    expect(await ask(KEY_ACME)).toEqual({ text: 'answer for acme', cached: 'false' });
    expect(await ask(KEY_ACME)).toEqual({ text: 'answer for acme', cached: 'true' });
    expect(await ask(KEY_GLOBEX)).toEqual({ text: 'answer for globex', cached: 'false' });
    expect(fake.calls.map((call) => call.tenantId)).toEqual(['acme', 'globex']);
  });
});

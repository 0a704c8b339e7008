/**
 * Tenants in the library (`sb.generate({ tenantId })`, sessions with a tenant, `sb.embed`), with the
 * testing FakeProvider: each refusal (allow-lists, rpm, budget) comes before any provider call; a
 * bot the tenant may call uses its own models; `call.finished` / `call.failed` carry tenantId and
 * userId; `sb.stats().byTenant` and `sb.spend()` count per tenant; and with the real OpenTelemetry
 * metrics SDK the cost, token and request points carry `switchboard.tenant` for configured tenants
 * only (`other` for any other id, none without a tenant), so no caller can grow the series.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BudgetExceededError, PermissionError, RateLimitError } from '../../src/core/errors.js';
import { createSwitchboard } from '../../src/create-switchboard.js';
import type { Switchboard } from '../../src/switchboard.js';
import type { CallFailedEvent, CallFinishedEvent } from '../../src/telemetry/events.js';
import { FakeProvider } from '../../src/testing/index.js';
import { sumPoints, TestMetricReader } from '../unit/telemetry/otel-harness.js';

const quiet = { telemetry: { logLevel: 'silent' as const }, resilience: { maxRetries: 0 } };

describe('tenants in the library', () => {
  let fake: FakeProvider;
  let sb: Switchboard;
  let reader: TestMetricReader;
  let meterProvider: MeterProvider;

  beforeEach(async () => {
    fake = new FakeProvider({ pricing: { priced: { inputPerMTok: 1_000, outputPerMTok: 1_000 }, embed: { inputPerMTok: 1, outputPerMTok: 0 } } });
    reader = new TestMetricReader();
    meterProvider = new MeterProvider({ readers: [reader] });
    sb = await createSwitchboard({
      config: {
        ...quiet,
        bots: { support: { model: 'fake:bot-model' }, sales: { model: 'fake:bot-model' } },
        tenants: {
          'support-only': { allowedBots: ['bot:support'] },
          models: { allowedModels: ['fake:allowed-*', 'fake:embed'] },
          limited: { rpm: 1 },
          // The priced model reserves about $0.004 per call (a few input tokens and maxTokens 2 at $1,000/MTok).
          thrifty: { budget: { usdPerDay: 0.01, usdPerMonth: 1 } },
        },
      },
      managers: [fake],
      meterProvider,
    });
  });
  afterEach(async () => {
    await sb.close();
    await meterProvider.shutdown();
  });

  it('refuses what a tenant may not call before any provider call, naming the config key and never the id sent', async () => {
    await expect(sb.generate({ model: 'fake:secret-model', prompt: 'hi', tenantId: 'support-only' })).rejects.toBeInstanceOf(PermissionError);
    const refused = (await sb.generate({ model: 'fake:secret-model', prompt: 'hi', tenantId: 'models' }).catch((error: unknown) => error)) as PermissionError;
    expect(PermissionError.isInstance(refused)).toBe(true);
    expect(refused.code).toBe('permission_denied');
    expect(refused.message).toContain('tenants.models.allowedModels');
    expect(refused.message).not.toContain('secret-model');
    await expect(sb.generate({ bot: 'sales', prompt: 'hi', tenantId: 'support-only' })).rejects.toThrow(/tenants\.support-only\.allowedBots/);
    await expect(sb.generate({ bot: 'support', prompt: 'hi', tenantId: 'models' })).rejects.toBeInstanceOf(PermissionError);
    await expect(sb.sessions.start({ bot: 'sales', tenantId: 'support-only' })).rejects.toBeInstanceOf(PermissionError);
    await expect(sb.embed({ model: 'fake:other-embed', input: ['x'], tenantId: 'support-only' })).rejects.toBeInstanceOf(PermissionError);
    await expect(sb.countTokens({ model: 'fake:secret-model', prompt: 'hi', tenantId: 'models' })).rejects.toBeInstanceOf(PermissionError);
    await expect(sb.countTokens({ model: 'fake:allowed-small', prompt: 'hi', tenantId: 'models' })).resolves.toMatchObject({ exact: false });
    expect(fake.calls).toHaveLength(0);
    expect(fake.embedCalls).toHaveLength(0);
  });

  it('lets an allowed bot use its own models, and an allowed pattern through', async () => {
    const session = await sb.sessions.start({ bot: 'support', tenantId: 'support-only', userId: 'u-1' });
    await expect(sb.chat({ sessionId: session.id, messages: [{ role: 'user', content: 'hi' }] })).resolves.toMatchObject({ model: 'fake:bot-model' });
    await expect(sb.generate({ model: 'fake:allowed-small', prompt: 'hi', tenantId: 'models' })).resolves.toMatchObject({ model: 'fake:allowed-small' });
    await expect(sb.embed({ model: 'fake:embed', input: ['x'], tenantId: 'models' })).resolves.toMatchObject({ model: 'fake:embed' });
    // A tenant id without a `tenants` entry is unrestricted.
    await expect(sb.generate({ model: 'fake:anything', prompt: 'hi', tenantId: 'unconfigured' })).resolves.toMatchObject({ model: 'fake:anything' });
  });

  it('refuses a call over the tenant rpm with a client RateLimitError that says when to come back', async () => {
    await sb.generate({ model: 'fake:m', prompt: 'first', tenantId: 'limited' });
    const error = (await sb.generate({ model: 'fake:m', prompt: 'second', tenantId: 'limited' }).catch((e: unknown) => e)) as RateLimitError;
    expect(RateLimitError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ kind: 'client', retryable: false });
    expect(error.retryAfterMs).toBeGreaterThan(0);
    expect(error.message).toContain('tenants.limited.rpm');
    expect(fake.calls).toHaveLength(1);
  });

  it('reserves the tenant budget before the call and refuses at the limit with the time to the day reset', async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      try {
        await sb.generate({ model: 'fake:priced', prompt: `call ${i}`, params: { maxTokens: 2 }, tenantId: 'thrifty' });
        outcomes.push('ok');
      } catch (error) {
        expect(BudgetExceededError.isInstance(error)).toBe(true);
        const budget = error as BudgetExceededError;
        expect(budget.message).toContain('tenants.thrifty.budget.usdPerDay');
        expect(budget.retryAfterMs).toBeGreaterThan(0);
        expect(budget.retryAfterMs).toBeLessThanOrEqual(86_400_000);
        outcomes.push('refused');
      }
    }
    expect(outcomes).toContain('ok');
    expect(outcomes.at(-1)).toBe('refused');
    expect(fake.calls).toHaveLength(outcomes.filter((o) => o === 'ok').length);
    const spend = await sb.spend({ tenantId: 'thrifty' });
    expect(spend.calls).toBe(fake.calls.length);
    expect(spend.costUsd).toBeLessThanOrEqual(0.01);
    expect(spend.costUsd).toBeGreaterThan(0);
  });

  it('puts tenantId and userId on call events and counts byTenant and spend', async () => {
    const finished: CallFinishedEvent[] = [];
    const failed: CallFailedEvent[] = [];
    sb.events.on('call.finished', (event) => void finished.push(event));
    sb.events.on('call.failed', (event) => void failed.push(event));
    const session = await sb.sessions.start({ bot: 'support', tenantId: 'support-only', userId: 'user-7' });
    await sb.chat({ sessionId: session.id, messages: [{ role: 'user', content: 'one two three' }] });
    await sb.generate({ model: 'fake:m', prompt: 'no', tenantId: 'support-only' }).catch(() => undefined);
    await sb.generate({ model: 'fake:m', prompt: 'x', tenantId: 'someone-else' });
    await sb.generate({ model: 'fake:m', prompt: 'y' });
    expect(finished[0]).toMatchObject({ tenantId: 'support-only', userId: 'user-7', bot: 'support' });
    expect(failed[0]).toMatchObject({ tenantId: 'support-only', error: { code: 'permission_denied' } });
    expect(finished[1]).toMatchObject({ tenantId: 'someone-else' });
    expect(finished[2]!.tenantId).toBeUndefined();
    const { byTenant } = sb.stats();
    expect(byTenant['support-only']).toMatchObject({ requests: 2, errors: 1 });
    expect(byTenant['support-only']!.inputTokens).toBeGreaterThan(0);
    // Any tenant id without a `tenants` entry is counted under `other`; no key per caller-chosen id.
    expect(byTenant.other).toMatchObject({ requests: 1, errors: 0 });
    expect(Object.keys(byTenant).sort()).toEqual(['other', 'support-only']);
    // The ledger counts every tenant id (a platform may bill tenants it does not restrict).
    expect(await sb.spend({ tenantId: 'someone-else' })).toMatchObject({ calls: 1 });
    expect(await sb.spend({ tenantId: 'support-only', since: new Date(Date.now() + 2 * 86_400_000) })).toEqual({ costUsd: 0, inputTokens: 0, outputTokens: 0, calls: 0 });
    await expect(sb.spend({ tenantId: '' })).rejects.toThrow(/tenantId/);
    await expect(sb.spend({ tenantId: 'x', since: 'not a date' })).rejects.toThrow(/since/);
  });

  it('labels cost, token and request metrics with configured tenants only', async () => {
    await sb.generate({ model: 'fake:priced', prompt: 'a', params: { maxTokens: 1 }, tenantId: 'thrifty' });
    for (let i = 0; i < 20; i++) await sb.generate({ model: 'fake:priced', prompt: 'b', params: { maxTokens: 1 }, tenantId: `made-up-${i}` });
    await sb.generate({ model: 'fake:priced', prompt: 'c', params: { maxTokens: 1 } });
    const { resourceMetrics } = await reader.collect();
    const metricsByName = new Map(resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).map((metric) => [metric.descriptor.name, metric]));
    const tenantsOf = (name: string) => new Set(sumPoints(metricsByName.get(name)).map((point) => point.attributes['switchboard.tenant']));
    expect(tenantsOf('switchboard.cost')).toEqual(new Set(['thrifty', 'other', undefined]));
    expect(tenantsOf('switchboard.requests')).toEqual(new Set(['thrifty', 'other', undefined]));
    const tokens = metricsByName.get('gen_ai.client.token.usage')!;
    const tokenTenants = new Set((tokens.dataPoints as Array<{ attributes: Record<string, unknown> }>).map((point) => point.attributes['switchboard.tenant']));
    expect(tokenTenants).toEqual(new Set(['thrifty', 'other', undefined]));
    // Embeddings too: their token points name the configured tenant.
    await sb.embed({ model: 'fake:embed', input: ['x'], tenantId: 'models', cache: false });
    const afterEmbed = (await reader.collect()).resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).find((metric) => metric.descriptor.name === 'gen_ai.client.token.usage')!;
    const embedPoints = (afterEmbed.dataPoints as Array<{ attributes: Record<string, unknown> }>).filter((point) => point.attributes['gen_ai.operation.name'] === 'embeddings');
    expect(embedPoints.map((point) => point.attributes['switchboard.tenant'])).toEqual(['models']);
    // The duration histogram carries no tenant at all.
    const durations = metricsByName.get('gen_ai.client.operation.duration')!;
    expect((durations.dataPoints as Array<{ attributes: Record<string, unknown> }>).every((point) => !('switchboard.tenant' in point.attributes))).toBe(true);
  });
});

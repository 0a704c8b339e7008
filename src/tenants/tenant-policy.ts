/**
 * What each configured tenant may do (config `tenants.<id>`), asked by the pipeline before any
 * upstream call: which bots and models it may call, its per-minute call limit, and the budget its
 * calls reserve against (src/resilience/budget.ts does the reserving).
 *
 * The rule of the allow-lists: a tenant with neither `allowedModels` nor `allowedBots` may call
 * anything; with either, only what its lists match. `allowedBots` governs `bot:<name>` calls and
 * sessions; a bot the tenant may call uses the bot's own models and fallbacks (the operator chose them
 * when defining the bot), whatever `allowedModels` says. `allowedModels` governs direct
 * `provider:model` calls and embeddings: every candidate such a call would reach (a deprecated model's
 * redirect included) must match, and one that does not is skipped. A tenant id with no `tenants` entry
 * is unrestricted (gateway keys may name tenants only to scope sessions and the cache).
 *
 * rpm: one request-bucket per tenant in the shared rate-limit store (Redis when configured, so every
 * instance counts against one allowance), refilled at rpm per minute, holding at most one minute's
 * worth. A call over it is refused at once (RateLimitError kind `client`, retryAfterMs = the time
 * until a call would be granted): a tenant's caller is told when to come back rather than queued.
 * If the shared store fails, this process's own buckets decide, and the failure is reported.
 */
import { PermissionError, RateLimitError } from '../core/errors.js';
import type { TenantConfig } from '../config/types.js';
import type { TenantBudgetLimits } from '../resilience/budget.js';
import { MemoryRateLimitStore, takeWithFallback, type RateLimitCharge, type RateLimitStore } from '../resilience/rate-limit-store.js';
import { PatternList } from './pattern.js';

/** Options of the policy. */
export interface TenantPolicyOptions {
  /** Config `tenants`. */
  tenants: Readonly<Record<string, TenantConfig>>;
  /** Shared buckets for `rpm` (the rate limiter's store); without one each process counts alone. */
  rateStore?: RateLimitStore;
  /** Monotonic clock of the local buckets; default performance.now. */
  now?: () => number;
  /** Where failures of the shared store go (the call then uses this process's buckets). */
  onStoreError?: (error: unknown) => void;
}

interface CompiledTenant {
  restricted: boolean;
  /** `allowedModels` was given (a restricted tenant without it may call bots only). */
  listsModels: boolean;
  models: PatternList;
  bots: PatternList;
  budget?: TenantBudgetLimits;
  rpm?: number;
}

/** The bucket name of a tenant in the rate-limit store (provider names hold no ':', so no clash). */
function bucketOf(tenant: string): string {
  return `tenant:${tenant}`;
}

/** The configured tenants' rules, compiled once. */
export class TenantPolicy {
  private readonly tenants = new Map<string, CompiledTenant>();
  private readonly local: MemoryRateLimitStore;
  private readonly shared: RateLimitStore | undefined;
  private readonly onStoreError: (error: unknown) => void;

  constructor(options: TenantPolicyOptions) {
    for (const [id, config] of Object.entries(options.tenants)) {
      const compiled: CompiledTenant = {
        restricted: config.allowedModels !== undefined || config.allowedBots !== undefined,
        listsModels: config.allowedModels !== undefined,
        models: new PatternList(config.allowedModels ?? []),
        bots: new PatternList(config.allowedBots ?? []),
      };
      if (config.budget && (config.budget.usdPerDay !== undefined || config.budget.usdPerMonth !== undefined)) compiled.budget = { ...config.budget };
      if (config.rpm !== undefined) compiled.rpm = config.rpm;
      this.tenants.set(id, compiled);
    }
    // Bounded by config: one bucket per configured tenant with an rpm.
    this.local = new MemoryRateLimitStore({ now: options.now, maxProviders: Math.max(1, this.tenants.size) });
    this.shared = options.rateStore;
    this.onStoreError = options.onStoreError ?? (() => undefined);
  }

  /** True for a tenant id that has a `tenants` entry. */
  has(tenant: string): boolean {
    return this.tenants.has(tenant);
  }

  /** The configured tenant ids (the bounded set of `switchboard.tenant` labels and `byTenant` keys). */
  ids(): string[] {
    return [...this.tenants.keys()];
  }

  /** May `tenant` call (or start a session of) bot `bot`? */
  mayCallBot(tenant: string | undefined, bot: string): boolean {
    const rules = tenant === undefined ? undefined : this.tenants.get(tenant);
    return !rules?.restricted || rules.bots.matches(`bot:${bot}`);
  }

  /** May `tenant` call `provider:model` directly? */
  mayCallModel(tenant: string | undefined, model: string): boolean {
    const rules = tenant === undefined ? undefined : this.tenants.get(tenant);
    return !rules?.restricted || rules.models.matches(model);
  }

  /** PermissionError unless `tenant` may call bot `bot` (the bot's name is config's, so it may be named). */
  checkBot(tenant: string | undefined, bot: string): void {
    if (this.mayCallBot(tenant, bot)) return;
    throw new PermissionError(`Tenant "${tenant}" may not call bot "${bot}": it is not matched by tenants.${tenant}.allowedBots`);
  }

  /** PermissionError unless `tenant` may call `model` directly; the message never repeats the id sent. */
  checkModel(tenant: string | undefined, model: string): void {
    if (!this.mayCallModel(tenant, model)) throw this.modelRefusal(tenant!);
  }

  /** The refusal of a direct model call (or of a candidate of one). */
  modelRefusal(tenant: string): PermissionError {
    const rules = this.tenants.get(tenant);
    const hint = rules?.restricted && !rules.listsModels ? `; it may call bots only (tenants.${tenant}.allowedBots)` : '';
    return new PermissionError(`Tenant "${tenant}" may not call this model directly: it is not matched by tenants.${tenant}.allowedModels${hint}`);
  }

  /** The tenant's budget, when it has one. */
  budgetOf(tenant: string | undefined): TenantBudgetLimits | undefined {
    return tenant === undefined ? undefined : this.tenants.get(tenant)?.budget;
  }

  /**
   * Count one call against the tenant's rpm. Undefined (nothing to wait for) when the tenant has no
   * rpm; else a promise that rejects with RateLimitError when the tenant is over it.
   */
  admit(tenant: string | undefined): Promise<void> | undefined {
    const rpm = tenant === undefined ? undefined : this.tenants.get(tenant)?.rpm;
    if (rpm === undefined) return undefined;
    return this.take(tenant!, rpm);
  }

  /** Stop using the stores (the shared one belongs to the rate limiter's owner). */
  async close(): Promise<void> {
    await this.local.close();
  }

  private async take(tenant: string, rpm: number): Promise<void> {
    const charge: RateLimitCharge = { provider: bucketOf(tenant), limits: { requestsPerMinute: rpm }, requests: 1, tokens: 0 };
    const decision = await takeWithFallback(charge, this.local, this.shared, this.onStoreError);
    if (decision.granted) return;
    const waitMs = Math.max(1, Math.ceil(decision.waitMs));
    throw new RateLimitError(
      `Tenant "${tenant}" is over its rate limit of ${rpm} calls per minute (tenants.${tenant}.rpm); try again in about ${Math.ceil(waitMs / 1000)} s`,
      { retryable: false, retryAfterMs: waitMs, kind: 'client' },
    );
  }
}

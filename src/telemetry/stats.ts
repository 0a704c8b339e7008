/**
 * The in-process summary behind `sb.stats()` (TELEMETRY.md "Stats"), fed by the same reports as
 * the metrics. Memory is bounded: latency percentiles come from a fixed ring of the latest samples
 * per model, the per-model and per-bot maps stop growing at a cap (later keys share `_other`), and
 * the active-call list holds the calls in flight only (capped too).
 */
import type { Usage } from '../core/types.js';
import type { DeploymentStats } from '../routing/deployment-pool.js';

/** Latency percentiles of the latest successful calls, in ms (0 with no sample). */
export interface LatencySummary {
  p50: number;
  p95: number;
}

/** Figures for one `provider:model` (each model tried counts, fallbacks included). */
export interface ModelStats {
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  latencyMs: LatencySummary;
}

/** Figures for one bot. */
export interface BotStats {
  requests: number;
  errors: number;
  costUsd: number;
}

/** Figures for one tenant (configured tenants by id, every other tenant id under `other`). */
export interface TenantStats {
  /** Finished calls (succeeded or failed): API.md's `requests`. */
  requests: number;
  errors: number;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
}

/**
 * A call in flight, as `sb.stats().activeCalls` lists it. Only bounded names: `model` and `bot` are
 * their metric labels (catalog and configured names, else `other`), `id` an internal counter; never a
 * session id or anything else a caller chose.
 */
export interface ActiveCall {
  /** Internal call id, unique within this switchboard (not the result's id). */
  id: string;
  /** The primary `provider:model` the call targets. */
  model: string;
  bot?: string;
  /** When it started, epoch milliseconds. */
  startedAt: number;
}

/** What a call reports when it starts (bounded labels only: see ActiveCall). */
export interface CallStartFacts {
  model: string;
  bot?: string;
}

/** What `sb.stats()` returns. */
export interface StatsSnapshot {
  /** Finished calls (succeeded or failed). */
  requests: number;
  /** Calls started and not yet finished. */
  active: number;
  /** The calls in flight, oldest first (at most `maxActiveCalls` of them). */
  activeCalls: ActiveCall[];
  /** Sum of the latencies of the calls that succeeded (cache hits included), in ms. */
  totalLatencyMs: number;
  /** `totalLatencyMs` over the calls that succeeded; 0 before the first. */
  averageLatencyMs: number;
  errors: number;
  cacheHits: number;
  /** USD spent on priced calls; unpriced calls add nothing. */
  totalCostUsd: number;
  loadedModels: string[];
  byModel: Record<string, ModelStats>;
  /**
   * By `provider/deployment`, for providers with deployments (bounded by config): attempts, failed
   * attempts, in flight, whether it is skipped now (cooling or at its rpm/tpm), mean latency of its successes.
   */
  byDeployment: Record<string, DeploymentStats>;
  byBot: Record<string, BotStats>;
  /** By tenant label: configured tenants, the rest as `other` (bounded by config). */
  byTenant: Record<string, TenantStats>;
}

/** Bounds of the collector. */
export interface StatsOptions {
  /** Latency samples kept per model (default 1024). */
  window?: number;
  /** Distinct models and bots kept (default 1000 each); later ones are counted under `_other`. */
  maxKeys?: number;
  /** Calls listed in `activeCalls` (default 10,000; in-flight calls are fewer: `resilience.maxConcurrency`). */
  maxActiveCalls?: number;
}

/** The key that collects everything past `maxKeys`. */
export const OVERFLOW_KEY = '_other';

/** A fixed-size ring of the latest samples. */
class LatencyRing {
  private readonly samples: Float64Array;
  private count = 0;
  private next = 0;

  constructor(size: number) {
    this.samples = new Float64Array(size);
  }

  add(value: number): void {
    this.samples[this.next] = value;
    this.next = (this.next + 1) % this.samples.length;
    if (this.count < this.samples.length) this.count++;
  }

  /** Nearest-rank percentiles over the samples held. */
  summary(): LatencySummary {
    if (this.count === 0) return { p50: 0, p95: 0 };
    const sorted = this.samples.slice(0, this.count).sort();
    const rank = (p: number) => sorted[Math.min(this.count, Math.max(1, Math.ceil(p * this.count))) - 1]!;
    return { p50: rank(0.5), p95: rank(0.95) };
  }
}

interface ModelEntry {
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  latency: LatencyRing;
}

/** Rounds float sums so many small costs do not show binary noise. */
const roundUsd = (value: number): number => Math.round(value * 1e12) / 1e12;
/** Latencies to the microsecond: enough for ms figures, without float noise. */
const roundMs = (value: number): number => Math.round(value * 1000) / 1000;

/** Counts calls, inferences, tokens, cost and latency into a bounded summary. */
export class StatsCollector {
  private readonly window: number;
  private readonly maxKeys: number;
  private readonly models = new Map<string, ModelEntry>();
  private readonly bots = new Map<string, BotStats>();
  private readonly tenants = new Map<string, TenantStats>();
  private readonly maxActiveCalls: number;
  /** In-flight calls by id: entries leave when their call settles (recorders settle exactly once). */
  private readonly activeCalls = new Map<string, ActiveCall>();
  private nextCallId = 0;
  private timedCalls = 0;
  private totalLatencyMs = 0;
  private requests = 0;
  private active = 0;
  private errors = 0;
  private cacheHits = 0;
  private totalCostUsd = 0;

  constructor(options: StatsOptions = {}) {
    this.window = Math.max(1, Math.floor(options.window ?? 1024));
    this.maxKeys = Math.max(1, Math.floor(options.maxKeys ?? 1000));
    this.maxActiveCalls = Math.max(0, Math.floor(options.maxActiveCalls ?? 10_000));
  }

  /**
   * A pipeline call began. With `call`, it is listed in `activeCalls` until it settles; the returned
   * id is what `callFinished` / `callFailed` take to take it off (undefined: not listed).
   */
  callStarted(call?: CallStartFacts): string | undefined {
    this.active++;
    if (!call || this.activeCalls.size >= this.maxActiveCalls) return undefined;
    const id = String(++this.nextCallId);
    const entry: ActiveCall = { id, model: call.model, startedAt: Date.now() };
    if (call.bot !== undefined) entry.bot = call.bot;
    this.activeCalls.set(id, entry);
    return id;
  }

  /** A pipeline call succeeded after `latencyMs` (when known); `callId` is what callStarted returned. */
  callFinished(bot: string | undefined, latencyMs?: number, callId?: string): void {
    if (latencyMs !== undefined && Number.isFinite(latencyMs) && latencyMs >= 0) {
      this.timedCalls++;
      this.totalLatencyMs += latencyMs;
    }
    this.settle(bot, false, callId);
  }

  /** A pipeline call failed; `callId` is what callStarted returned. */
  callFailed(bot: string | undefined, callId?: string): void {
    this.settle(bot, true, callId);
  }

  /**
   * A call of tenant label `tenant` ended (after callFinished / callFailed): what it used, when it
   * succeeded (usage undefined: none reported; cost null: unpriced).
   */
  tenantCallEnded(tenant: string, outcome: { failed: boolean; usage?: Pick<Usage, 'inputTokens' | 'outputTokens'>; costUsd?: number | null }): void {
    const entry = boundedEntry(this.tenants, tenant, this.maxKeys, () => ({ requests: 0, errors: 0, costUsd: 0, inputTokens: 0, outputTokens: 0 }));
    entry.requests++;
    if (outcome.failed) entry.errors++;
    if (outcome.usage) {
      entry.inputTokens += outcome.usage.inputTokens;
      entry.outputTokens += outcome.usage.outputTokens;
    }
    const cost = outcome.costUsd;
    if (cost !== undefined && cost !== null && Number.isFinite(cost)) entry.costUsd += cost;
  }

  /** A response-cache hit. */
  cacheHit(): void {
    this.cacheHits++;
  }

  /** One model answered; usage is undefined when the provider reported none. */
  inferenceFinished(modelId: string, bot: string | undefined, usage: Usage | undefined, costUsd: number | null, latencyMs: number): void {
    const entry = this.model(modelId);
    entry.requests++;
    if (usage) {
      entry.inputTokens += usage.inputTokens;
      entry.outputTokens += usage.outputTokens;
    }
    if (costUsd !== null && Number.isFinite(costUsd)) {
      entry.costUsd += costUsd;
      this.totalCostUsd += costUsd;
      if (bot !== undefined) this.bot(bot).costUsd += costUsd;
    }
    if (Number.isFinite(latencyMs)) entry.latency.add(latencyMs);
  }

  /** One model failed (its latency is not sampled: a fast 401 says nothing about speed). */
  inferenceFailed(modelId: string): void {
    const entry = this.model(modelId);
    entry.requests++;
    entry.errors++;
  }

  /** A copy of the figures; `loadedModels` comes from the model cache. */
  snapshot(loadedModels: string[]): StatsSnapshot {
    const byModel: Record<string, ModelStats> = {};
    for (const [key, entry] of this.models) {
      byModel[key] = {
        requests: entry.requests,
        errors: entry.errors,
        inputTokens: entry.inputTokens,
        outputTokens: entry.outputTokens,
        costUsd: roundUsd(entry.costUsd),
        latencyMs: entry.latency.summary(),
      };
    }
    const byBot: Record<string, BotStats> = {};
    for (const [key, entry] of this.bots) byBot[key] = { ...entry, costUsd: roundUsd(entry.costUsd) };
    const byTenant: Record<string, TenantStats> = {};
    for (const [key, entry] of this.tenants) byTenant[key] = { ...entry, costUsd: roundUsd(entry.costUsd) };
    return {
      requests: this.requests,
      active: this.active,
      activeCalls: [...this.activeCalls.values()].map((call) => ({ ...call })),
      totalLatencyMs: roundMs(this.totalLatencyMs),
      averageLatencyMs: this.timedCalls === 0 ? 0 : roundMs(this.totalLatencyMs / this.timedCalls),
      errors: this.errors,
      cacheHits: this.cacheHits,
      totalCostUsd: roundUsd(this.totalCostUsd),
      loadedModels: [...loadedModels],
      byModel,
      // Filled by the switchboard from its managers' routers (they own that state).
      byDeployment: {},
      byBot,
      byTenant,
    };
  }

  private settle(bot: string | undefined, failed: boolean, callId: string | undefined): void {
    if (callId !== undefined) this.activeCalls.delete(callId);
    this.active = Math.max(0, this.active - 1);
    this.requests++;
    if (failed) this.errors++;
    if (bot === undefined) return;
    const entry = this.bot(bot);
    entry.requests++;
    if (failed) entry.errors++;
  }

  private model(id: string): ModelEntry {
    return boundedEntry(this.models, id, this.maxKeys, () => ({
      requests: 0,
      errors: 0,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
      latency: new LatencyRing(this.window),
    }));
  }

  private bot(name: string): BotStats {
    return boundedEntry(this.bots, name, this.maxKeys, () => ({ requests: 0, errors: 0, costUsd: 0 }));
  }
}

/** The entry for `key`, created while under `max` keys; past it, the shared overflow entry. */
function boundedEntry<T>(map: Map<string, T>, key: string, max: number, create: () => T): T {
  const existing = map.get(key);
  if (existing) return existing;
  const slot = map.size < max ? key : OVERFLOW_KEY;
  let entry = map.get(slot);
  if (!entry) {
    entry = create();
    map.set(slot, entry);
  }
  return entry;
}

/**
 * DeploymentPool: one provider's deployments and what the router knows of each (in flight, cooling,
 * rpm/tpm use, recent latency, counts). ModelCall asks it for a deployment before every attempt and
 * reports the attempt's outcome back; the strategy's picker (pickers.ts) chooses among the healthy
 * deployments that serve the model. A manager without deployments has no pool: nothing here runs.
 *
 * Skipped: a deployment cooling (cooldown-store.ts `cooldownFor`: 429 for its Retry-After, 5xx or a
 * connection failure for `routing.cooldownMs`), and one at its client-side rpm/tpm (a RateLimitStore
 * take refused, until the wait it reported). With shared stores (Redis) cooldowns and rpm/tpm buckets
 * are read and written there, so every instance skips the same deployments; a store failure falls
 * back to this process's own view (reported through `onStoreError`).
 * Bounded: at most MAX_DEPLOYMENTS entries, fixed at construction.
 */
import { endpointAddress } from '../managers/hosted-endpoint.js';
import { MemoryRateLimitStore, takeWithFallback, type BucketLimits, type RateLimitStore } from '../resilience/rate-limit-store.js';
import { cooldownFor, type DeploymentCooldownStore, type FailureLike } from './cooldown-store.js';
import { DEFAULT_ROUTING, type DeploymentConfig, type RoutingConfig } from './deployment-config.js';
import { PICKERS, type DeploymentSnapshot, type Picker } from './pickers.js';

/** Which deployment an attempt goes to (what a manager's `do*` method reads from its CallContext). */
export interface DeploymentRef {
  readonly name: string;
  /** Position in the provider's `deployments` list. */
  readonly index: number;
  /** `server.address` / `server.port` of its own `baseURL`; undefined when it uses the provider's. */
  readonly server?: { address: string; port?: number };
}

/** A deployment's ref: its name, place, and the address its own base URL gives the span. */
function refOf(deployment: DeploymentConfig, index: number): DeploymentRef {
  const server = endpointAddress(deployment.baseURL);
  return server ? { name: deployment.name, index, server } : { name: deployment.name, index };
}

/** One attempt's hold on a deployment; hand it back once through succeeded / failed / abandoned. */
export interface DeploymentLease {
  readonly ref: DeploymentRef;
  /** Tokens charged to its tpm bucket (the estimate), corrected when the attempt succeeds. */
  readonly tokens: number;
  /** When the attempt started (pool clock). */
  readonly startedAt: number;
  settled: boolean;
}

/** `stats().byDeployment` of one deployment. */
export interface DeploymentStats {
  /** Attempts sent to it (succeeded or failed): API.md's `requests`. */
  requests: number;
  errors: number;
  inFlight: number;
  /** True while it is skipped (cooling, or at its rpm/tpm) in this process's view. */
  cooling: boolean;
  /** Mean latency of its successful attempts, ms; null before the first. */
  avgLatencyMs: number | null;
}

/** Options of a pool. */
export interface DeploymentPoolOptions {
  routing?: RoutingConfig;
  /** Monotonic clock in ms; default performance.now. */
  now?: () => number;
  /** Random source in [0, 1) for `weighted` and exploration; default Math.random. */
  random?: () => number;
  /** Shared cooldowns (Redis); absent = this process only. */
  cooldowns?: DeploymentCooldownStore;
  /** Shared rpm/tpm buckets (Redis); absent = this process only. */
  rateLimits?: RateLimitStore;
  /** Where a shared store's failure goes (the pool then uses its own view). */
  onStoreError?: (error: unknown) => void;
}

/** Weight of the newest latency sample in the EWMA. */
const LATENCY_ALPHA = 0.3;

interface Entry extends DeploymentSnapshot {
  readonly ref: DeploymentRef;
  readonly key: string;
  readonly models: ReadonlySet<string> | undefined;
  readonly limits: BucketLimits | undefined;
  order: number;
  weight: number;
  inFlight: number;
  headroom: number;
  latencyMs: number | undefined;
  coolingUntil: number;
  calls: number;
  errors: number;
  latencySum: number;
  successes: number;
  minuteStart: number;
  requestsThisMinute: number;
  tokensThisMinute: number;
}

/** One provider's deployments and the per-attempt choice among them. */
export class DeploymentPool {
  private readonly entries: Entry[];
  private readonly routing: RoutingConfig;
  private readonly picker: Picker;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly local: MemoryRateLimitStore;
  private readonly options: DeploymentPoolOptions;
  private readonly hasLimits: boolean;
  private readonly chargesTpm: boolean;
  /** Reused per acquire: the healthy candidates (no allocation per attempt). */
  private readonly scratch: Entry[] = [];

  constructor(
    readonly provider: string,
    deployments: readonly DeploymentConfig[],
    options: DeploymentPoolOptions = {},
  ) {
    this.options = options;
    this.routing = options.routing ?? DEFAULT_ROUTING;
    this.picker = PICKERS[this.routing.strategy];
    this.now = options.now ?? (() => performance.now());
    this.random = options.random ?? Math.random;
    this.local = new MemoryRateLimitStore({ now: this.now, maxProviders: Math.max(1, deployments.length) });
    const start = this.now();
    this.entries = deployments.map((d, index) => ({
      ref: refOf(d, index),
      key: `${provider}/${d.name}`,
      models: d.models ? new Set(d.models) : undefined,
      limits: d.rpm !== undefined || d.tpm !== undefined ? { requestsPerMinute: d.rpm, tokensPerMinute: d.tpm } : undefined,
      order: index,
      weight: d.weight ?? 1,
      inFlight: 0,
      headroom: 1,
      latencyMs: undefined,
      coolingUntil: 0,
      calls: 0,
      errors: 0,
      latencySum: 0,
      successes: 0,
      minuteStart: start,
      requestsThisMinute: 0,
      tokensThisMinute: 0,
    }));
    this.hasLimits = this.entries.some((e) => e.limits !== undefined);
    this.chargesTpm = this.entries.some((e) => e.limits?.tokensPerMinute !== undefined);
  }

  /** How many deployments the provider has. */
  get size(): number {
    return this.entries.length;
  }

  /** True when some deployment has a tpm limit: only then does an attempt need a token estimate. */
  get chargesTokens(): boolean {
    return this.chargesTpm;
  }

  /** True when some deployment serves `modelId` (its `models` lists it, or it has none). */
  serves(modelId: string): boolean {
    return this.entries.some((e) => !e.models || e.models.has(modelId));
  }

  /** True when some deployment of `modelId` could be tried now (in this process's view). */
  available(modelId: string): boolean {
    const now = this.now();
    return this.entries.some((e) => (!e.models || e.models.has(modelId)) && e.coolingUntil <= now);
  }

  /** Ms until the first deployment of `modelId` leaves its cooldown (0 when one is free now). */
  retryInMs(modelId: string): number {
    const now = this.now();
    let soonest = Infinity;
    for (const e of this.entries) if (!e.models || e.models.has(modelId)) soonest = Math.min(soonest, Math.max(0, e.coolingUntil - now));
    return soonest === Infinity ? 0 : Math.ceil(soonest);
  }

  /**
   * A deployment for one attempt at `modelId` charged `tokens` against its tpm, or undefined when
   * every deployment serving it is cooling or at its limits (`retryInMs` says for how long).
   */
  async acquire(modelId: string, tokens: number): Promise<DeploymentLease | undefined> {
    if (this.options.cooldowns) await this.readSharedCooldowns(modelId);
    const now = this.now();
    const candidates = this.scratch;
    candidates.length = 0;
    for (const e of this.entries) {
      if (e.coolingUntil > now || (e.models && !e.models.has(modelId))) continue;
      if (this.hasLimits) this.updateHeadroom(e, now);
      candidates.push(e);
    }
    while (candidates.length > 0) {
      const index = candidates.length === 1 ? 0 : this.picker(candidates, this.random, this.routing.latencyExploration);
      const entry = candidates[index]!;
      if (entry.limits && !(await this.takeLimit(entry, tokens))) {
        candidates.splice(index, 1);
        continue;
      }
      entry.inFlight++;
      entry.calls++;
      entry.requestsThisMinute++;
      entry.tokensThisMinute += tokens;
      candidates.length = 0;
      return { ref: entry.ref, tokens: entry.limits ? tokens : 0, startedAt: this.now(), settled: false };
    }
    return undefined;
  }

  /** The attempt answered; `tokens` is what it used (undefined: the estimate stands). */
  succeeded(lease: DeploymentLease, tokens?: number): void {
    const entry = this.settle(lease);
    if (!entry) return;
    const latency = this.now() - lease.startedAt;
    entry.successes++;
    entry.latencySum += latency;
    entry.latencyMs = entry.latencyMs === undefined ? latency : entry.latencyMs + LATENCY_ALPHA * (latency - entry.latencyMs);
    if (entry.limits?.tokensPerMinute !== undefined && tokens !== undefined && tokens !== lease.tokens) {
      this.adjust(entry, tokens - lease.tokens);
    }
  }

  /**
   * The attempt failed with `error` (mapped): the deployment goes on cooldown when the rule says so
   * (cooldown-store.ts `cooldownFor`). Returns true when it did.
   */
  failed(lease: DeploymentLease, error: FailureLike): boolean {
    const entry = this.settle(lease);
    if (!entry) return false;
    if (error.code !== 'aborted') entry.errors++;
    const ms = cooldownFor(error, this.routing.cooldownMs);
    if (ms === undefined) return false;
    entry.coolingUntil = Math.max(entry.coolingUntil, this.now() + ms);
    this.options.cooldowns?.coolDown(entry.key, ms).catch((storeError: unknown) => this.options.onStoreError?.(storeError));
    return true;
  }

  /** The attempt ended without an outcome (the caller left): only its in-flight count is given back. */
  abandoned(lease: DeploymentLease): void {
    this.settle(lease);
  }

  /** Each deployment's counts, keyed `provider/deployment`. */
  stats(): Record<string, DeploymentStats> {
    const now = this.now();
    const out: Record<string, DeploymentStats> = {};
    for (const e of this.entries) {
      out[e.key] = { requests: e.calls, errors: e.errors, inFlight: e.inFlight, cooling: e.coolingUntil > now, avgLatencyMs: e.successes === 0 ? null : e.latencySum / e.successes };
    }
    return out;
  }

  /** Forget the local rpm/tpm buckets (the switchboard's `close()`); shared ones stay for other instances. */
  async close(): Promise<void> {
    await this.local.close();
  }

  private settle(lease: DeploymentLease): Entry | undefined {
    if (lease.settled) return undefined;
    lease.settled = true;
    const entry = this.entries[lease.ref.index]!;
    entry.inFlight--;
    return entry;
  }

  /** The share of rpm/tpm left this minute (local counters: a fresh window every minute). */
  private updateHeadroom(entry: Entry, now: number): void {
    if (now - entry.minuteStart >= 60_000) {
      entry.minuteStart = now;
      entry.requestsThisMinute = 0;
      entry.tokensThisMinute = 0;
    }
    const rpm = entry.limits?.requestsPerMinute;
    const tpm = entry.limits?.tokensPerMinute;
    const byRequests = rpm === undefined ? 1 : 1 - entry.requestsThisMinute / rpm;
    const byTokens = tpm === undefined ? 1 : 1 - entry.tokensThisMinute / tpm;
    entry.headroom = Math.max(0, Math.min(byRequests, byTokens));
  }

  /** Take one request and `tokens` from the deployment's buckets; refused: skipped until the wait passes. */
  private async takeLimit(entry: Entry, tokens: number): Promise<boolean> {
    const charge = { provider: entry.key, limits: entry.limits!, requests: 1, tokens: entry.limits!.tokensPerMinute === undefined ? 0 : tokens };
    const decision = await takeWithFallback(charge, this.local, this.options.rateLimits, (error) => this.options.onStoreError?.(error));
    if (decision.granted) return true;
    // At its limit: skipped like a cooling deployment, locally only (the bucket itself is shared).
    entry.coolingUntil = Math.max(entry.coolingUntil, this.now() + decision.waitMs);
    return false;
  }

  private adjust(entry: Entry, tokens: number): void {
    const charge = { provider: entry.key, limits: entry.limits!, requests: 0, tokens };
    (this.options.rateLimits ?? this.local).adjust(charge).catch((error: unknown) => this.options.onStoreError?.(error));
  }

  /** Cooldowns other instances set, for the deployments of `modelId`; a failing store leaves the local view. */
  private async readSharedCooldowns(modelId: string): Promise<void> {
    const serving = this.entries.filter((e) => !e.models || e.models.has(modelId));
    try {
      const left = await this.options.cooldowns!.remaining(serving.map((e) => e.key));
      const now = this.now();
      serving.forEach((e, i) => {
        const ms = left[i] ?? 0;
        if (ms > 0) e.coolingUntil = Math.max(e.coolingUntil, now + ms);
      });
    } catch (error) {
      this.options.onStoreError?.(error);
    }
  }
}

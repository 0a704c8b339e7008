/**
 * Budgets in USD per bot per UTC day and per session (a bot's `budget`), and per tenant per UTC day and
 * UTC calendar month (`tenants.<id>.budget`), enforced so that concurrent
 * calls cannot overspend: each call reserves its worst-case cost before it goes out, atomically
 * against every key it touches, and settles to its real cost afterwards. Spend therefore stays within
 * the limit, give or take how far one call's real cost can exceed its estimated maximum.
 */
import { LRUCache } from 'lru-cache';
import { BudgetExceededError, ConfigError, InvalidRequestError } from '../core/errors.js';
import type { ModelPricing } from '../core/types.js';

/** One key a reservation must fit under. */
export interface BudgetEntry {
  key: string;
  limitUsd: number;
  /** The key's lifetime from now; a write extends it, never shortens it. */
  ttlMs: number;
}

/**
 * Where spend is counted. `reserve` is all-or-nothing across its entries: it adds `amountUsd` to every
 * key only if each stays within its limit. A Redis store implements the same with one Lua script.
 */
export interface BudgetStore {
  reserve(entries: BudgetEntry[], amountUsd: number): Promise<boolean>;
  /** Add `deltaUsd` (negative to give back) to each key; a key never goes below 0. */
  adjust(keys: string[], deltaUsd: number, ttlMs: number): Promise<void>;
  /** USD counted against `key` (0 when absent or expired). */
  spent(key: string): Promise<number>;
  close(): Promise<void>;
}

/** Options of the in-memory store. */
export interface MemoryBudgetStoreOptions {
  /** Most keys kept; default 100000. */
  maxEntries?: number;
  /** Clock in ms (wall or monotonic: only differences matter). */
  now?: () => number;
}

interface Spend {
  usd: number;
  expiresAt: number;
}

/** Sums of many small costs drift in binary floating point; 1e-12 USD is far below any price. */
function roundUsd(value: number): number {
  return Math.round(value * 1e12) / 1e12;
}

/**
 * The single-process store: a bounded LRU map with expiry. Its methods run synchronously inside one
 * turn of the event loop, which is what makes `reserve` atomic. When more than `maxEntries` keys are
 * alive the least recently charged is dropped and its spend forgotten, so size the bound above the
 * number of sessions active within their TTL (or use a shared store).
 */
export class MemoryBudgetStore implements BudgetStore {
  private readonly entries: LRUCache<string, Spend>;
  private readonly now: () => number;

  constructor(options: MemoryBudgetStoreOptions = {}) {
    const max = options.maxEntries ?? 100_000;
    if (!Number.isInteger(max) || max <= 0) throw new ConfigError([{ key: 'maxEntries', message: `must be a positive whole number (got ${String(max)})` }]);
    this.entries = new LRUCache<string, Spend>({ max });
    this.now = options.now ?? (() => Date.now());
  }

  async reserve(entries: BudgetEntry[], amountUsd: number): Promise<boolean> {
    const now = this.now();
    for (const entry of entries) {
      if (roundUsd(this.current(entry.key, now) + amountUsd) > entry.limitUsd) return false;
    }
    for (const entry of entries) this.add(entry.key, amountUsd, entry.ttlMs, now);
    return true;
  }

  async adjust(keys: string[], deltaUsd: number, ttlMs: number): Promise<void> {
    const now = this.now();
    for (const key of keys) this.add(key, deltaUsd, ttlMs, now);
  }

  async spent(key: string): Promise<number> {
    return this.current(key, this.now());
  }

  /** Keys held now, expired ones included until they are touched or pushed out. */
  get size(): number {
    return this.entries.size;
  }

  async close(): Promise<void> {
    this.entries.clear();
  }

  private current(key: string, now: number): number {
    const spend = this.entries.peek(key);
    if (!spend) return 0;
    if (spend.expiresAt <= now) {
      this.entries.delete(key);
      return 0;
    }
    return spend.usd;
  }

  private add(key: string, deltaUsd: number, ttlMs: number, now: number): void {
    const usd = this.current(key, now);
    // Giving back to a key that has expired would start the new period in credit.
    if (usd === 0 && deltaUsd <= 0) return;
    const old = this.entries.peek(key);
    this.entries.set(key, { usd: Math.max(0, roundUsd(usd + deltaUsd)), expiresAt: Math.max(old?.expiresAt ?? 0, now + ttlMs) });
  }
}

/** A bot's limits (config `bots.<name>.budget`); an absent limit is not enforced. */
export interface BudgetLimits {
  usdPerDay?: number;
  usdPerSession?: number;
}

/** A tenant's limits (config `tenants.<id>.budget`); an absent limit is not enforced. */
export interface TenantBudgetLimits {
  usdPerDay?: number;
  usdPerMonth?: number;
}

/** What `BudgetManager.reserve` needs: a bot's budget, a tenant's, or both (reserved as one step). */
export interface BudgetRequest {
  bot?: string;
  sessionId?: string;
  budget?: BudgetLimits;
  tenant?: { id: string; budget: TenantBudgetLimits };
  /** The call's worst-case cost (see `estimateMaxCostUsd`). */
  maxCostUsd: number;
}

/** Money held for one call; end it with exactly one of `settle` or `release`. */
export interface BudgetReservation {
  /** USD held against the keys. */
  readonly reservedUsd: number;
  /** Store keys charged (empty when no limit applied). */
  readonly keys: readonly string[];
  /**
   * The call finished: replace the reservation by `actualCostUsd`. With `null` (usage or price
   * unknown) the reserved maximum stays spent: counting the worst case is the only choice that
   * cannot overspend. Never rejects; store failures go to `onStoreError`.
   */
  settle(actualCostUsd: number | null): Promise<void>;
  /** The call failed before costing anything: give the reservation back. Never rejects. */
  release(): Promise<void>;
}

/** Options of the manager. */
export interface BudgetManagerOptions {
  store: BudgetStore;
  /** How long a session's spend is remembered after its last call; default 24 h. */
  sessionTtlMs?: number;
  /** Wall clock (ms since epoch): day keys follow the UTC date. */
  now?: () => number;
  /** Where settle/release failures of the store go (they never reach a caller). */
  onStoreError?: (error: unknown) => void;
}

const DAY_MS = 86_400_000;
/** Which limit a budget entry enforces (for the refusal's message and its retry-after). */
type EntryKind = 'bot-day' | 'session' | 'tenant-day' | 'tenant-month';
/** An entry with what it is and when its window starts over (undefined: it does not). */
interface DescribedEntry extends BudgetEntry {
  kind: EntryKind;
  resetsAt?: number;
}

/** Epoch ms of the next UTC midnight after `now`. */
function nextUtcDay(now: number): number {
  return (Math.floor(now / DAY_MS) + 1) * DAY_MS;
}

/** Epoch ms of the first instant of the next UTC month after `now`. */
function nextUtcMonth(now: number): number {
  const date = new Date(now);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}
/** A day key outlives its day by this much, so a call reserved before midnight settles on its own day. */
const DAY_GRACE_MS = 3_600_000;

/** The worst-case cost of a call: every input token at the input price plus `maxOutputTokens` of output. Null for an unpriced model. */
export function estimateMaxCostUsd(pricing: ModelPricing | null | undefined, inputTokensEstimate: number, maxOutputTokens: number): number | null {
  if (!pricing) return null;
  const input = Math.max(0, inputTokensEstimate) * Math.max(pricing.inputPerMTok, pricing.cacheReadPerMTok ?? 0, pricing.cacheWritePerMTok ?? 0);
  const output = Math.max(0, maxOutputTokens) * pricing.outputPerMTok;
  // Round up so the estimate stays a maximum after the float rounding.
  return Math.ceil(((input + output) / 1e6) * 1e12) / 1e12;
}

/** Reserves and settles spend against a bot's daily budget and a session's budget. */
export class BudgetManager {
  private readonly store: BudgetStore;
  private readonly sessionTtlMs: number;
  private readonly now: () => number;
  private readonly onStoreError: (error: unknown) => void;

  constructor(options: BudgetManagerOptions) {
    this.store = options.store;
    this.sessionTtlMs = options.sessionTtlMs ?? DAY_MS;
    this.now = options.now ?? (() => Date.now());
    this.onStoreError = options.onStoreError ?? (() => undefined);
  }

  /** Store key of a bot's spend on the UTC day containing `at`. */
  static dayKey(bot: string, at: number): string {
    return `budget:day:${encodeURIComponent(bot)}:${new Date(at).toISOString().slice(0, 10)}`;
  }

  /** Store key of a tenant's spend on the UTC day containing `at`. */
  static tenantDayKey(tenant: string, at: number): string {
    return `budget:tenant-day:${encodeURIComponent(tenant)}:${new Date(at).toISOString().slice(0, 10)}`;
  }

  /** Store key of a tenant's spend in the UTC month containing `at`. */
  static tenantMonthKey(tenant: string, at: number): string {
    return `budget:tenant-month:${encodeURIComponent(tenant)}:${new Date(at).toISOString().slice(0, 7)}`;
  }

  /** Store key of a session's spend. */
  static sessionKey(bot: string, sessionId: string): string {
    return `budget:session:${encodeURIComponent(bot)}:${encodeURIComponent(sessionId)}`;
  }

  /**
   * Hold `maxCostUsd` against the bot's day, the session and the tenant's day and month (each only if
   * it has a limit), all or nothing, or throw BudgetExceededError naming the full budget's config key.
   */
  async reserve(request: BudgetRequest): Promise<BudgetReservation> {
    if (!Number.isFinite(request.maxCostUsd) || request.maxCostUsd < 0) {
      throw new InvalidRequestError(`A budget reservation needs maxCostUsd >= 0 (got ${String(request.maxCostUsd)}); check the model's pricing in the catalog.`);
    }
    const entries = this.entriesFor(request, this.now());
    if (entries.length === 0) return this.reservation([], 0);
    const amount = roundUsd(request.maxCostUsd);
    if (await this.store.reserve(entries, amount)) return this.reservation(entries, amount);
    throw await this.exceeded(request, entries, amount);
  }

  /** Close the store. */
  async close(): Promise<void> {
    await this.store.close();
  }

  /** The keys a request reserves against, with their limits, lifetimes and window ends. */
  private entriesFor(request: BudgetRequest, now: number): DescribedEntry[] {
    const { bot, sessionId, budget, tenant } = request;
    const entries: DescribedEntry[] = [];
    const day = nextUtcDay(now);
    if (bot !== undefined && budget?.usdPerDay !== undefined) {
      entries.push({ kind: 'bot-day', key: BudgetManager.dayKey(bot, now), limitUsd: budget.usdPerDay, ttlMs: day - now + DAY_GRACE_MS, resetsAt: day });
    }
    if (bot !== undefined && budget?.usdPerSession !== undefined && sessionId !== undefined) {
      entries.push({ kind: 'session', key: BudgetManager.sessionKey(bot, sessionId), limitUsd: budget.usdPerSession, ttlMs: this.sessionTtlMs });
    }
    if (tenant?.budget.usdPerDay !== undefined) {
      entries.push({ kind: 'tenant-day', key: BudgetManager.tenantDayKey(tenant.id, now), limitUsd: tenant.budget.usdPerDay, ttlMs: day - now + DAY_GRACE_MS, resetsAt: day });
    }
    if (tenant?.budget.usdPerMonth !== undefined) {
      const month = nextUtcMonth(now);
      entries.push({ kind: 'tenant-month', key: BudgetManager.tenantMonthKey(tenant.id, now), limitUsd: tenant.budget.usdPerMonth, ttlMs: month - now + DAY_GRACE_MS, resetsAt: month });
    }
    return entries;
  }

  private async exceeded(request: BudgetRequest, entries: DescribedEntry[], amount: number): Promise<BudgetExceededError> {
    // Name the key that is full now; if a concurrent release made room since, name them all.
    const spent = await Promise.all(entries.map((entry) => this.store.spent(entry.key).catch(() => NaN)));
    const fullNow = entries.filter((entry, i) => !(roundUsd(spent[i]! + amount) <= entry.limitUsd));
    const full = fullNow.length ? fullNow : entries;
    const described = full.map((entry) => {
      const i = entries.indexOf(entry);
      const used = Number.isNaN(spent[i]!) ? 'unknown' : `$${spent[i]!.toFixed(6)}`;
      return describeEntry(entry, request, used);
    });
    // A wait helps only when every full budget is a window that starts over: then until the last one does.
    const windows = full.map((entry) => entry.resetsAt);
    const now = this.now();
    const retryAfterMs = windows.every((at) => at !== undefined) ? Math.max(1, Math.max(...(windows as number[])) - now) : undefined;
    return new BudgetExceededError(`Budget exceeded: ${described.join('; ')}; this call may cost up to $${amount.toFixed(6)}.`, retryAfterMs === undefined ? {} : { retryAfterMs });
  }

  private reservation(entries: readonly BudgetEntry[], reservedUsd: number): BudgetReservation {
    let done = false;
    const apply = async (delta: number) => {
      if (done) return;
      done = true;
      if (delta === 0 || entries.length === 0) return;
      try {
        // Keys have different lifetimes, so one adjust per key; only reserve needs to be atomic.
        await Promise.all(entries.map((entry) => this.store.adjust([entry.key], delta, entry.ttlMs)));
      } catch (error) {
        this.onStoreError(error);
      }
    };
    return {
      reservedUsd,
      keys: entries.map((entry) => entry.key),
      settle: (actualCostUsd) => {
        const actual = actualCostUsd === null || !Number.isFinite(actualCostUsd) || actualCostUsd < 0 ? reservedUsd : actualCostUsd;
        return apply(roundUsd(actual - reservedUsd));
      },
      release: () => apply(-reservedUsd),
    };
  }
}

/** What a full budget entry is, in words naming its config key (ids are config's or the caller's own). */
function describeEntry(entry: DescribedEntry, request: BudgetRequest, used: string): string {
  const { bot, sessionId, tenant } = request;
  switch (entry.kind) {
    case 'bot-day':
      return `bot "${bot}" has spent ${used} of its $${entry.limitUsd} daily budget (bots.${bot}.budget.usdPerDay)`;
    case 'session':
      return `session "${sessionId}" of bot "${bot}" has spent ${used} of its $${entry.limitUsd} budget (bots.${bot}.budget.usdPerSession)`;
    case 'tenant-day':
      return `tenant "${tenant?.id}" has spent ${used} of its $${entry.limitUsd} daily budget (tenants.${tenant?.id}.budget.usdPerDay, resets at 00:00 UTC)`;
    case 'tenant-month':
      return `tenant "${tenant?.id}" has spent ${used} of its $${entry.limitUsd} monthly budget (tenants.${tenant?.id}.budget.usdPerMonth, resets on the 1st, UTC)`;
  }
}

/**
 * The per-tenant spend ledger behind `sb.spend({ tenantId, since? })`: every call of a tenant that
 * succeeded (cached answers included, at no cost) adds its cost, tokens and one call to the tenant's
 * bucket of the UTC day it finished on. Writes never hold up or fail a call: they go out at once and
 * a failing store is reported to `onStoreError`; `close()` waits for the writes still in flight.
 *
 * Any tenant id is counted, configured or not (a platform may bill tenants it does not restrict);
 * the store bounds what is kept (src/tenants/spend-store.ts). An unpriced call adds its tokens and
 * the call, and no cost. A call that failed adds nothing.
 */
import { InvalidRequestError } from '../core/errors.js';
import { emptyTotals, roundUsd, type SpendStore, type SpendTotals } from './spend-store.js';

const DAY_MS = 86_400_000;

/** What `sb.spend()` takes. */
export interface SpendQuery {
  tenantId: string;
  /**
   * The first day counted: a Date, epoch ms, or an ISO date/time string. Spend is kept per UTC day,
   * so the whole UTC day `since` falls on is counted. Default: everything kept (`spend.retentionDays`).
   */
  since?: Date | number | string;
}

/** One finished call's figures. */
export interface SpendFigures {
  /** null: the model has no price (the call and its tokens still count). */
  costUsd: number | null;
  inputTokens: number;
  outputTokens: number;
}

/** Options of the ledger. */
export interface SpendLedgerOptions {
  store: SpendStore;
  /** Days kept (config `spend.retentionDays`). */
  retentionDays: number;
  /** Wall clock (epoch ms): days follow the UTC date. */
  now?: () => number;
  onStoreError?: (error: unknown) => void;
}

/** The UTC date `YYYY-MM-DD` of epoch ms `at`. */
function dayOf(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

/** Records and sums per-tenant spend. */
export class SpendLedger {
  private readonly store: SpendStore;
  private readonly retentionDays: number;
  private readonly now: () => number;
  private readonly onStoreError: (error: unknown) => void;
  /** Writes in flight (at most one per call in flight), awaited by close(). */
  private readonly pending = new Set<Promise<void>>();

  constructor(options: SpendLedgerOptions) {
    this.store = options.store;
    this.retentionDays = options.retentionDays;
    this.now = options.now ?? (() => Date.now());
    this.onStoreError = options.onStoreError ?? (() => undefined);
  }

  /** Count one finished call of `tenant`. Never throws. */
  record(tenant: string, figures: SpendFigures): void {
    const cost = figures.costUsd;
    const delta: SpendTotals = {
      costUsd: cost !== null && Number.isFinite(cost) && cost > 0 ? cost : 0,
      inputTokens: Math.max(0, figures.inputTokens || 0),
      outputTokens: Math.max(0, figures.outputTokens || 0),
      calls: 1,
    };
    let write: Promise<void>;
    try {
      write = this.store.add(tenant, dayOf(this.now()), delta, this.retentionDays * DAY_MS).catch(this.onStoreError);
    } catch (error) {
      this.onStoreError(error);
      return;
    }
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write));
  }

  /** The tenant's spend since `since` (default: all kept). */
  async query(query: SpendQuery): Promise<SpendTotals> {
    if (typeof query !== 'object' || query === null) throw new InvalidRequestError('spend takes { tenantId, since? }');
    const { tenantId } = query;
    if (typeof tenantId !== 'string' || tenantId.trim() === '') throw new InvalidRequestError('spend: tenantId must be a non-empty string');
    const today = Math.floor(this.now() / DAY_MS);
    const oldest = today - this.retentionDays + 1;
    const from = query.since === undefined ? oldest : Math.max(oldest, Math.floor(sinceMs(query.since) / DAY_MS));
    const days: string[] = [];
    for (let day = from; day <= today; day++) days.push(dayOf(day * DAY_MS));
    const totals = days.length === 0 ? emptyTotals() : await this.store.sum(tenantId, days);
    // A copy: a store may hand back its own record.
    return { ...totals, costUsd: roundUsd(totals.costUsd) };
  }

  /** Wait for the writes in flight, then close the store. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    await this.store.close();
  }
}

/** `since` as epoch ms, or InvalidRequestError naming the field. */
function sinceMs(since: Date | number | string): number {
  const ms = since instanceof Date ? since.getTime() : typeof since === 'number' ? since : typeof since === 'string' ? Date.parse(since) : NaN;
  if (!Number.isFinite(ms)) throw new InvalidRequestError('spend: since must be a Date, epoch milliseconds or an ISO date such as "2026-01-01"');
  return ms;
}

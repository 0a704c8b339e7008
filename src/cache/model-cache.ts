/**
 * The cache of model instances, keyed by `provider:model`, in two LRU pools that never evict each
 * other: `local` for in-process weights (loaded GGUF models; bounded by entries, optionally by bytes
 * of ModelInfo.memoryBytes, and TTL) and `hosted` for hosted models' handles (a client and a name,
 * cheap to make again; bounded by entries and TTL). Calls to many hosted models must not push a
 * loaded local model out and force a reload of its weights (docs/decisions.md "Model cache").
 * Eviction unloads through the owning manager exactly once, and never while a call still holds the
 * model: a leased model is unloaded when its last lease is released.
 */
import { LRUCache } from 'lru-cache';
import { untilAborted } from '../core/abort.js';
import { InvalidRequestError } from '../core/errors.js';

/** The manager that loaded a model and knows how to unload it. */
export interface ModelOwner {
  readonly provider: string;
  /** Called once when the model leaves the cache (eviction, TTL, `evict`, `clear`). */
  releaseModel(model: unknown): Promise<void>;
}

/** The pool a model lives in: in-process weights, or a hosted model's handle. */
export type ModelKind = 'local' | 'hosted';

/** Options of the model cache (config `modelCache`). */
export interface ModelCacheOptions {
  /** Most model instances kept at once in each pool (local models; hosted handles). */
  max: number;
  /** Byte budget of the local pool over ModelInfo.memoryBytes; 0 = unbounded by bytes. */
  maxMemoryBytes?: number;
  /** Unload a model unused for this long; 0 = never. */
  ttlMs?: number;
  /** Where unload failures go; they never reach a caller. */
  onUnloadError?: (error: unknown, id: string) => void;
}

interface Entry {
  id: string;
  kind: ModelKind;
  owner: ModelOwner;
  model: unknown;
  leases: number;
  evicted: boolean;
  unloaded: boolean;
}

/** A load under way, and how many callers wait for it (each gets a lease when it lands). */
interface PendingLoad {
  waiters: number;
  entry: Promise<Entry>;
}

/** One pool: its LRU and the loads under way for it. */
interface Pool {
  lru: LRUCache<string, Entry>;
  pending: Map<string, PendingLoad>;
}

/** A model held for the duration of one call; `release()` exactly once. */
export interface ModelLease<T> {
  model: T;
  release(): void;
}

/** Counters for tests and stats, both pools together. */
export interface ModelCacheCounters {
  loads: number;
  unloads: number;
  evictions: number;
}

/** LRU pools of model instances with single-flight loading and lease-aware unloading. */
export class ModelCache {
  private readonly pools: Record<ModelKind, Pool>;
  private readonly maxMemoryBytes: number;
  private readonly onUnloadError: (error: unknown, id: string) => void;
  private readonly unloading = new Set<Promise<void>>();
  /** Load, unload and eviction counts since start. */
  readonly counters: ModelCacheCounters = { loads: 0, unloads: 0, evictions: 0 };

  constructor(options: ModelCacheOptions) {
    if (!Number.isInteger(options.max) || options.max < 1) {
      throw new InvalidRequestError(`modelCache.max must be a whole number >= 1 (got ${options.max})`);
    }
    this.maxMemoryBytes = options.maxMemoryBytes ?? 0;
    this.onUnloadError = options.onUnloadError ?? (() => undefined);
    const ttl = options.ttlMs ?? 0;
    const pool = (bytes: boolean): Pool => ({
      lru: new LRUCache<string, Entry>({
        max: options.max,
        ...(bytes && this.maxMemoryBytes > 0
          ? { maxSize: this.maxMemoryBytes, sizeCalculation: (entry: Entry) => Math.max(1, this.sizes.get(entry.id) ?? 1) }
          : {}),
        ...(ttl > 0 ? { ttl, ttlAutopurge: true, updateAgeOnGet: true } : {}),
        dispose: (entry) => this.onDispose(entry),
      }),
      pending: new Map(),
    });
    // Only in-process weights count bytes; a handle's memory is a client object.
    this.pools = { local: pool(true), hosted: pool(false) };
  }

  /** Byte sizes of local entries, bounded by the LRU itself (an entry's size leaves with it). */
  private readonly sizes = new Map<string, number>();

  /** Model instances held, both pools (local models and hosted handles). */
  get size(): number {
    return this.pools.local.lru.size + this.pools.hosted.lru.size;
  }

  /** Total bytes of the local models that declared a size. */
  get calculatedBytes(): number {
    return this.maxMemoryBytes > 0 ? this.pools.local.lru.calculatedSize : 0;
  }

  /** Is this `provider:model` held (a loaded local model or a hosted handle)? */
  has(id: string): boolean {
    return this.pools.local.lru.has(id) || this.pools.hosted.lru.has(id);
  }

  /** Held ids, most recently used first: local models, then hosted handles; or one pool's. */
  keys(kind?: ModelKind): string[] {
    if (kind) return [...this.pools[kind].lru.keys()];
    return [...this.pools.local.lru.keys(), ...this.pools.hosted.lru.keys()];
  }

  /**
   * Get a loaded model or load it. Concurrent calls for one id share one load. `kind` is its pool
   * (default `local`); for a local model `memoryBytes` (when known) counts against `maxMemoryBytes`.
   * `signal` stops the wait for a load (the load itself goes on and stays cached; the caller's lease
   * is given back when it lands).
   */
  async acquire<T>(id: string, owner: ModelOwner, load: () => Promise<T>, memoryBytes?: number, signal?: AbortSignal, kind: ModelKind = 'local'): Promise<ModelLease<T>> {
    const found = this.leaseEntry(id, owner, load, kind === 'local' ? memoryBytes : undefined, kind);
    const entry = found instanceof Promise ? await untilAborted(found, signal, (late) => this.releaseLease(late)) : found;
    let released = false;
    return {
      model: entry.model as T,
      release: () => {
        if (released) return;
        released = true;
        this.releaseLease(entry);
      },
    };
  }

  private releaseLease(entry: Entry): void {
    entry.leases--;
    if (entry.evicted && entry.leases === 0) this.unload(entry);
  }

  /**
   * The entry with the caller's lease already counted. The lease is taken in the same turn the entry is
   * found or stored: counted later, another load finishing in between could evict and unload it first.
   */
  private leaseEntry<T>(id: string, owner: ModelOwner, load: () => Promise<T>, memoryBytes: number | undefined, kind: ModelKind): Entry | Promise<Entry> {
    const { lru, pending } = this.pools[kind];
    const cached = lru.get(id);
    if (cached) {
      cached.leases++;
      return cached;
    }
    const inFlight = pending.get(id);
    if (inFlight) {
      inFlight.waiters++;
      return inFlight.entry;
    }
    if (this.maxMemoryBytes > 0 && memoryBytes !== undefined && memoryBytes > this.maxMemoryBytes) {
      return Promise.reject(
        new InvalidRequestError(
          `Model ${id} needs ${memoryBytes} bytes, more than modelCache.maxMemoryBytes (${this.maxMemoryBytes}); raise the limit or pick a smaller model`,
        ),
      );
    }
    const loading: PendingLoad = { waiters: 1, entry: undefined as unknown as Promise<Entry> };
    // Registered before the load starts: a load that throws at once must not leave a stale record behind.
    pending.set(id, loading);
    loading.entry = (async () => {
      try {
        const model = await load();
        this.counters.loads++;
        const entry: Entry = { id, kind, owner, model, leases: loading.waiters, evicted: false, unloaded: false };
        if (memoryBytes !== undefined) this.sizes.set(id, memoryBytes);
        lru.set(id, entry);
        return entry;
      } finally {
        pending.delete(id);
      }
    })();
    return loading.entry;
  }

  /** Unload one model now (waits for its unload; a leased model unloads when its call ends). */
  async evict(id: string): Promise<boolean> {
    const local = this.pools.local.lru.delete(id);
    const hosted = this.pools.hosted.lru.delete(id);
    await this.settle();
    return local || hosted;
  }

  /** Unload every model, both pools (used by `sb.close()`). */
  async clear(): Promise<void> {
    this.pools.local.lru.clear();
    this.pools.hosted.lru.clear();
    await this.settle();
  }

  /** Wait for unloads under way. */
  async settle(): Promise<void> {
    while (this.unloading.size > 0) await Promise.allSettled([...this.unloading]);
  }

  private onDispose(entry: Entry): void {
    if (entry.evicted) return;
    entry.evicted = true;
    this.counters.evictions++;
    if (entry.kind === 'local') this.sizes.delete(entry.id);
    if (entry.leases === 0) this.unload(entry);
  }

  private unload(entry: Entry): void {
    if (entry.unloaded) return;
    entry.unloaded = true;
    this.counters.unloads++;
    const done = entry.owner
      .releaseModel(entry.model)
      .catch((error) => this.onUnloadError(error, entry.id))
      .finally(() => this.unloading.delete(done));
    this.unloading.add(done);
  }
}

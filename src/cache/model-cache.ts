/**
 * The LRU cache of model instances (hosted-model handles, loaded GGUF models), keyed by
 * `provider:model`. Bounded by entries, optionally by bytes (ModelInfo.memoryBytes) and TTL.
 * Eviction unloads through the owning manager exactly once, and never while a call still holds
 * the model: a leased model is unloaded when its last lease is released.
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

/** Options of the model cache (config `modelCache`). */
export interface ModelCacheOptions {
  /** Most model instances kept at once. */
  max: number;
  /** Byte budget over ModelInfo.memoryBytes; 0 = unbounded by bytes. */
  maxMemoryBytes?: number;
  /** Unload a model unused for this long; 0 = never. */
  ttlMs?: number;
  /** Where unload failures go; they never reach a caller. */
  onUnloadError?: (error: unknown, id: string) => void;
}

interface Entry {
  id: string;
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

/** A model held for the duration of one call; `release()` exactly once. */
export interface ModelLease<T> {
  model: T;
  release(): void;
}

/** Counters for tests and stats. */
export interface ModelCacheCounters {
  loads: number;
  unloads: number;
  evictions: number;
}

/** LRU of model instances with single-flight loading and lease-aware unloading. */
export class ModelCache {
  private readonly lru: LRUCache<string, Entry>;
  private readonly pending = new Map<string, PendingLoad>();
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
    this.lru = new LRUCache<string, Entry>({
      max: options.max,
      ...(this.maxMemoryBytes > 0
        ? { maxSize: this.maxMemoryBytes, sizeCalculation: (entry: Entry) => Math.max(1, this.sizes.get(entry.id) ?? 1) }
        : {}),
      ...(ttl > 0 ? { ttl, ttlAutopurge: true, updateAgeOnGet: true } : {}),
      dispose: (entry) => this.onDispose(entry),
    });
  }

  /** Byte sizes of cached entries, bounded by the LRU itself (an entry's size leaves with it). */
  private readonly sizes = new Map<string, number>();

  /** Number of models loaded. */
  get size(): number {
    return this.lru.size;
  }

  /** Total bytes of the loaded models that declared a size. */
  get calculatedBytes(): number {
    return this.maxMemoryBytes > 0 ? this.lru.calculatedSize : 0;
  }

  /** Is this `provider:model` loaded? */
  has(id: string): boolean {
    return this.lru.has(id);
  }

  /** Loaded ids, most recently used first. */
  keys(): string[] {
    return [...this.lru.keys()];
  }

  /**
   * Get a loaded model or load it. Concurrent calls for one id share one load.
   * `memoryBytes` (when known) counts against `maxMemoryBytes`. `signal` stops the wait for a load
   * (the load itself goes on and stays cached; the caller's lease is given back when it lands).
   */
  async acquire<T>(id: string, owner: ModelOwner, load: () => Promise<T>, memoryBytes?: number, signal?: AbortSignal): Promise<ModelLease<T>> {
    const found = this.leaseEntry(id, owner, load, memoryBytes);
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
  private leaseEntry<T>(id: string, owner: ModelOwner, load: () => Promise<T>, memoryBytes?: number): Entry | Promise<Entry> {
    const cached = this.lru.get(id);
    if (cached) {
      cached.leases++;
      return cached;
    }
    const inFlight = this.pending.get(id);
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
    this.pending.set(id, loading);
    loading.entry = (async () => {
      try {
        const model = await load();
        this.counters.loads++;
        const entry: Entry = { id, owner, model, leases: loading.waiters, evicted: false, unloaded: false };
        if (memoryBytes !== undefined) this.sizes.set(id, memoryBytes);
        this.lru.set(id, entry);
        return entry;
      } finally {
        this.pending.delete(id);
      }
    })();
    return loading.entry;
  }

  /** Unload one model now (waits for its unload; a leased model unloads when its call ends). */
  async evict(id: string): Promise<boolean> {
    const existed = this.lru.delete(id);
    await this.settle();
    return existed;
  }

  /** Unload every model (used by `sb.close()`). */
  async clear(): Promise<void> {
    this.lru.clear();
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
    this.sizes.delete(entry.id);
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

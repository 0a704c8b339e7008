/**
 * The transport: every upstream socket the switchboard opens (ARCHITECTURE.md "One transport module
 * owns every upstream socket"). A switchboard has one (src/di/core-module.ts puts it in ManagerDeps);
 * each hosted manager asks it for a client with its provider's `transport` settings and hands the
 * client's `fetch` to its SDK (or uses it itself, Ollama). A `fetch` from config bypasses it.
 *
 * A client resolves its settings once, picks each origin's proxy once, and sends every request on
 * the registry's pool for that origin (pool-registry.ts); `close()` releases its pools.
 */
import type { Dispatcher } from 'undici';
import type { AnswerOrigin } from '../core/answer-errors.js';
import { poolFetch } from './pool-fetch.js';
import { DEFAULT_MAX_POOLS, PoolRegistry } from './pool-registry.js';
import { proxyEnvironmentOf, proxyFor, type ProxyEnvironment } from './proxy-selection.js';
import { resolveTransportSettings, settingsKey, type TransportConfig, type TransportSettings } from './transport-settings.js';

/** A fetch over the transport's pools for one set of settings (one provider's client). */
export interface TransportClient {
  /** A `fetch` for SDKs' `fetch` option and hand-written clients. */
  readonly fetch: typeof fetch;
  /** The settings it runs with (defaults filled in). */
  readonly settings: Readonly<TransportSettings>;
  /** Release its pools (a pool no other client uses closes). Calls after this open new ones. */
  close(): Promise<void>;
}

/** What ManagerDeps carries: the switchboard's transport. */
export interface UpstreamTransport {
  /**
   * A client with `layers` resolved over the defaults (a provider's `transport`, then a
   * deployment's); `origin` names the provider in errors of bodies no manager bounded.
   */
  client(origin: AnswerOrigin, ...layers: Array<TransportConfig | undefined>): TransportClient;
  /** Close every pool of every client. */
  close(): Promise<void>;
}

/** Options of a PooledTransport. */
export interface PooledTransportOptions {
  /** The environment whose proxy variables apply (read once, here); default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Pools kept at once, all origins together; default 256. */
  maxPools?: number;
}

/** One client: its settings, its origins' pool keys, its fetch. */
class PooledClient implements TransportClient {
  readonly fetch: typeof fetch;
  /** Pool key of each origin this client has sent to (its proxy picked once). */
  private readonly keys = new Map<string, { key: string; proxy: string | undefined }>();
  private readonly settingsKey: string;

  constructor(
    readonly settings: Readonly<TransportSettings>,
    private readonly registry: PoolRegistry,
    private readonly environment: ProxyEnvironment,
    origin: AnswerOrigin,
  ) {
    this.settingsKey = settingsKey(settings);
    this.fetch = poolFetch({ dispatcherFor: (upstream) => this.dispatcherFor(upstream), acceptEncoding: settings.acceptEncoding, origin });
  }

  async close(): Promise<void> {
    const keys = [...this.keys.values()].map((entry) => entry.key);
    this.keys.clear();
    await this.registry.release(this, keys);
  }

  private dispatcherFor(origin: string): Dispatcher {
    let entry = this.keys.get(origin);
    if (!entry) {
      const proxy = proxyFor(origin, this.settings, this.environment);
      entry = { key: `${proxy ?? ''} ${origin} ${this.settingsKey}`, proxy };
      this.keys.set(origin, entry);
    }
    return this.registry.dispatcherFor(entry.key, { origin, proxy: entry.proxy, settings: this.settings, settingsKey: this.settingsKey }, this);
  }
}

/** The transport of one switchboard (see the file comment). */
export class PooledTransport implements UpstreamTransport {
  private readonly registry: PoolRegistry;
  private readonly environment: ProxyEnvironment;

  constructor(options: PooledTransportOptions = {}) {
    this.registry = new PoolRegistry(options.maxPools ?? DEFAULT_MAX_POOLS);
    this.environment = proxyEnvironmentOf(options.env ?? process.env);
  }

  /** Pools open now (all clients). */
  get pools(): number {
    return this.registry.size;
  }

  client(origin: AnswerOrigin, ...layers: Array<TransportConfig | undefined>): TransportClient {
    return new PooledClient(Object.freeze(resolveTransportSettings(...layers)), this.registry, this.environment, origin);
  }

  close(): Promise<void> {
    return this.registry.close();
  }
}

let shared: PooledTransport | undefined;

/**
 * The transport of managers built without one in their deps (by hand, in tests): one per process,
 * its pools released by each manager's `close()` like a switchboard's.
 */
export function processTransport(): PooledTransport {
  shared ??= new PooledTransport();
  return shared;
}

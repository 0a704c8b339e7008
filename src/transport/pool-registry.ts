/**
 * The connection pools of one switchboard: one undici `Pool` per upstream origin and transport
 * settings (a `ProxyAgent` when a proxy serves that origin), made on first use, bounded in number
 * (least recently used closed first), and shared by the clients that ask with the same settings.
 * A pool closes when its last client closes (a manager's `close()`, so `sb.close()` leaves none) or
 * with the registry. Closing lets calls in flight finish for a grace period, then destroys the rest.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Pool, ProxyAgent, type Dispatcher } from 'undici';
import type { TransportSettings } from './transport-settings.js';

/** The pools kept at once across all upstreams, by default. */
export const DEFAULT_MAX_POOLS = 256;

/** How long a closing pool lets its calls in flight finish before its connections are destroyed. */
const CLOSE_GRACE_MS = 1_000;

/** One pool and who uses it. */
interface PoolEntry {
  dispatcher: Dispatcher;
  users: Set<object>;
}

/** What a pool for one origin is built from. */
export interface PoolSpec {
  origin: string;
  /** The proxy to reach `origin` through, if any (proxy-selection.ts). */
  proxy: string | undefined;
  settings: TransportSettings;
  /** `settingsKey(settings)`, computed once by the client. */
  settingsKey: string;
}

/** The CA list of `settings.ca` (PEM text, or a PEM file read once) added to Node's roots; undefined: Node's roots. */
export function trustedCAs(ca: string): string[] | undefined {
  if (ca.trim() === '') return undefined;
  const pem = ca.includes('-----BEGIN') ? ca : readFileSync(ca, 'utf8');
  return [...rootCertificates, pem];
}

/** The undici options of `settings` shared by a pool and a proxy agent. */
function poolOptions(settings: TransportSettings, ca: string[] | undefined): Pool.Options {
  return {
    connections: settings.connections,
    pipelining: settings.pipelining,
    keepAliveTimeout: settings.keepAliveTimeoutMs,
    keepAliveMaxTimeout: settings.keepAliveMaxTimeoutMs,
    headersTimeout: settings.headersTimeoutMs,
    bodyTimeout: settings.bodyTimeoutMs,
    allowH2: settings.allowH2,
    connect: { timeout: settings.connectTimeoutMs, ...(ca ? { ca } : {}) },
  };
}

/** A dispatcher for one spec: a Pool for the origin, or a ProxyAgent tunnelling to it. */
function createDispatcher(spec: PoolSpec, ca: string[] | undefined): Dispatcher {
  const options = poolOptions(spec.settings, ca);
  if (!spec.proxy) return new Pool(spec.origin, options);
  const { connect, ...agentOptions } = options;
  return new ProxyAgent({
    ...agentOptions,
    uri: spec.proxy,
    // The origin's TLS runs inside the tunnel; the proxy's own (an https:// proxy) trusts the same CAs.
    requestTls: { timeout: connect && 'timeout' in connect ? connect.timeout : undefined, ...(ca ? { ca } : {}) },
    proxyTls: ca ? { ca } : {},
  });
}

/** Close gracefully, then destroy whatever is still open after the grace period. */
export async function closeDispatcher(dispatcher: Dispatcher): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), CLOSE_GRACE_MS);
  });
  try {
    const outcome = await Promise.race([dispatcher.close().then(() => 'closed' as const), grace]);
    if (outcome === 'late') await dispatcher.destroy();
  } catch {
    // Already closed or destroyed: nothing left to release.
  } finally {
    clearTimeout(timer);
  }
}

/** The pools of one transport. */
export class PoolRegistry {
  private readonly entries = new Map<string, PoolEntry>();
  private readonly closing = new Set<Promise<void>>();
  /** CA lists by `ca` setting: a file is read once. */
  private readonly cas = new Map<string, string[] | undefined>();

  constructor(private readonly maxPools = DEFAULT_MAX_POOLS) {}

  /** Pools open now. */
  get size(): number {
    return this.entries.size;
  }

  /** The dispatcher for `spec`, made on first use; `user` keeps it open until it releases it. */
  dispatcherFor(key: string, spec: PoolSpec, user: object): Dispatcher {
    let entry = this.entries.get(key);
    if (entry) {
      // Least recently used last to be closed: a Map keeps insertion order.
      this.entries.delete(key);
      this.entries.set(key, entry);
    } else {
      entry = { dispatcher: createDispatcher(spec, this.caFor(spec.settings.ca)), users: new Set() };
      this.entries.set(key, entry);
      if (this.entries.size > this.maxPools) this.evict(this.entries.keys().next().value!);
    }
    if (!entry.users.has(user)) entry.users.add(user);
    return entry.dispatcher;
  }

  /** `user` is done with `keys`: a pool no one uses any more closes. */
  async release(user: object, keys: Iterable<string>): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (!entry) continue;
      entry.users.delete(user);
      if (entry.users.size === 0) closing.push(this.evict(key));
    }
    await Promise.all(closing);
  }

  /** Close every pool (and wait for the ones closing already). */
  async close(): Promise<void> {
    const keys = [...this.entries.keys()];
    await Promise.all([...keys.map((key) => this.evict(key)), ...this.closing]);
  }

  private evict(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry) return Promise.resolve();
    this.entries.delete(key);
    const closing = closeDispatcher(entry.dispatcher).finally(() => this.closing.delete(closing));
    this.closing.add(closing);
    return closing;
  }

  private caFor(ca: string): string[] | undefined {
    if (!this.cas.has(ca)) this.cas.set(ca, trustedCAs(ca));
    return this.cas.get(ca);
  }
}

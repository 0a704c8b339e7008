/**
 * What one upstream's transport is configured with (`providers.<p>.transport`; a future
 * per-deployment `transport` overrides it key by key), the defaults, and the one table of checks
 * both config (transport-config.ts) and the transport itself read. A settings object is resolved
 * once per provider client, never per call.
 */
import { checkBoolean, checkString, intCheck, type FieldCheck } from '../config/field-checks.js';
import { isPlainObject, unknownKeyMessage } from '../config/problems.js';

/** Every transport setting, resolved (defaults filled in). */
export interface TransportSettings {
  /** Most connections to one upstream origin; more calls wait in the pool's queue. */
  connections: number;
  /** Requests in flight on one connection (HTTP/1.1 pipelining); 1 = off. */
  pipelining: number;
  /** How long an idle connection is kept open when the server does not say (its `Keep-Alive: timeout=` wins), ms. */
  keepAliveTimeoutMs: number;
  /** The longest idle time a server's `Keep-Alive` header may ask for, ms. */
  keepAliveMaxTimeoutMs: number;
  /** Longest wait for a TCP (and TLS) connection, ms. */
  connectTimeoutMs: number;
  /** Longest wait for the response headers once the request is sent, ms; 0 = none. */
  headersTimeoutMs: number;
  /** Longest silence between two body chunks, ms; 0 = none. */
  bodyTimeoutMs: number;
  /** Offer HTTP/2 (ALPN, https only) and use it where the upstream accepts. */
  allowH2: boolean;
  /**
   * The `accept-encoding` sent when the SDK sets none: `identity` (default: uncompressed, measured
   * cheaper, docs/decisions.md), or e.g. `gzip, deflate, br`. Compressed answers are inflated either way.
   */
  acceptEncoding: string;
  /** `''`: the environment's proxy (HTTPS_PROXY / HTTP_PROXY, NO_PROXY); `none`: never a proxy; else the proxy's http(s) URL. */
  proxy: string;
  /** Hosts reached without the proxy, NO_PROXY syntax (`example.com, .internal, 10.0.0.1:8080, *`), added to the environment's NO_PROXY. */
  noProxy: string;
  /** A CA (PEM text, or the path of a PEM file) trusted for this upstream's TLS, in addition to Node's roots. */
  ca: string;
}

/** What config may give: any subset of the settings. */
export type TransportConfig = Partial<TransportSettings>;

/** The defaults (docs/configuration.md "transport"). */
export const DEFAULT_TRANSPORT_SETTINGS: Readonly<TransportSettings> = Object.freeze({
  connections: 64,
  pipelining: 1,
  keepAliveTimeoutMs: 4_000,
  keepAliveMaxTimeoutMs: 600_000,
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 300_000,
  bodyTimeoutMs: 300_000,
  allowH2: false,
  acceptEncoding: 'identity',
  proxy: '',
  noProxy: '',
  ca: '',
});

/** `none`, or an http(s) URL (credentials allowed: proxies take them in the URL). */
const checkProxy: FieldCheck = (v) => {
  if (typeof v !== 'string') return 'must be a string: "" (from the environment), "none", or the http(s) URL of a proxy';
  if (v === '' || v === 'none') return undefined;
  try {
    const url = new URL(v);
    if (url.protocol === 'http:' || url.protocol === 'https:') return undefined;
  } catch {
    // reported below
  }
  return 'must be "" (from the environment), "none", or the http(s) URL of a proxy, e.g. http://proxy.internal:3128';
};

/** A header value: printable ASCII, no line breaks. */
const checkHeaderValue: FieldCheck = (v) => (typeof v === 'string' && /^[\x20-\x7e]*$/.test(v) ? undefined : 'must be a header value such as "identity" or "gzip, deflate, br"');

/** The check of every key: the one rule for each setting. */
export const TRANSPORT_SETTING_CHECKS: Readonly<Record<keyof TransportSettings, FieldCheck>> = Object.freeze({
  connections: intCheck(1, 10_000),
  pipelining: intCheck(1, 100),
  keepAliveTimeoutMs: intCheck(1),
  keepAliveMaxTimeoutMs: intCheck(1),
  connectTimeoutMs: intCheck(1),
  headersTimeoutMs: intCheck(0),
  bodyTimeoutMs: intCheck(0),
  allowH2: checkBoolean,
  acceptEncoding: checkHeaderValue,
  proxy: checkProxy,
  noProxy: checkString,
  ca: checkString,
});

/** The first problem of a `transport` object, as `key: problem` (undefined when it is fine or absent). */
export function checkTransportConfig(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) return `must be an object with any of the keys ${Object.keys(TRANSPORT_SETTING_CHECKS).join(', ')}`;
  for (const [key, setting] of Object.entries(value)) {
    if (setting === undefined) continue;
    const check = Object.prototype.hasOwnProperty.call(TRANSPORT_SETTING_CHECKS, key) ? TRANSPORT_SETTING_CHECKS[key as keyof TransportSettings] : undefined;
    if (!check) return `${key}: ${unknownKeyMessage(key, Object.keys(TRANSPORT_SETTING_CHECKS))}`;
    const problem = check(setting);
    if (problem) return `${key}: ${problem}`;
  }
  return undefined;
}

/**
 * The settings of one upstream: the defaults, then each layer in order (a provider's `transport`,
 * then a deployment's), key by key; absent keys keep the layer below.
 */
export function resolveTransportSettings(...layers: Array<TransportConfig | undefined>): TransportSettings {
  const settings: TransportSettings = { ...DEFAULT_TRANSPORT_SETTINGS };
  for (const layer of layers) {
    if (!layer) continue;
    for (const key of Object.keys(TRANSPORT_SETTING_CHECKS) as Array<keyof TransportSettings>) {
      const value = layer[key];
      if (value !== undefined) (settings as unknown as Record<string, unknown>)[key] = value;
    }
  }
  return settings;
}

/** A string naming exactly these settings: two clients with the same key may share pools. */
export function settingsKey(settings: TransportSettings): string {
  return JSON.stringify(Object.keys(TRANSPORT_SETTING_CHECKS).map((key) => settings[key as keyof TransportSettings]));
}

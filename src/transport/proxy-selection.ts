/**
 * Which proxy (if any) one upstream origin is reached through. Config first: a provider's
 * `transport.proxy` (`none` = never; a URL = always, but for its `noProxy` hosts); else the environment
 * the switchboard was created with, read once (`https_proxy`/`HTTPS_PROXY` for https targets, falling
 * back to `http_proxy`/`HTTP_PROXY`, which also serve http targets; `no_proxy`/`NO_PROXY`). Never
 * from a request. The rules follow undici's EnvHttpProxyAgent (and curl): NO_PROXY entries are host
 * names matching the host and its subdomains (`example.com`, `.example.com`, `*.example.com`),
 * optionally with a port, IP addresses, or `*` for every host.
 */
import type { TransportSettings } from './transport-settings.js';

/** The proxy variables of an environment, read once. */
export interface ProxyEnvironment {
  httpProxy: string;
  httpsProxy: string;
  noProxy: string;
}

/** No proxy anywhere. */
export const NO_PROXY_ENVIRONMENT: Readonly<ProxyEnvironment> = Object.freeze({ httpProxy: '', httpsProxy: '', noProxy: '' });

/** The proxy variables of `env` (lower-case names first, as curl and undici read them). */
export function proxyEnvironmentOf(env: NodeJS.ProcessEnv): ProxyEnvironment {
  const pick = (lower: string, upper: string) => (env[lower] || env[upper] || '').trim();
  return { httpProxy: pick('http_proxy', 'HTTP_PROXY'), httpsProxy: pick('https_proxy', 'HTTPS_PROXY'), noProxy: pick('no_proxy', 'NO_PROXY') };
}

/** One NO_PROXY entry. */
interface NoProxyEntry {
  host: string;
  /** 0: any port. */
  port: number;
}

/** The entries of a NO_PROXY list (commas or spaces between them); `*` becomes the host `*`. */
function parseNoProxy(list: string): NoProxyEntry[] {
  const entries: NoProxyEntry[] = [];
  for (const raw of list.split(/[,\s]+/)) {
    if (!raw) continue;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(raw);
    const withPort = bracketed ? undefined : /^(.+?):(\d+)$/.exec(raw);
    const host = bracketed ? bracketed[1]! : withPort ? withPort[1]! : raw;
    const port = Number(bracketed?.[2] ?? withPort?.[2] ?? 0);
    entries.push({ host: host.replace(/^\*?\./, '').toLowerCase(), port });
  }
  return entries;
}

/** Whether `host`:`port` is on a NO_PROXY list. */
function bypasses(entries: readonly NoProxyEntry[], host: string, port: number): boolean {
  for (const entry of entries) {
    if (entry.host === '*') return true;
    if (entry.port !== 0 && entry.port !== port) continue;
    if (host === entry.host || host.endsWith(`.${entry.host}`)) return true;
  }
  return false;
}

/** The default port of a scheme. */
function portOf(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/**
 * The proxy URL for requests to `origin` (an http(s) origin such as `https://api.openai.com`),
 * or undefined for a direct connection.
 */
export function proxyFor(origin: string, settings: Pick<TransportSettings, 'proxy' | 'noProxy'>, environment: ProxyEnvironment): string | undefined {
  if (settings.proxy === 'none') return undefined;
  const url = new URL(origin);
  const fromConfig = settings.proxy !== '';
  const proxy = fromConfig ? settings.proxy : url.protocol === 'https:' ? environment.httpsProxy || environment.httpProxy : environment.httpProxy;
  if (!proxy) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  // A proxy from config is bypassed by config's noProxy alone (config says everything about it);
  // the environment's proxy by NO_PROXY and config's noProxy both.
  const entries = parseNoProxy(fromConfig ? settings.noProxy : `${settings.noProxy} ${environment.noProxy}`);
  return bypasses(entries, host, portOf(url)) ? undefined : proxy;
}

/**
 * What every hosted (HTTP) provider shares: its base URL, timeout and API key. One place checks
 * them (so every provider reports the same problems the same way), derives the `server.address` /
 * `server.port` telemetry attributes from the base URL, routes SDK log lines to our logger, and
 * picks the fetch its calls go through (UpstreamFetch: config's own, else the transport's pools).
 */
import type { AnswerOrigin } from '../core/answer-errors.js';
import type { Logger } from '../core/logger.js';
import type { ConfigProblem } from '../core/types.js';
import { processTransport, type TransportClient, type UpstreamTransport } from '../transport/transport.js';
import type { TransportConfig } from '../transport/transport-settings.js';

/** The settings `validateHostedEndpoint` checks; absent fields are not checked. */
export interface HostedEndpointSettings {
  baseURL?: string;
  /** True when the provider cannot work without a base URL. */
  baseURLRequired?: boolean;
  timeoutMs?: number;
  apiKey?: string;
}

/** Parse an http(s) URL, or undefined when it is not one. */
export function parseHttpUrl(value: string | undefined): URL | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** `server.address` and `server.port` for a base URL (the default port when the URL has none). */
export function endpointAddress(baseURL: string | undefined): { address: string; port?: number } | undefined {
  const url = parseHttpUrl(baseURL);
  if (!url) return undefined;
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return { address: url.hostname.replace(/^\[|\]$/g, ''), port };
}

/**
 * Problems with a hosted provider's settings, keyed under `path` (e.g. `providers.openai`).
 * Messages say what to change and never repeat the key itself.
 */
export function validateHostedEndpoint(path: string, settings: HostedEndpointSettings): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { baseURL, timeoutMs, apiKey } = settings;
  if (!baseURL) {
    if (settings.baseURLRequired) problems.push({ key: `${path}.baseURL`, message: 'is required: the http(s) URL of the server, e.g. http://127.0.0.1:8000/v1' });
  } else {
    const url = parseHttpUrl(baseURL);
    if (!url) problems.push({ key: `${path}.baseURL`, message: 'must be an http:// or https:// URL' });
    else if (url.username || url.password) problems.push({ key: `${path}.baseURL`, message: 'must not contain credentials; put the key in apiKey' });
  }
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    problems.push({ key: `${path}.timeoutMs`, message: 'must be a positive number of milliseconds' });
  }
  if (apiKey) {
    if (/\$\{[^}]*\}/.test(apiKey)) problems.push({ key: `${path}.apiKey`, message: 'holds an unresolved ${VAR} placeholder: set that environment variable' });
    else if (/\s/.test(apiKey)) problems.push({ key: `${path}.apiKey`, message: 'contains whitespace (a stray newline from a file or shell?)' });
  }
  return problems;
}

/** The logger shape the official SDKs (openai, @anthropic-ai/sdk) accept. */
export interface SdkLogger {
  error(message: string, ...rest: unknown[]): void;
  warn(message: string, ...rest: unknown[]): void;
  info(message: string, ...rest: unknown[]): void;
  debug(message: string, ...rest: unknown[]): void;
}

/**
 * Route an SDK's log lines to our logger instead of the console. Only the message is kept: the
 * extra arguments hold raw response text (a chunk that failed to parse), and content is not logged.
 * SDK errors become warnings because the error itself reaches the caller, mapped, anyway.
 */
export function sdkLogger(logger: Logger, sdk: string): SdkLogger {
  const line = (level: 'warn' | 'debug') => (message: string) => logger[level](`${sdk}: ${message}`);
  return { error: line('warn'), warn: line('warn'), info: line('debug'), debug: line('debug') };
}

/**
 * The fetch a hosted manager's calls use: a `fetch` from its config as it is (the transport is
 * bypassed entirely; the manager still bounds every answer), else a client of the switchboard's
 * transport with the provider's `transport` settings, made on first use and released by `close()`.
 */
export class UpstreamFetch {
  private client: TransportClient | undefined;

  constructor(private readonly origin: AnswerOrigin) {}

  /**
   * `configFetch` when given, else the transport's fetch for `settings` (`transport` absent: deps
   * built by hand; the process-wide transport serves them).
   */
  fetch(configFetch: typeof fetch | undefined, transport: UpstreamTransport | undefined, ...settings: Array<TransportConfig | undefined>): typeof fetch {
    if (configFetch) return configFetch;
    this.client ??= (transport ?? processTransport()).client(this.origin, ...settings);
    return this.client.fetch;
  }

  /** Release the pools (the manager's `close()`); a later call makes a new client. */
  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.close();
  }
}

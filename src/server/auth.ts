/**
 * Gateway keys: `Authorization: Bearer <key>` or `x-api-key: <key>` checked against `server.apiKeys`
 * in constant time, and the rule that a gateway without keys serves only on loopback. Keys are kept
 * as SHA-256 digests and compared with `timingSafeEqual` over every configured key, so neither a
 * key's length nor which entry matched shows in the timing. A key is never logged or echoed.
 *
 * Both headers are accepted on every route: OpenAI clients send Bearer, Anthropic-native tools and
 * curl examples send `x-api-key` (to /v1/messages, and to /v1/models when they list models), and
 * @anthropic-ai/sdk 1.12 sends Bearer. A request carrying both must carry the same key in each:
 * two different keys leave it unclear which caller (and tenant) it is, so it is refused.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { GatewayKeyConfig } from '../config/types.js';
import { ConfigError, PermissionError } from '../core/errors.js';
import { GatewayHttpError } from './errors.js';

/** Who is calling: the tenant of the matched key (undefined when the gateway has no keys). */
export interface Caller {
  tenant?: string;
  /** The key may call `bot:<name>` only (`server.apiKeys[].botsOnly`). */
  botsOnly?: boolean;
}

/** The refusal of a `provider:model` call (or an embedding) with a bots-only key. */
export function botsOnlyRefusal(): PermissionError {
  return new PermissionError('This API key may call bots only (server.apiKeys[].botsOnly): set model to "bot:<name>" (GET /v1/models lists them)');
}

/** Checks the key headers of each request. */
export interface KeyVerifier {
  /** True when keys are configured (requests must carry one). */
  readonly enabled: boolean;
  /**
   * The caller for these header values (`Authorization`, and `x-api-key` when sent); GatewayHttpError
   * 401 when the key is missing, wrong, or two different keys were sent.
   */
  verify(authorization: string | undefined, apiKey?: string): Caller;
}

interface StoredKey {
  digest: Buffer;
  caller: Caller;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Build the verifier from `server.apiKeys` (already validated by the config loader). */
export function createKeyVerifier(apiKeys: ReadonlyArray<GatewayKeyConfig>): KeyVerifier {
  const stored: StoredKey[] = apiKeys.map((entry) => ({ digest: digest(entry.key), caller: entry.botsOnly === true ? { tenant: entry.tenant, botsOnly: true } : { tenant: entry.tenant } }));
  return {
    enabled: stored.length > 0,
    verify(authorization, apiKey) {
      if (stored.length === 0) return {};
      const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '')?.[1];
      const header = apiKey?.trim() || undefined;
      const key = bearer ?? header;
      if (key === undefined) {
        throw new GatewayHttpError(401, 'Missing gateway API key: send the header "Authorization: Bearer <gateway key>" or "x-api-key: <gateway key>"', 'invalid_request_error', 'missing_api_key');
      }
      const given = digest(key);
      // Compared as digests, like the keys: equal lengths, no early exit on the first differing byte.
      if (bearer !== undefined && header !== undefined && !timingSafeEqual(given, digest(header))) {
        throw new GatewayHttpError(401, 'Two different gateway API keys were sent (Authorization and x-api-key): send the key in one of them', 'invalid_request_error', 'conflicting_api_keys');
      }
      let caller: Caller | undefined;
      // No early exit: every key is compared, whichever matches.
      for (const key of stored) {
        if (timingSafeEqual(given, key.digest)) caller ??= key.caller;
      }
      if (caller === undefined) {
        throw new GatewayHttpError(401, 'Incorrect gateway API key provided', 'invalid_request_error', 'invalid_api_key');
      }
      return caller;
    },
  };
}

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(bare);
  return false;
}

/** Refuse to expose an unauthenticated gateway beyond this machine. */
export function assertSafeBinding(host: string, keysEnabled: boolean): void {
  if (keysEnabled || isLoopbackHost(host)) return;
  throw new ConfigError([
    {
      key: 'server.host',
      message: `is "${host}", but server.apiKeys is empty: an unauthenticated gateway serves only on loopback (127.0.0.1, ::1 or localhost). Add server.apiKeys [{ key, tenant }] or bind to 127.0.0.1`,
    },
  ]);
}

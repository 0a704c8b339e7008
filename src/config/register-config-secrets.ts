/**
 * Every credential a config holds is registered with the loading switchboard's SecretRegistry, so
 * that it is scrubbed from what the library emits later (logs, spans, upstream text). Placeholders
 * are not secrets (the registry refuses them): registering `YOUR_API_KEY` would scrub pieces of the
 * very message that asks the user to set the provider's key variable.
 */
import type { SecretRegistry } from '../core/secrets.js';
import { isKeyishName, isPlainObject } from './problems.js';

/** Bounds the walk: a config is small, and a credential deeper than this is not a credential. */
const MAX_DEPTH = 32;

/** User info of any URL-shaped string (`redis://:password@host`, `https://token@host`). */
function registerUrlCredentials(value: string, secrets: SecretRegistry): void {
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^/?#@\s]*)@/i.exec(value);
  if (!match) return;
  for (const part of match[1]!.split(':')) {
    let decoded = part;
    try {
      decoded = decodeURIComponent(part);
    } catch {
      // A malformed escape is still the raw text the user wrote; register that.
    }
    secrets.register(part);
    secrets.register(decoded);
  }
}

function walk(value: unknown, key: string | undefined, depth: number, secrets: SecretRegistry): void {
  if (depth > MAX_DEPTH) return;
  if (typeof value === 'string') {
    if (isKeyishName(key)) secrets.register(value);
    registerUrlCredentials(value, secrets);
  } else if (Array.isArray(value)) {
    // `server.apiKeys: [{ key }]`: array items inherit nothing; their own keys decide.
    for (const item of value) walk(item, isKeyishName(key) && typeof item === 'string' ? key : undefined, depth + 1, secrets);
  } else if (isPlainObject(value)) {
    for (const [childKey, child] of Object.entries(value)) walk(child, childKey, depth + 1, secrets);
  }
}

/**
 * Register every credential in a config tree: values of credential-named keys (`apiKey`, `key`,
 * `token`, `password` ...) at any depth, and the user info of every URL (the password in `redis.url`).
 */
export function registerConfigSecrets(tree: unknown, secrets: SecretRegistry): void {
  walk(tree, undefined, 0, secrets);
}

/**
 * Every credential a config holds is registered with secrets.ts, so that it is scrubbed from
 * anything the library emits later (errors, logs, spans). Placeholders are not secrets: registering
 * `YOUR_API_KEY` would scrub pieces of the very message that asks the user to set OPENAI_API_KEY.
 */
import { registerSecret } from '../core/secrets.js';
import { looksLikePlaceholder } from './field-checks.js';
import { isKeyishName, isPlainObject } from './problems.js';

/** Bounds the walk: a config is small, and a credential deeper than this is not a credential. */
const MAX_DEPTH = 32;

/** User info of any URL-shaped string (`redis://:password@host`, `https://token@host`). */
function registerUrlCredentials(value: string): void {
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^/?#@\s]*)@/i.exec(value);
  if (!match) return;
  for (const part of match[1]!.split(':')) {
    let decoded = part;
    try {
      decoded = decodeURIComponent(part);
    } catch {
      // A malformed escape is still the raw text the user wrote; register that.
    }
    registerSecret(part);
    registerSecret(decoded);
  }
}

function walk(value: unknown, key: string | undefined, depth: number): void {
  if (depth > MAX_DEPTH) return;
  if (typeof value === 'string') {
    if (isKeyishName(key) && !looksLikePlaceholder(value)) registerSecret(value);
    registerUrlCredentials(value);
  } else if (Array.isArray(value)) {
    // `server.apiKeys: [{ key }]`: array items inherit nothing; their own keys decide.
    for (const item of value) walk(item, isKeyishName(key) && typeof item === 'string' ? key : undefined, depth + 1);
  } else if (isPlainObject(value)) {
    for (const [childKey, child] of Object.entries(value)) walk(child, childKey, depth + 1);
  }
}

/**
 * Register every credential in a config tree: values of credential-named keys (`apiKey`, `key`,
 * `token`, `password` ...) at any depth, and the user info of every URL (the password in `redis.url`).
 */
export function registerConfigSecrets(tree: unknown): void {
  walk(tree, undefined, 0);
}

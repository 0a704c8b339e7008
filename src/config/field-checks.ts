/**
 * Checks for single config values, shared by the schema formats (schema-fields.ts and provider
 * definitions), the semantic checks of maps such as `bots` (validate-config.ts, provider-sections.ts)
 * and the catalog (load-catalog.ts).
 * Each returns undefined when the value is fine, else a message saying what to change; none ever
 * includes the value itself (callers add a safe echo with `describeValue`).
 */

/** A check of one value. */
export type FieldCheck = (value: unknown) => string | undefined;

/** A string (possibly empty). */
export const checkString: FieldCheck = (v) => (typeof v === 'string' ? undefined : 'must be a string');

/** A string with something in it. */
export const checkNonEmptyString: FieldCheck = (v) =>
  typeof v === 'string' && v.trim().length > 0 ? undefined : 'must be a non-empty string';

/** true or false (JSON booleans; "true" as a string is a mistake outside environment variables). */
export const checkBoolean: FieldCheck = (v) => (typeof v === 'boolean' ? undefined : 'must be true or false');

/** A whole number in [min, max]. Strings, NaN and Infinity are refused. */
export function intCheck(min: number, max = Number.MAX_SAFE_INTEGER): FieldCheck {
  const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
  return (v) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max ? undefined : `must be a whole number ${range}`);
}

/** A finite number in [min, max]. */
export function numberCheck(min: number, max = Infinity): FieldCheck {
  const range = max === Infinity ? `of at least ${min}` : `from ${min} to ${max}`;
  return (v) => (typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max ? undefined : `must be a finite number ${range}`);
}

/** A finite number greater than zero. */
export const checkPositiveNumber: FieldCheck = (v) =>
  typeof v === 'number' && Number.isFinite(v) && v > 0 ? undefined : 'must be a finite number greater than 0';

/** A TCP port to listen on; 0 asks the OS for any free port (tests, ephemeral gateways). */
export const checkListenPort: FieldCheck = (v) =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535 ? undefined : 'must be a port number from 1 to 65535 (or 0 for any free port)';

/** One of the listed strings. */
export function enumCheck(values: readonly string[]): FieldCheck {
  return (v) => (typeof v === 'string' && values.includes(v) ? undefined : `must be one of ${values.map((x) => `"${x}"`).join(', ')}`);
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/**
 * An http(s) URL with a host and no user info (credentials belong in `apiKey`, where they are
 * registered as secrets; in a URL they end up in logs and spans). `optional` accepts ''.
 */
export function httpUrlCheck(optional: boolean): FieldCheck {
  return (v) => {
    if (typeof v !== 'string') return 'must be a string holding an http(s) URL';
    if (optional && v === '') return undefined;
    const url = parseUrl(v.trim());
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      return `must be an http:// or https:// URL${optional ? ' (or empty)' : ''}`;
    }
    if (!url.hostname) return 'must name a host';
    if (url.username || url.password) return 'must not contain credentials (user:password@); put the key in apiKey';
    return undefined;
  };
}

/** '' (no Redis) or a redis:// / rediss:// URL with a host. */
export const checkRedisUrl: FieldCheck = (v) => {
  if (typeof v !== 'string') return 'must be a string holding a redis:// or rediss:// URL';
  if (v === '') return undefined;
  const url = parseUrl(v.trim());
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:')) return 'must be a redis:// or rediss:// URL (or empty)';
  if (!url.hostname) return 'must name a host';
  return undefined;
};

/** A function (provider `fetch`), or nothing. Only programmatic config can hold one. */
export const checkOptionalFunction: FieldCheck = (v) =>
  v === undefined || typeof v === 'function' ? undefined : 'must be a function (only programmatic config can set it)';

/** A string, or nothing. */
export const checkOptionalString: FieldCheck = (v) => (v === undefined || typeof v === 'string' ? undefined : 'must be a string');

/** A `provider:model` id: both parts non-empty, no whitespace. */
export function isModelId(value: unknown): value is string {
  if (typeof value !== 'string' || /\s/.test(value)) return false;
  const at = value.indexOf(':');
  return at > 0 && at < value.length - 1;
}

/** Names a provider may have: letters, digits, `-` and `_` (it becomes the `vllm` in `vllm:<model>`). */
export const PROVIDER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Template values left where a key belongs (defined with the secret registry, which never registers them). */
export { looksLikePlaceholder } from '../core/secrets.js';

/**
 * Collecting configuration problems: key paths as users write them (`bots.support.fallbacks[0]`,
 * `models["provider:model"].pricing`), "did you mean" hints, and value echoes that can never show a
 * secret. Every config check reports here so that one ConfigError lists everything at once.
 */
import { ConfigError } from '../core/errors.js';
import type { ConfigProblem } from '../core/types.js';

/** One step of a key path: an object key or an array index. */
export type PathSegment = string | number;

/** Keys that could reach or replace an object prototype; refused anywhere in config. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const DOTTED_SEGMENT = /^[A-Za-z_$][\w$-]*$/;
/** Field names whose values are credentials: never echoed, always registered as secrets. */
const KEYISH_NAME = /(api[-_]?key|^key$|token$|secret|passw(or)?d|credential|authorization)/i;
/** Shapes of credentials we were never told about (mirrors the patterns secrets.ts scrubs). */
const KEYISH_VALUE = /\b(sk|pk|rk)-[A-Za-z0-9_-]{6,}|\bhf_[A-Za-z0-9]{6,}|\bBearer\s|\/\/[^/\s]*@/i;
const MAX_ECHO_CHARS = 40;
/** A config of thousands of mistakes is still reported, but the list stays readable and bounded. */
const MAX_PROBLEMS = 200;

/** `['bots', 'support', 'fallbacks', 0]` -> `bots.support.fallbacks[0]`. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (DOTTED_SEGMENT.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** True for a field name that holds a credential (`apiKey`, `key`, `token`, `password` ...). */
export function isKeyishName(name: PathSegment | undefined): boolean {
  return typeof name === 'string' && KEYISH_NAME.test(name);
}

/**
 * A plain object: `{}`-made (in any realm: objects from a vm context or another module sandbox count)
 * or null-prototype, never an array or a class instance.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** A long token mixing upper case, lower case and digits: likely a credential of an unknown shape. */
function looksRandom(value: string): boolean {
  return /^[A-Za-z0-9_\-.+/=]{20,}$/.test(value) && /[A-Z]/.test(value) && /[a-z]/.test(value) && /\d/.test(value);
}

/**
 * ` (got 70000)` when showing the value is safe and useful, '' otherwise. Credential fields, long
 * strings, URLs with user info and key-shaped or random-looking strings are never echoed (and the
 * loader scrubs every problem with its secret registry before it throws).
 */
export function describeValue(value: unknown, fieldName?: PathSegment): string {
  if (isKeyishName(fieldName)) return '';
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return ` (got ${String(value)})`;
  if (value === undefined) return ' (it is missing)';
  if (typeof value === 'string') {
    if (value.length > MAX_ECHO_CHARS || KEYISH_VALUE.test(value) || looksRandom(value)) return '';
    return ` (got ${JSON.stringify(value)})`;
  }
  if (Array.isArray(value)) return ' (got an array)';
  if (typeof value === 'function') return ' (got a function)';
  return ` (got ${typeof value === 'object' ? 'an object' : `a ${typeof value}`})`;
}

/** Edit distance counting a swap of neighbours as one edit (`prot` -> `port`); config keys are short. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/** The known key closest to a mistyped one, when it is close enough to be the likely intent. */
export function closestKey(key: string, known: Iterable<string>): string | undefined {
  if (key.length > 64) return undefined;
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = candidate.toLowerCase() === lower ? 0 : editDistance(lower, candidate.toLowerCase()) + 0.5;
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.max(1, Math.floor(key.length / 3)) + 0.5;
  return bestDistance <= limit ? best : undefined;
}

/** The message for a key the schema does not know, with a hint when one is close. */
export function unknownKeyMessage(key: string, known: Iterable<string>): string {
  const list = [...known];
  const hint = closestKey(key, list);
  if (hint) return `unknown key; did you mean "${hint}"?`;
  return list.length > 0 && list.length <= 12 ? `unknown key; known keys here: ${list.join(', ')}` : 'unknown key';
}

/** The problems found so far, in the order found, without duplicates. */
export class ProblemList {
  private readonly items: ConfigProblem[] = [];
  private readonly seen = new Set<string>();
  private readonly keys = new Set<string>();
  private dropped = 0;

  /** Record a problem at a key path (segments or an already formatted path). */
  add(path: readonly PathSegment[] | string, message: string): void {
    const key = typeof path === 'string' ? path : formatPath(path) || '(root)';
    const id = `${key}\u0000${message}`;
    if (this.seen.has(id)) return;
    if (this.items.length >= MAX_PROBLEMS) {
      this.dropped++;
      return;
    }
    this.seen.add(id);
    this.keys.add(key);
    this.items.push({ key, message });
  }

  /** Whether a problem was already reported at exactly this key path. */
  hasKey(path: readonly PathSegment[] | string): boolean {
    return this.keys.has(typeof path === 'string' ? path : formatPath(path));
  }

  /** Append ` (${note})` to the message of each problem `note` knows something about (where its key is written). */
  annotate(note: (key: string) => string | undefined): void {
    for (const item of this.items) {
      const text = note(item.key);
      if (text !== undefined && !item.message.endsWith(`(${text})`)) item.message += ` (${text})`;
    }
  }

  /** How many problems were found. */
  get size(): number {
    return this.items.length + this.dropped;
  }

  /** A copy of the problems, with a last line saying how many were left out past the bound. */
  list(): ConfigProblem[] {
    const out = this.items.map((p) => ({ ...p }));
    if (this.dropped > 0) out.push({ key: '(more)', message: `${this.dropped} more problems not listed` });
    return out;
  }

  /**
   * Throw one ConfigError with everything found, if anything was. `scrub` (the loading switchboard's
   * secret registry) cleans each message first: config text is the operator's, never a caller's.
   */
  throwIfAny(scrub?: (text: string) => string): void {
    if (this.size === 0) return;
    const list = this.list();
    throw new ConfigError(scrub ? list.map((problem) => ({ key: problem.key, message: scrub(problem.message) })) : list);
  }
}

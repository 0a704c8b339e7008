/**
 * The layers a config is built from (files read by config-file.ts, programmatic config) before the
 * schema sees them: copying every layer into fresh objects without prototype-changing keys,
 * setting functions aside by path (convict would clone them into `{}`), `${ENV}` substitution and the
 * deep merge (objects merge, arrays replace).
 */
import { FORBIDDEN_KEYS, isPlainObject, type PathSegment, type ProblemList } from './problems.js';
import type { FetchPolicy } from './provider-sections.js';

/** A value taken out of a layer before merging, to be put back at `path` in the loaded config. */
export interface SetAsideValue {
  path: PathSegment[];
  value: unknown;
}

/** Deeper than this is not a config, and a cyclic programmatic object must not recurse forever. */
const MAX_DEPTH = 32;
/** A layer that may hold no function anywhere (config files, the catalog). */
const NO_FETCH: FetchPolicy = { objects: new Set(), maps: new Set() };

/**
 * Where a layer may hold a non-JSON value: a `fetch` function where a provider definition takes one
 * (`policy`), or anything in adapter options.
 */
function opaqueAllowedAt(path: readonly PathSegment[], policy: FetchPolicy): 'function' | 'any' | undefined {
  const [first, second, third, fourth, fifth, sixth] = path;
  if (first === 'providers' && typeof second === 'string') {
    if (path.length === 3 && third === 'fetch' && policy.objects.has(second)) return 'function';
    if (path.length === 4 && fourth === 'fetch' && policy.maps.has(second)) return 'function';
  }
  if (first === 'bots' && third === 'adapters' && typeof fourth === 'number' && fifth === 'options' && sixth !== undefined) return 'any';
  return undefined;
}

interface CopyContext {
  problems: ProblemList;
  setAside: SetAsideValue[];
  /** Shown in problems about the layer itself ("in config/x.json"). */
  source: string;
  ancestors: Set<object>;
  fetchPolicy: FetchPolicy;
}

function copyValue(value: unknown, path: PathSegment[], ctx: CopyContext): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value === undefined) return undefined;
  const opaque = opaqueAllowedAt(path, ctx.fetchPolicy);
  if (typeof value === 'function') {
    if (opaque) ctx.setAside.push({ path, value });
    else ctx.problems.add(path, 'must be a JSON value: functions are allowed only at providers.<name>.fetch and in adapter options');
    return undefined;
  }
  if (typeof value !== 'object') {
    ctx.problems.add(path, `must be a JSON value (got a ${typeof value})`);
    return undefined;
  }
  if (ctx.ancestors.has(value)) {
    ctx.problems.add(path, 'is a circular reference');
    return undefined;
  }
  if (path.length > MAX_DEPTH) {
    ctx.problems.add(path, `is nested more than ${MAX_DEPTH} levels deep`);
    return undefined;
  }
  if (!Array.isArray(value) && !isPlainObject(value)) {
    if (opaque === 'any') {
      ctx.setAside.push({ path, value });
      return undefined;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (isPlainObject(proto)) ctx.problems.add([...path, '__proto__'], `"__proto__" is not allowed as a key (it changes object prototypes)${ctx.source}`);
    else ctx.problems.add(path, 'must be a plain object, array or JSON value (got a class instance)');
    return undefined;
  }
  ctx.ancestors.add(value);
  let out: unknown;
  if (Array.isArray(value)) {
    out = value.map((item, index) => copyValue(item, [...path, index], ctx));
  } else {
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) {
        ctx.problems.add([...path, key], `"${key}" is not allowed as a key (it could reach object prototypes)${ctx.source}`);
        continue;
      }
      const child = copyValue((value as Record<string, unknown>)[key], [...path, key], ctx);
      if (child !== undefined) copy[key] = child;
    }
    out = copy;
  }
  ctx.ancestors.delete(value);
  return out;
}

/**
 * A fresh copy of one layer: only own keys, none of `__proto__`/`constructor`/`prototype`, no
 * cycles, functions and other non-JSON values set aside where they are allowed (`fetchPolicy`, adapter
 * options) and reported elsewhere.
 */
export function copyLayer(
  layer: unknown,
  source: string,
  problems: ProblemList,
  setAside: SetAsideValue[],
  basePath: PathSegment[] = [],
  fetchPolicy: FetchPolicy = NO_FETCH,
): Record<string, unknown> {
  if (!isPlainObject(layer)) {
    problems.add(basePath.length > 0 ? basePath : source, 'must be a plain object');
    return {};
  }
  const ctx: CopyContext = { problems, setAside, source: source ? ` (in ${source})` : '', ancestors: new Set(), fetchPolicy };
  return copyValue(layer, basePath, ctx) as Record<string, unknown>;
}

const PLACEHOLDER = /\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replace `${NAME}` and `${NAME:-default}` in every string; `$${NAME}` stays literally `${NAME}`. */
export function substituteEnv(value: unknown, env: Readonly<Record<string, string | undefined>>): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    return value.replace(PLACEHOLDER, (match: string, escaped: string | undefined, name: string, fallback: string | undefined) => {
      if (escaped) return match.slice(1);
      const set = env[name];
      return set !== undefined && set !== '' ? set : (fallback ?? '');
    });
  }
  if (Array.isArray(value)) return value.map((item) => substituteEnv(item, env));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) out[key] = substituteEnv(child, env);
    return out;
  }
  return value;
}

/** `over` on top of `base`: plain objects merge key by key, anything else (arrays too) replaces. */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const below = out[key];
    out[key] = isPlainObject(below) && isPlainObject(value) ? deepMerge(below, value) : value;
  }
  return out;
}

/** Put a set-aside value back. The containers exist: only the leaf itself was taken out. */
export function putBack(tree: Record<string, unknown>, path: readonly PathSegment[], value: unknown): void {
  let here: Record<PathSegment, unknown> = tree;
  for (let i = 0; i < path.length - 1; i++) {
    const next = here[path[i]!];
    if (typeof next !== 'object' || next === null) return;
    here = next as Record<PathSegment, unknown>;
  }
  here[path[path.length - 1]!] = value;
}

/**
 * Checks a config tree against the schema in schema.ts: unknown keys (with a "did you mean"), objects
 * where values belong and the reverse, and each value's format. Bad parts are reported and pruned, so
 * convict only ever sees well-shaped input (its merge throws on an object where a value belongs).
 */
import type convict from 'convict';
import { configSchema, FORMATS } from './schema.js';
import { enumCheck, type FieldCheck } from './field-checks.js';
import { describeValue, isPlainObject, unknownKeyMessage, type PathSegment, type ProblemList } from './problems.js';

type SchemaNode = Record<string, unknown>;

/** A schema leaf holds its default (convict's own rule: a node with a `default` key is a property). */
function isLeaf(node: unknown): node is convict.SchemaObj {
  return isPlainObject(node) && Object.prototype.hasOwnProperty.call(node, 'default');
}

const checkObject: FieldCheck = (v) => (isPlainObject(v) ? undefined : 'must be an object');

/** The check of a schema leaf, from its format. */
function leafCheck(node: convict.SchemaObj): FieldCheck {
  const format: unknown = node.format;
  if (Array.isArray(format)) return enumCheck(format as string[]);
  if (format === Object) return checkObject;
  if (typeof format === 'string' && FORMATS[format]) return FORMATS[format].check;
  throw new Error(`config schema: no check for the format of this key (${String(format)})`);
}

function childOf(node: SchemaNode, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(node, key) ? node[key] : undefined;
}

function walk(node: SchemaNode, value: Record<string, unknown>, path: PathSegment[], problems: ProblemList): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const child = value[key];
    if (child === undefined) continue;
    const here = [...path, key];
    const schemaChild = childOf(node, key);
    if (schemaChild === undefined) {
      problems.add(here, unknownKeyMessage(key, Object.keys(node)));
    } else if (isLeaf(schemaChild)) {
      const problem = leafCheck(schemaChild)(child);
      if (problem) problems.add(here, problem + describeValue(child, key));
      else out[key] = child;
    } else if (!isPlainObject(child)) {
      problems.add(here, `must be an object with the keys ${Object.keys(schemaChild as SchemaNode).join(', ')}${describeValue(child, key)}`);
    } else {
      out[key] = walk(schemaChild as SchemaNode, child, here, problems);
    }
  }
  return out;
}

/**
 * Report every key and value of a user config tree (files and programmatic config merged) that the
 * schema refuses; return the tree without them.
 */
export function checkAgainstSchema(tree: Record<string, unknown>, problems: ProblemList): Record<string, unknown> {
  return walk(configSchema as unknown as SchemaNode, tree, [], problems);
}

/** One environment variable and the key it sets. */
export interface EnvBinding {
  env: string;
  path: string[];
}

function collectBindings(node: SchemaNode, path: string[], out: EnvBinding[]): EnvBinding[] {
  for (const [key, child] of Object.entries(node)) {
    if (isLeaf(child)) {
      if (typeof child.env === 'string') out.push({ env: child.env, path: [...path, key] });
    } else if (isPlainObject(child)) {
      collectBindings(child, [...path, key], out);
    }
  }
  return out;
}

/** Every environment variable the schema reads, with its key path. */
export const ENV_BINDINGS: readonly EnvBinding[] = collectBindings(configSchema as unknown as SchemaNode, [], []);

/** The environment variable that sets a key path (`providers.openai.apiKey` -> OPENAI_API_KEY). */
export function envNameFor(path: readonly string[]): string | undefined {
  const dotted = path.join('.');
  return ENV_BINDINGS.find((binding) => binding.path.join('.') === dotted)?.env;
}

function valueAt(tree: unknown, path: readonly string[]): unknown {
  let here = tree;
  for (const key of path) {
    if (!isPlainObject(here)) return undefined;
    here = here[key];
  }
  return here;
}

/** Check the values convict took from environment variables (after its coercion), naming the variable. */
export function checkEnvValues(config: unknown, env: Readonly<Record<string, string>>, problems: ProblemList): void {
  for (const binding of ENV_BINDINGS) {
    if (env[binding.env] === undefined) continue;
    const schemaNode = valueAt(configSchema, binding.path);
    if (!isLeaf(schemaNode)) continue;
    const value = valueAt(config, binding.path);
    const problem = leafCheck(schemaNode)(value);
    if (problem) {
      problems.add(binding.path, `${problem}${describeValue(value, binding.path[binding.path.length - 1])} (from environment variable ${binding.env})`);
    }
  }
}

/**
 * Checks a config tree against a schema (schema.ts builds it from the provider definitions):
 * unknown keys (with a "did you mean"), objects where values belong and the reverse, and each value's
 * format. Bad parts are reported and pruned, so convict only ever sees well-shaped input (its merge
 * throws on an object where a value belongs). Also the schema's environment variables.
 */
import type convict from 'convict';
import type { SwitchboardConfig } from './types.js';
import { describeValue, isPlainObject, unknownKeyMessage, type PathSegment, type ProblemList } from './problems.js';
import { isConfigLeaf as isLeaf, leafCheck } from './schema-fields.js';

type SchemaNode = Record<string, unknown>;
/** A schema for SwitchboardConfig (buildConfigSchema's result). */
type Schema = convict.Schema<SwitchboardConfig>;

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
      // A sensitive leaf's value is never echoed, whatever its key is called.
      if (problem) problems.add(here, problem + (schemaChild.sensitive === true ? '' : describeValue(child, key)));
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
export function checkAgainstSchema(schema: Schema, tree: Record<string, unknown>, problems: ProblemList): Record<string, unknown> {
  return walk(schema as unknown as SchemaNode, tree, [], problems);
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

/** Every environment variable a schema reads, with its key path. */
export function envBindingsOf(schema: Schema): EnvBinding[] {
  return collectBindings(schema as unknown as SchemaNode, [], []);
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
export function checkEnvValues(schema: Schema, bindings: readonly EnvBinding[], config: unknown, env: Readonly<Record<string, string>>, problems: ProblemList): void {
  for (const binding of bindings) {
    if (env[binding.env] === undefined) continue;
    const schemaNode = valueAt(schema, binding.path);
    if (!isLeaf(schemaNode)) continue;
    const value = valueAt(config, binding.path);
    const problem = leafCheck(schemaNode)(value);
    if (problem) {
      const echo = schemaNode.sensitive === true ? '' : describeValue(value, binding.path[binding.path.length - 1]);
      problems.add(binding.path, `${problem}${echo} (from environment variable ${binding.env})`);
    }
  }
}

/**
 * The pieces every part of the convict schema is written with (the core sections in schema.ts and
 * each provider definition's `configSchema`): named formats (`sb-*`) and the leaf builder.
 * A format is registered with convict so that environment strings are coerced strictly ("8787" ->
 * 8787, "12abc" stays a string and is reported), and kept here so that the same check runs on values
 * from files and programmatic config (schema-check.ts).
 */
import convict from 'convict';
import {
  checkBoolean,
  checkListenPort,
  checkNonEmptyString,
  checkOptionalFunction,
  checkOptionalString,
  checkRedisUrl,
  checkString,
  enumCheck,
  httpUrlCheck,
  intCheck,
  type FieldCheck,
} from './field-checks.js';
import { isPlainObject } from './problems.js';

/** A named format: its check, and how an environment-variable string becomes a value. */
export interface NamedFormat {
  /** undefined when the value is fine, else what to change (never the value itself). */
  check: FieldCheck;
  /** Environment variables are strings: turn one into the value the check expects, or leave it for the check to refuse. */
  coerce?: (raw: string) => unknown;
}

/** A leaf of the schema: convict's own node (`default`, `format`, `doc`, `env`, `sensitive`). */
export type ConfigLeaf<T = unknown> = convict.SchemaObj<T>;

/** A schema fragment: leaves, or groups of them, by key. */
export interface ConfigSchemaNode {
  [key: string]: ConfigLeaf | ConfigSchemaNode;
}

/** Whole numbers only: parseInt would turn "12abc" into 12 and hide the mistake. */
function coerceInt(raw: string): unknown {
  return /^\s*[+-]?\d+\s*$/.test(raw) ? Number(raw) : raw;
}

/** convict's own boolean coercion makes "0" and "no" true. */
function coerceBoolean(raw: string): unknown {
  if (/^\s*(true|1|yes|on)\s*$/i.test(raw)) return true;
  if (/^\s*(false|0|no|off)\s*$/i.test(raw)) return false;
  return raw;
}

/** Every named format by name; schema-check.ts looks checks up here. Provider definitions add theirs. */
export const FORMATS: Record<string, NamedFormat> = {};

/**
 * Register named formats with convict and the schema checks. Registering the same format object
 * again is a no-op (definitions are loaded once per switchboard); a different one under a taken name
 * is refused, since convict's registry is process-wide and the first would silently change.
 */
export function registerConfigFormats(formats: Readonly<Record<string, NamedFormat>>): void {
  for (const [name, format] of Object.entries(formats)) {
    const known = Object.prototype.hasOwnProperty.call(FORMATS, name) ? FORMATS[name] : undefined;
    if (known === format) continue;
    if (known) throw new Error(`config format "${name}" is registered already with another check; give yours another name`);
    FORMATS[name] = format;
    convict.addFormat({
      name,
      validate: (value: unknown) => {
        const problem = format.check(value);
        if (problem) throw new Error(problem);
      },
      ...(format.coerce ? { coerce: format.coerce } : {}),
    });
  }
}

registerConfigFormats({
  'sb-string': { check: checkString },
  'sb-nonempty-string': { check: checkNonEmptyString },
  'sb-optional-string': { check: checkOptionalString },
  'sb-boolean': { check: checkBoolean, coerce: coerceBoolean },
  'sb-int-min0': { check: intCheck(0), coerce: coerceInt },
  'sb-int-min1': { check: intCheck(1), coerce: coerceInt },
  'sb-retries': { check: intCheck(0, 20), coerce: coerceInt },
  'sb-port': { check: checkListenPort, coerce: coerceInt },
  'sb-http-url': { check: httpUrlCheck(false) },
  'sb-optional-http-url': { check: httpUrlCheck(true) },
  'sb-redis-url': { check: checkRedisUrl },
  'sb-function': { check: checkOptionalFunction },
  'sb-models': {
    check: (v) =>
      (typeof v === 'string' && v.trim() !== '') || isPlainObject(v) ? undefined : 'must be the path of a catalog file or a catalog object',
  },
  'sb-array': { check: (v) => (Array.isArray(v) ? undefined : 'must be an array') },
});

/** Where a leaf's value may also come from, and whether it is a credential. */
export interface ConfigFieldOptions {
  /** The environment variable that sets it (it wins over files and programmatic config). */
  env?: string;
  /** A credential: registered as a secret, checked for placeholders, never echoed in a problem. */
  sensitive?: boolean;
}

/**
 * A leaf of the schema. `format` is a registered format name, a list of allowed strings, or `Object`
 * (a map whose entries a semantic check reads). A `null` default marks a key that must be given
 * (in map entries, which convict never sees); `undefined` an optional one.
 */
export function configField<T>(defaultValue: T | null, format: string | readonly string[] | ObjectConstructor, doc: string, options: ConfigFieldOptions = {}): ConfigLeaf<T> {
  const node: ConfigLeaf<T> = { default: defaultValue, format: Array.isArray(format) ? [...format] : format, doc };
  if (options.env) node.env = options.env;
  if (options.sensitive) node.sensitive = true;
  return node;
}

/** A schema leaf holds its default (convict's own rule: a node with a `default` key is a property). */
export function isConfigLeaf(node: unknown): node is ConfigLeaf {
  return isPlainObject(node) && Object.prototype.hasOwnProperty.call(node, 'default');
}

/** The doc of every `fetch` leaf. */
export const FETCH_DOC = 'A fetch function handed to the SDK (programmatic config only)';

/** The leaf a provider that takes a programmatic `fetch` gets (ProviderDefinition.takesFetch). */
export function fetchField(): ConfigLeaf<typeof fetch | undefined> {
  return configField<typeof fetch | undefined>(undefined, 'sb-function', FETCH_DOC);
}

/** The check of a leaf, from its format: a registered name, a list of allowed strings, or `Object`. */
export function leafCheck(leaf: ConfigLeaf): FieldCheck {
  const format: unknown = leaf.format;
  if (Array.isArray(format)) return enumCheck(format as string[]);
  if (format === Object) return (v) => (isPlainObject(v) ? undefined : 'must be an object');
  if (typeof format === 'string' && Object.prototype.hasOwnProperty.call(FORMATS, format)) return FORMATS[format]!.check;
  throw new Error(`config schema: no check for the format of this key (${String(format)})`);
}

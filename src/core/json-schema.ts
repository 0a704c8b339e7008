/**
 * JSON Schema checks through Ajv (compiling costs far more than validating, so each schema is compiled
 * once and its validator kept in a bounded LRU keyed by the schema's JSON). Used to refuse a bad tool
 * or response schema before any call, and to validate a `json_schema` answer.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { LRUCache } from 'lru-cache';

/** ajv-formats is CommonJS: its default export arrives wrapped under ESM interop. */
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

/** Distinct schemas kept compiled; a platform has a handful of tool and answer shapes. */
const MAX_COMPILED = 512;
/** A schema larger than this (as JSON) is refused: a schema is a shape, not data. */
export const MAX_SCHEMA_CHARS = 64 * 1024;

// Lenient on unknown keywords and formats: provider schemas carry extras (`strict`, `additionalProperties`
// in odd places, `title`) that must not make a valid request fail here.
const OPTIONS = { strict: false, allErrors: false, validateFormats: true } as const;
// One validator per draft a schema may name in `$schema` (zod 4 and others write 2020-12; draft-07 is
// the default): a schema naming a draft its validator does not know would otherwise fail to compile.
const DRAFT_07 = addFormats(new Ajv(OPTIONS));
const DRAFT_2019 = addFormats(new Ajv2019(OPTIONS) as unknown as Ajv);
const DRAFT_2020 = addFormats(new Ajv2020(OPTIONS) as unknown as Ajv);

/** The validator for the draft `schema` names (its `$schema`), draft-07 when it names none or another. */
function validatorFor(schema: object): Ajv {
  const declared = (schema as { $schema?: unknown }).$schema;
  if (typeof declared !== 'string') return DRAFT_07;
  if (declared.includes('2020-12')) return DRAFT_2020;
  if (declared.includes('2019-09')) return DRAFT_2019;
  return DRAFT_07;
}
const compiled = new LRUCache<string, ValidateFunction>({ max: MAX_COMPILED });

/** The validator of `schema`, or what is wrong with it (a message without the schema's text). */
export function compileSchema(schema: unknown): { validate: ValidateFunction } | { problem: string } {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return { problem: 'must be a JSON Schema object, e.g. { "type": "object", "properties": { ... } }' };
  let key: string;
  try {
    key = JSON.stringify(schema);
  } catch {
    return { problem: 'must be plain JSON (no cycles, no functions)' };
  }
  if (key.length > MAX_SCHEMA_CHARS) return { problem: `is larger than ${MAX_SCHEMA_CHARS} characters as JSON` };
  const cached = compiled.get(key);
  if (cached) return { validate: cached };
  // Checked against the meta-schema first: its errors name a keyword and a fixed rule, while a compile
  // error's text may quote the schema (property names, $ref targets), which is caller text.
  const ajv = validatorFor(schema);
  let valid: boolean;
  try {
    valid = ajv.validateSchema(schema) as boolean;
  } catch {
    // A `$schema` no validator here knows (a custom meta-schema): the schema cannot be checked.
    return { problem: 'is not a JSON Schema this layer can check ($schema names an unknown meta-schema; use draft-07, 2019-09 or 2020-12)' };
  }
  if (!valid) {
    const first = ajv.errors?.[0];
    const keyword = first?.instancePath.split('/').filter(Boolean).reverse().find((segment) => SCHEMA_KEYWORDS.has(segment));
    return { problem: `is not a valid JSON Schema (${keyword ? `a "${keyword}" keyword ` : ''}${first?.message ?? 'does not match the meta-schema'})` };
  }
  try {
    const validate = ajv.compile(schema);
    compiled.set(key, validate);
    return { validate };
  } catch {
    return { problem: 'is not a valid JSON Schema (a $ref does not resolve, or a keyword is malformed)' };
  }
}

/** Keywords a meta-schema error may name (the other path segments are the caller's property names). */
const SCHEMA_KEYWORDS = new Set([
  'type', 'properties', 'items', 'required', 'enum', 'const', 'additionalProperties', 'patternProperties', 'pattern', 'format',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'minItems', 'maxItems', 'uniqueItems',
  'anyOf', 'oneOf', 'allOf', 'not', '$ref', '$defs', 'definitions', 'description', 'title', 'default', 'multipleOf', 'prefixItems',
]);

/** Where and why a value fails its schema (the first error), e.g. `/city: must be string`. */
export function schemaErrorText(validate: ValidateFunction): string {
  const first = validate.errors?.[0];
  if (!first) return 'does not match the schema';
  return `${first.instancePath || '/'}: ${first.message ?? 'does not match'}`;
}

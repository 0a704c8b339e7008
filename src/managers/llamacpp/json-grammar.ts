/**
 * JSON grammars for llama.cpp: a JSON-schema answer (and a forced tool call) is sampled under a
 * grammar built from the schema, so the text is valid JSON of that shape by construction, even from
 * a model that writes noise. node-llama-cpp turns a subset of JSON Schema into GBNF; this module
 * brings common schemas into that subset, keeps whitespace to single spaces (no newlines: a chat
 * template that ends a turn with a newline would otherwise cut the JSON short), keeps numbers finite
 * (an exponent of 16 digits parses to Infinity, which no schema accepts), and caches the compiled
 * grammars, which cost far more to build than to use.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Llama, LlamaGrammar } from 'node-llama-cpp';
import { InvalidRequestError } from '../../core/errors.js';
import type { JSONSchema, ToolDefinition } from '../../core/types.js';

/** Compiled grammars kept per llama.cpp backend (a grammar belongs to the backend that built it). */
export const MAX_CACHED_GRAMMARS = 64;
/** The definition the answer's schema is wrapped in (node-llama-cpp renders definitions without newlines). */
const ANSWER_DEF = 'switchboard_answer';
/** Keys whose values are data, not schemas: never rewritten. */
const DATA_KEYS = new Set(['const', 'enum', 'default', 'examples', 'example']);
/** The string formats node-llama-cpp writes grammars for; for any other it allows only "". */
const GRAMMAR_FORMATS = new Set(['date', 'time', 'date-time']);

const caches = new WeakMap<Llama, LRUCache<string, Promise<LlamaGrammar>>>();
/** The schema each grammar was built from (what llama.cpp was asked, for recording). */
const schemas = new WeakMap<LlamaGrammar, unknown>();

/** The exponent node-llama-cpp 3.x writes for every number: up to 16 digits, so up to 1e9999999999999999. */
const EXPONENT = ' ([eE] [-+]? ("0" | [1-9] [0-9]{0,15}))?';

/** The grammar of `{ type: 'json' }`: any JSON object. */
export const ANY_JSON_OBJECT: JSONSchema = { type: 'object', additionalProperties: true };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A JSON Schema brought into what node-llama-cpp's grammar builder reads: `anyOf` as `oneOf` (a
 * value of one alternative satisfies both), `definitions` / `#/definitions/` refs as `$defs`, an
 * object schema without `properties` open to any keys (JSON Schema's default; the builder's default
 * is none), `properties` without a `type` typed `object` (the builder would emit `null`), and string
 * formats other than date, time and date-time dropped (the builder would allow only the empty string).
 * Keywords the builder ignores (`minimum`, `pattern` ...) stay: the answer is still validated
 * against the original schema after generation.
 */
export function toGrammarSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toGrammarSchema);
  if (!isObject(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DATA_KEYS.has(key)) out[key] = value;
    else if (key === 'anyOf' && schema.oneOf === undefined) out.oneOf = toGrammarSchema(value);
    else if (key === 'definitions' && schema.$defs === undefined) out.$defs = toGrammarSchema(value);
    else if (key === '$ref' && typeof value === 'string') out.$ref = value.replace(/^#\/definitions\//, '#/$defs/');
    else if (key === 'format' && !(typeof value === 'string' && GRAMMAR_FORMATS.has(value))) continue;
    else out[key] = toGrammarSchema(value);
  }
  if (out.type === undefined && isObject(out.properties)) out.type = 'object';
  if (out.type === 'object' && out.properties === undefined && out.additionalProperties === undefined) out.additionalProperties = true;
  return out;
}

/**
 * The schema of a forced tool call: `{ "name": <one of the tools>, "arguments": <its parameters> }`,
 * one object per tool (name first, so the arguments follow the tool the model picked).
 */
export function forcedCallSchema(tools: readonly ToolDefinition[]): JSONSchema {
  const alternatives = tools.map((tool) => ({ type: 'object', properties: { name: { const: tool.name }, arguments: toGrammarSchema(tool.parameters) } }));
  return alternatives.length === 1 ? alternatives[0]! : { oneOf: alternatives };
}

/** `schema` (already in grammar form) wrapped so that node-llama-cpp builds it without newlines. */
function wrapForGrammar(schema: unknown): JSONSchema {
  return { $ref: `#/$defs/${ANSWER_DEF}`, $defs: { [ANSWER_DEF]: schema } };
}

/** The schema (in grammar form) a grammar built here was made from, or undefined for any other grammar. */
export function grammarSchema(grammar: LlamaGrammar): unknown {
  return schemas.get(grammar);
}

/**
 * GBNF whose numbers stay finite and whose integers stay integers: an integer takes no exponent
 * (`1e-5` is none), a fractional number one of at most two digits. A grammar written some other way
 * (another node-llama-cpp version) is left as it is.
 */
export function finiteNumbers(gbnf: string): string {
  return gbnf
    .split('\n')
    .map((line) => {
      if (line.startsWith('integer-number-rule ::=')) return line.replace(EXPONENT, '');
      if (line.startsWith('fractional-number-rule ::=')) return line.replace(EXPONENT, ' ([eE] [-+]? [0-9] [0-9]?)?');
      return line;
    })
    .join('\n');
}

async function buildGrammar(llama: Llama, schema: unknown): Promise<LlamaGrammar> {
  const generated = await llama.createGrammarForJsonSchema(wrapForGrammar(schema) as Parameters<Llama['createGrammarForJsonSchema']>[0]);
  const grammar = await llama.createGrammar({
    grammar: finiteNumbers(generated.grammar),
    // As node-llama-cpp's own JSON-schema grammar: the answer ends with four newlines, which are cut off.
    stopGenerationTriggers: generated.stopGenerationTriggers,
    trimWhitespaceSuffix: true,
  });
  schemas.set(grammar, schema);
  return grammar;
}

/**
 * The compiled grammar for `schema` (in grammar form) on `llama`, from the cache when it was built
 * before. `path` names the request field the schema came from, for the error when it cannot be one.
 */
export function grammarFor(llama: Llama, schema: unknown, path: string, origin: { provider: string; model: string }): Promise<LlamaGrammar> {
  let cache = caches.get(llama);
  if (!cache) {
    cache = new LRUCache({ max: MAX_CACHED_GRAMMARS });
    caches.set(llama, cache);
  }
  // A digest, not the schema text: a key of up to 64 KB per entry would make the bound a memory one.
  const key = createHash('sha256').update(JSON.stringify(schema)).digest('base64url');
  let grammar = cache.get(key);
  if (!grammar) {
    grammar = buildGrammar(llama, schema).catch((cause: unknown) => {
      cache.delete(key);
      throw new InvalidRequestError(`${path}: llama.cpp cannot turn this JSON schema into a grammar`, { ...origin, cause });
    });
    cache.set(key, grammar);
  }
  return grammar;
}

/** How many grammars `llama` has cached (tests). */
export function cachedGrammarCount(llama: Llama): number {
  return caches.get(llama)?.size ?? 0;
}

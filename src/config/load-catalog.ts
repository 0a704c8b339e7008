/**
 * Loading the model catalog (config/models.json, a YAML file, or an object given in config `models`): every entry
 * checked, every problem reported at once with paths like `models["provider:model"].pricing.inputPerMTok`.
 * Keys starting with `_` are comments, at the top and inside entries.
 */
import type { CatalogEntry } from '../registry/model-catalog.js';
import type { ModelCapability } from './types.js';
import { checkBoolean, intCheck, isModelId, numberCheck, type FieldCheck } from './field-checks.js';
import { copyLayer } from './layers.js';
import { annotateLines, readConfigFile, type LinedSource } from './config-file.js';
import { describeValue, isPlainObject, ProblemList, unknownKeyMessage, type PathSegment } from './problems.js';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The `models` default (API.md): a path relative to the working directory. */
const DEFAULT_CATALOG = 'config/models.json';
/** The catalog shipped in this package (src/config -> ../../config, and the same from dist/config). */
const BUNDLED_CATALOG = fileURLToPath(new URL('../../config/models.json', import.meta.url));

/** Catalogs list hundreds of models, not millions; a bigger one is refused rather than held. */
const MAX_ENTRIES = 20_000;

const optionalText: FieldCheck = (v) => (typeof v === 'string' && v.trim() !== '' ? undefined : 'must be a non-empty string');

const ENTRY_CHECKS: Record<string, FieldCheck> = {
  contextWindow: intCheck(1),
  maxOutputTokens: intCheck(1),
  local: checkBoolean,
  memoryBytes: intCheck(0),
  kind: (v) => (v === 'chat' || v === 'embedding' ? undefined : 'must be "chat" or "embedding"'),
};
/** The catalog's capability names, in the order it documents them (bots may be chosen by them too). */
export const CAPABILITY_KEYS = ['streaming', 'tools', 'vision', 'json', 'reasoning'] as const satisfies readonly ModelCapability[];
const PRICE_CHECKS: Record<string, FieldCheck> = {
  inputPerMTok: numberCheck(0),
  outputPerMTok: numberCheck(0),
  cacheReadPerMTok: numberCheck(0),
  cacheWritePerMTok: numberCheck(0),
};
const DEPRECATED_CHECKS: Record<string, FieldCheck> = { since: optionalText, replacement: optionalText };
const ENTRY_KEYS = [...Object.keys(ENTRY_CHECKS), 'capabilities', 'pricing', 'deprecated'];

function isComment(key: string): boolean {
  return key.startsWith('_');
}

/** Check the fields of a nested object (pricing, deprecated); returns the copy without comments. */
function checkFields(value: unknown, checks: Record<string, FieldCheck>, path: PathSegment[], problems: ProblemList): Record<string, unknown> | undefined {
  if (!isPlainObject(value)) {
    problems.add(path, `must be an object with the keys ${Object.keys(checks).join(', ')}${describeValue(value)}`);
    return undefined;
  }
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (isComment(key)) continue;
    const check = Object.prototype.hasOwnProperty.call(checks, key) ? checks[key] : undefined;
    if (!check) {
      problems.add([...path, key], unknownKeyMessage(key, Object.keys(checks)));
      continue;
    }
    const problem = check(child);
    if (problem) problems.add([...path, key], problem + describeValue(child, key));
    else out[key] = child;
  }
  return out;
}

function checkEntry(id: string, entry: unknown, path: PathSegment[], problems: ProblemList): CatalogEntry | undefined {
  if (!isModelId(id)) problems.add(path, 'the key must be a "provider:model" id: a provider name, a colon, then the model');
  if (!isPlainObject(entry)) {
    problems.add(path, `must be an object (contextWindow, pricing, capabilities ...)${describeValue(entry)}`);
    return undefined;
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry)) {
    if (isComment(key)) continue;
    const here = [...path, key];
    if (key === 'capabilities') {
      const checks = Object.fromEntries(CAPABILITY_KEYS.map((name) => [name, checkBoolean]));
      out.capabilities = checkFields(value, checks, here, problems);
    } else if (key === 'pricing') {
      const pricing = checkFields(value, PRICE_CHECKS, here, problems);
      if (pricing) for (const required of ['inputPerMTok', 'outputPerMTok']) if (isPlainObject(value) && value[required] === undefined) problems.add([...here, required], 'is required (USD per million tokens)');
      out.pricing = pricing;
    } else if (key === 'deprecated') {
      out.deprecated = checkFields(value, DEPRECATED_CHECKS, here, problems);
    } else if (Object.prototype.hasOwnProperty.call(ENTRY_CHECKS, key)) {
      const problem = ENTRY_CHECKS[key]!(value);
      if (problem) problems.add(here, problem + describeValue(value, key));
      else out[key] = value;
    } else {
      problems.add(here, unknownKeyMessage(key, ENTRY_KEYS));
    }
  }
  const { contextWindow, maxOutputTokens } = out as CatalogEntry;
  if (typeof contextWindow === 'number' && typeof maxOutputTokens === 'number' && maxOutputTokens > contextWindow) {
    problems.add([...path, 'maxOutputTokens'], `must not exceed contextWindow (${contextWindow})`);
  }
  return out as CatalogEntry;
}

/**
 * Check catalog entries already copied out of their source (no prototype keys, no functions),
 * adding problems under `models[...]`; returns the entries without comments.
 */
export function validateCatalog(entries: Record<string, unknown>, problems: ProblemList): Record<string, CatalogEntry> {
  const ids = Object.keys(entries).filter((id) => !isComment(id));
  if (ids.length > MAX_ENTRIES) {
    problems.add('models', `the catalog lists ${ids.length} models; at most ${MAX_ENTRIES} are allowed`);
    return {};
  }
  const out: Record<string, CatalogEntry> = {};
  for (const id of ids) {
    const entry = checkEntry(id, entries[id], ['models', id], problems);
    if (entry) out[id] = entry;
  }
  return out;
}

/**
 * The model catalog from a file (relative to `cwd`) or an object. Throws one ConfigError naming the
 * file, or listing every bad entry and field.
 */
export async function loadCatalog(models: string | Record<string, unknown>, cwd: string = process.cwd()): Promise<Record<string, CatalogEntry>> {
  const problems = new ProblemList();
  let raw: unknown = models;
  let source = '';
  const lined: LinedSource[] = [];
  if (typeof models === 'string') {
    // The default catalog path is relative to the app's directory; an app that ships no catalog of its
    // own gets the one bundled with this package instead of a start-up failure.
    const path = models === DEFAULT_CATALOG && !existsSync(resolve(cwd, models)) ? BUNDLED_CATALOG : models;
    // JSON or YAML by the extension (config-file.ts); a YAML catalog's problems say on which line.
    const read = await readConfigFile(path, cwd, 'models', problems, { basePath: ['models'] });
    if (read === undefined) problems.throwIfAny();
    raw = read?.value;
    source = path;
    if (read?.lines) lined.push({ file: path, lines: read.lines });
  }
  // Functions and class instances are refused by the copy itself: no catalog path allows them.
  const copy = copyLayer(raw, source, problems, [], ['models']);
  const catalog = validateCatalog(copy, problems);
  annotateLines(problems, lined);
  problems.throwIfAny();
  return catalog;
}

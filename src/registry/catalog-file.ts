/**
 * Writing the catalog to a file (`sb.registry.saveCatalog(path)`, `switchboard models --refresh --save`):
 * every model the registry knows (configured and discovered) as catalog entries, JSON or YAML by the
 * file's extension, so it can be reviewed, committed and loaded back as `models`. Only catalog fields
 * are written (nothing of a provider's config, so never a credential). The file is replaced atomically:
 * written to a temporary file in the same directory, flushed, then renamed over the target.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { formatByExtension } from '../config/config-file.js';
import { CAPABILITY_KEYS, validateCatalog } from '../config/load-catalog.js';
import { ProblemList } from '../config/problems.js';
import { InvalidRequestError } from '../core/errors.js';
import type { ModelInfo } from '../core/types.js';
import type { CatalogEntry } from './model-catalog.js';

/** The header of a saved catalog (a `_` key is a comment to the loader). */
const HEADER = 'Written by llm-switchboard (registry.saveCatalog): the catalog plus what discovery found. Review before committing.';

/**
 * A model as `switchboard models --json` and the catalog show it: only ModelInfo's fields, in one fixed
 * order, so two listings of the same facts are the same text whichever source (catalog or discovery)
 * built them.
 */
export function canonicalModelInfo(info: ModelInfo): ModelInfo {
  const entry = catalogEntryOf(info);
  const out: ModelInfo = { id: info.id, provider: info.provider, model: info.model } as ModelInfo;
  if (entry.contextWindow !== undefined) out.contextWindow = entry.contextWindow;
  if (entry.maxOutputTokens !== undefined) out.maxOutputTokens = entry.maxOutputTokens;
  out.capabilities = entry.capabilities as ModelInfo['capabilities'];
  if (entry.pricing) out.pricing = entry.pricing;
  if (entry.deprecated) out.deprecated = entry.deprecated;
  out.local = info.local;
  if (entry.memoryBytes !== undefined) out.memoryBytes = entry.memoryBytes;
  if (entry.kind !== undefined) out.kind = entry.kind;
  return out;
}

function canonicalCapabilities(capabilities: ModelInfo['capabilities']): ModelInfo['capabilities'] {
  const out = {} as ModelInfo['capabilities'];
  for (const name of CAPABILITY_KEYS) out[name] = capabilities[name] === true;
  return out;
}

/** The catalog entry that loads back as `info` (ModelCatalog.toInfo): catalog fields only, in a fixed order. */
export function catalogEntryOf(info: ModelInfo): CatalogEntry {
  const entry: CatalogEntry = {};
  if (info.contextWindow !== undefined) entry.contextWindow = info.contextWindow;
  if (info.maxOutputTokens !== undefined) entry.maxOutputTokens = info.maxOutputTokens;
  entry.capabilities = canonicalCapabilities(info.capabilities);
  if (info.pricing) {
    const { inputPerMTok, outputPerMTok, cacheReadPerMTok, cacheWritePerMTok } = info.pricing;
    entry.pricing = { inputPerMTok, outputPerMTok };
    if (cacheReadPerMTok !== undefined) entry.pricing.cacheReadPerMTok = cacheReadPerMTok;
    if (cacheWritePerMTok !== undefined) entry.pricing.cacheWritePerMTok = cacheWritePerMTok;
  }
  if (info.deprecated) {
    entry.deprecated = {};
    if (info.deprecated.since !== undefined) entry.deprecated.since = info.deprecated.since;
    if (info.deprecated.replacement !== undefined) entry.deprecated.replacement = info.deprecated.replacement;
  }
  entry.local = info.local;
  if (info.memoryBytes !== undefined) entry.memoryBytes = info.memoryBytes;
  if (info.kind !== undefined) entry.kind = info.kind;
  return entry;
}

/** The file's text: entries sorted by id, checked so that what is written loads back. */
function render(path: string, models: readonly ModelInfo[]): string {
  const format = formatByExtension(path);
  if (format === undefined) {
    const extension = extname(path) || '(none)';
    throw new InvalidRequestError(`saveCatalog writes JSON or YAML by the file's extension: "${extension}" is neither; use .json, .yaml or .yml`);
  }
  const entries: Record<string, CatalogEntry> = {};
  for (const info of [...models].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) entries[info.id] = catalogEntryOf(info);
  // Discovery reports what providers say; a fact the loader would refuse is caught here, before a file
  // nobody can load is written.
  const problems = new ProblemList();
  validateCatalog(entries as Record<string, unknown>, problems);
  problems.throwIfAny();
  if (format === 'json') return `${JSON.stringify({ _comment: HEADER, ...entries }, null, 2)}\n`;
  return `# ${HEADER}\n${stringify(entries, { aliasDuplicateObjects: false, lineWidth: 0 })}`;
}

/**
 * Write `models` as a catalog file at `path` (relative to the working directory), replacing it
 * atomically. InvalidRequestError for an extension that is neither JSON nor YAML, or a file that cannot
 * be written; ConfigError when a model's facts would not load back.
 */
export async function writeCatalogFile(path: string, models: readonly ModelInfo[]): Promise<void> {
  if (typeof path !== 'string' || path.trim() === '') throw new InvalidRequestError('saveCatalog takes the path of a .json, .yaml or .yml file');
  const text = render(path, models);
  const target = resolve(path);
  // Same directory, so the rename stays on one file system and is atomic; an unguessable name, created exclusively.
  const temporary = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx', 0o644);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    const code = (error as { code?: string }).code ?? 'error';
    throw new InvalidRequestError(`Cannot save the catalog to "${path}" (${code}; resolved to ${target})`, { cause: error });
  }
}

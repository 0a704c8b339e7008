/**
 * Reading one config file or catalog, JSON or YAML by its extension (`.yaml` / `.yml` are YAML, any
 * other name JSON): bounded in size, an empty file refused, parse errors with line and column but never
 * the text around them (it may hold a key), and the top level an object. YAML is parsed by
 * yaml-file.ts, which also says on which line each key is written; `annotateLines` then adds that line
 * to the problems later checks find under those keys.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { isPlainObject, type PathSegment, type ProblemList } from './problems.js';
import { parseYaml, type KeyLines } from './yaml-file.js';

/** The formats a config file or catalog may be written in. */
export type ConfigFormat = 'json' | 'yaml';

/** A file read and parsed: its top-level object and, for YAML, the line of each key. */
export interface ConfigFileContent {
  value: Record<string, unknown>;
  format: ConfigFormat;
  /** Formatted key path -> line (YAML only: JSON.parse gives no positions). */
  lines?: KeyLines;
}

/** Options of `readConfigFile`. */
export interface ReadConfigFileOptions {
  /** A missing file is no problem (the default files). */
  optional?: boolean;
  /** Prefix of the key paths recorded for line numbers (`['models']` for a catalog). */
  basePath?: readonly PathSegment[];
}

/** Config files are small; a huge one is a mistake (or an attack) and is not read. */
const MAX_FILE_BYTES = 5 * 1024 * 1024;

/** The format a file's extension names (any case): `.json`, `.yaml` / `.yml`; undefined for any other. */
export function formatByExtension(file: string): ConfigFormat | undefined {
  const extension = extname(file).toLowerCase();
  if (extension === '.yaml' || extension === '.yml') return 'yaml';
  return extension === '.json' ? 'json' : undefined;
}

/** How a file is read: YAML for `.yaml` / `.yml`, JSON for every other name (as before YAML was read). */
export function configFormatOf(file: string): ConfigFormat {
  return formatByExtension(file) ?? 'json';
}

/** Line and column of a JSON.parse error, without the snippet of file text V8 sometimes quotes. */
function describeJsonError(error: unknown, text: string): string {
  const raw = error instanceof Error ? error.message : String(error);
  const position = /at position (\d+)/.exec(raw);
  const quoted = raw.indexOf(', "');
  let reason = raw.includes('"') ? (quoted > 0 ? raw.slice(0, quoted) : 'syntax error') : raw.replace(/\s*in JSON at position \d+.*$/, '');
  if (position) {
    const before = text.slice(0, Number(position[1]));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    reason += ` at line ${line}, column ${column}`;
  }
  return reason;
}

/** The file's text, or undefined with its problem reported (undefined and no problem: optional and missing). */
async function readText(file: string, absolute: string, label: string, problems: ProblemList, optional: boolean): Promise<string | undefined> {
  try {
    const info = await stat(absolute);
    if (!info.isFile()) {
      problems.add(label, `config file "${file}" is not a file (resolved to ${absolute})`);
      return undefined;
    }
    if (info.size > MAX_FILE_BYTES) {
      problems.add(label, `config file "${file}" is larger than ${MAX_FILE_BYTES} bytes`);
      return undefined;
    }
    const text = await readFile(absolute, 'utf8');
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (optional && code === 'ENOENT') return undefined;
    const reason = code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'not readable (permission denied)' : `not readable (${code ?? 'error'})`;
    problems.add(label, `config file "${file}" ${reason} (resolved to ${absolute})`);
    return undefined;
  }
}

/**
 * Read and parse one config file (relative to `cwd`). Problems (missing unless `optional`,
 * unreadable, too large, empty or whitespace only, not valid JSON/YAML, not an object at the top) are
 * reported under `label` naming the file; undefined then. Both parsers make `__proto__` an own key,
 * never a prototype, and `copyLayer` then refuses it.
 */
export async function readConfigFile(file: string, cwd: string, label: string, problems: ProblemList, options: ReadConfigFileOptions = {}): Promise<ConfigFileContent | undefined> {
  const absolute = resolve(cwd, file);
  const text = await readText(file, absolute, label, problems, options.optional ?? false);
  if (text === undefined) return undefined;
  const format = configFormatOf(file);
  const kind = format === 'yaml' ? 'a YAML mapping' : 'a JSON object';
  // An empty file is a mistake (a truncated write, a volume not mounted), never "use the defaults":
  // defaults include an unauthenticated gateway.
  if (text.trim() === '') {
    problems.add(label, `config file "${file}" is empty or only whitespace; put ${kind} in it (at least {}) (resolved to ${absolute})`);
    return undefined;
  }
  let parsed: unknown;
  let lines: KeyLines | undefined;
  if (format === 'yaml') {
    const yaml = parseYaml(text, options.basePath);
    for (const problem of yaml.problems) problems.add(label, `config file "${file}" ${problem}`);
    if (yaml.problems.length > 0) return undefined;
    if (yaml.value === null || yaml.value === undefined) {
      problems.add(label, `config file "${file}" holds only comments; put ${kind} in it (at least {}) (resolved to ${absolute})`);
      return undefined;
    }
    parsed = yaml.value;
    lines = yaml.lines;
  } else {
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      problems.add(label, `config file "${file}" is not valid JSON: ${describeJsonError(error, text)}`);
      return undefined;
    }
  }
  if (!isPlainObject(parsed)) {
    problems.add(label, `config file "${file}" must hold ${kind} at the top`);
    return undefined;
  }
  return lines ? { value: parsed, format, lines } : { value: parsed, format };
}

/** A file whose key lines are known, in the order read (later files win, as in the merge). */
export interface LinedSource {
  file: string;
  lines: KeyLines;
}

/**
 * The line a problem at `key` (a formatted key path) is written on: the key itself, else its nearest
 * ancestor that a file wrote (an unknown key's parent, a list whose item is missing), from the last
 * file that has it.
 */
function lineOf(key: string, sources: readonly LinedSource[]): string | undefined {
  for (let end = key.length; end > 0; end = Math.max(key.lastIndexOf('.', end - 1), key.lastIndexOf('[', end - 1))) {
    const prefix = key.slice(0, end);
    for (let i = sources.length - 1; i >= 0; i--) {
      const line = sources[i]!.lines.get(prefix);
      if (line !== undefined) return `${sources[i]!.file} line ${line}`;
    }
  }
  return undefined;
}

/** Append `(file.yaml line N)` to each problem whose key path a YAML file wrote. */
export function annotateLines(problems: ProblemList, sources: readonly LinedSource[]): void {
  if (sources.length === 0) return;
  problems.annotate((key) => lineOf(key, sources));
}

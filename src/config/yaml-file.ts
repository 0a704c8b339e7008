/**
 * Parsing one YAML config file or catalog safely (docs/decisions.md "YAML config: safe parsing, one
 * file per name"): the YAML 1.2 core schema only (strings, numbers, booleans, null, maps, lists), no
 * tags beyond those, no merge keys, duplicate keys an error, aliases bounded, nesting bounded before
 * the parser sees the text. It also records the line of every key, so that later problems found under
 * a key path can say where in the file that key is written.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type YAMLError } from 'yaml';
import { scrubKeyShapes } from '../core/secrets.js';
import { formatPath, type PathSegment } from './problems.js';

/** Where each key path of a file is written: formatted key path -> 1-based line. */
export type KeyLines = Map<string, number>;

/** What parsing a YAML text gives: the value (absent when it failed), the problems, the key lines. */
export interface ParsedYaml {
  value?: unknown;
  /** What is wrong with the text, each already phrased for "config file X ..."; empty when it parsed. */
  problems: string[];
  lines: KeyLines;
}

/** Aliases expanded per file (the parser weighs nested ones more); a catalog sharing one `capabilities` map across hundreds of models fits, a "billion laughs" does not. */
export const MAX_YAML_ALIASES = 1000;
/**
 * Deepest `[ ]` / `{ }` nesting looked at. The parser recurses per level (and runs out of memory on
 * ~100,000 levels, which fit in a 5 MiB file); configs never need more than a few.
 */
const MAX_FLOW_DEPTH = 64;
/** Key lines recorded per file (a bound on memory for a huge generated catalog). */
const MAX_KEY_LINES = 100_000;
/** The core schema's own tags: writing `!!str 42` is plain YAML; anything else is a custom type. */
const CORE_TAGS: ReadonlySet<string> = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((name) => `tag:yaml.org,2002:${name}`));
/** Problems reported per file. */
const MAX_FILE_PROBLEMS = 20;
/** A parser message is file text's neighbour: keep it short. */
const MAX_REASON_CHARS = 120;

/**
 * The deepest flow nesting of `text`, counting brackets outside quoted scalars and comments; stops
 * counting past `limit`. An unbalanced bracket in a plain scalar only over-counts, never under-counts.
 */
export function flowDepth(text: string, limit: number = MAX_FLOW_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"' || ch === "'") {
      i = quotedEnd(text, i, ch);
    } else if (ch === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    } else if (ch === '[' || ch === '{') {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if ((ch === ']' || ch === '}') && depth > 0) {
      depth--;
    }
  }
  return deepest;
}

/** Index of the quote closing the scalar opened at `start` (`''` escapes in single quotes, `\` in double). */
function quotedEnd(text: string, start: number, quote: string): number {
  for (let i = start + 1; i < text.length; i++) {
    const ch = text[i];
    if (quote === '"' && ch === '\\') i++;
    else if (ch === quote) {
      if (quote === "'" && text[i + 1] === "'") i++;
      else return i;
    }
  }
  return text.length;
}

/** `at line L, column C` of an offset. */
function at(lineCounter: LineCounter, offset: number | undefined): string {
  if (offset === undefined) return '';
  const { line, col } = lineCounter.linePos(offset);
  return ` at line ${line}, column ${col}`;
}

/** The parser's reason, short and without anything key-shaped (it rarely quotes file text, but may). */
function reasonOf(error: YAMLError | Error): string {
  const first = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+.*$/, '');
  const short = first.length > MAX_REASON_CHARS ? `${first.slice(0, MAX_REASON_CHARS)}...` : first;
  return scrubKeyShapes(short);
}

/** Walks the document once: refuses what the safe subset leaves out, records key lines. */
class YamlChecker {
  readonly problems: string[] = [];
  readonly lines: KeyLines = new Map();

  constructor(private readonly lineCounter: LineCounter) {}

  private lineOf(node: Node): number | undefined {
    return node.range ? this.lineCounter.linePos(node.range[0]).line : undefined;
  }

  /** Problems kept per file: a file of a thousand tags says what is wrong in the first few. */
  private report(problem: string): void {
    if (this.problems.length < MAX_FILE_PROBLEMS) this.problems.push(problem);
  }

  private record(path: PathSegment[], node: Node): void {
    const line = this.lineOf(node);
    if (line !== undefined && this.lines.size < MAX_KEY_LINES) this.lines.set(formatPath(path), line);
  }

  check(node: unknown, path: PathSegment[]): void {
    if (!node || isAlias(node)) return; // an alias repeats its anchor, already checked where it is written
    const typed = node as Node;
    if (typed.tag !== undefined && !CORE_TAGS.has(typed.tag)) {
      this.report(`uses the tag ${typed.tag.replace('tag:yaml.org,2002:', '!!')}${at(this.lineCounter, typed.range?.[0])}; only plain values, maps and lists are read (no custom, binary or other typed tags)`);
      return;
    }
    if (isMap(typed)) {
      for (const pair of typed.items) {
        const key = pair.key;
        if (!isScalar(key) || (typeof key.value !== 'string' && typeof key.value !== 'number' && typeof key.value !== 'boolean')) {
          const where = key && typeof key === 'object' && 'range' in key ? at(this.lineCounter, (key as Node).range?.[0]) : '';
          this.report(`has a key that is not plain text${where}; keys must be names, not lists, maps, aliases or null`);
          continue;
        }
        const name = String(key.value);
        if (name === '<<' && key.type === 'PLAIN') {
          this.report(`uses a merge key (<<)${at(this.lineCounter, key.range?.[0])}; merge keys are not read: write the keys out (anchors and aliases of whole values work)`);
          continue;
        }
        const here = [...path, name];
        this.record(here, key);
        this.check(pair.value, here);
      }
    } else if (isSeq(typed)) {
      typed.items.forEach((item, index) => {
        const here = [...path, index];
        if (item && typeof item === 'object' && 'range' in item) this.record(here, item as Node);
        this.check(item, here);
      });
    }
  }
}

/**
 * Parse YAML text as the core schema. `base` prefixes the recorded key paths (`['models']` for a
 * catalog). Never throws: every problem is returned, phrased to follow `config file "x.yaml" ...`.
 */
export function parseYaml(text: string, base: readonly PathSegment[] = []): ParsedYaml {
  const lines: KeyLines = new Map();
  if (flowDepth(text) > MAX_FLOW_DEPTH) {
    return { problems: [`nests [ ] or { } more than ${MAX_FLOW_DEPTH} levels deep; a config never needs that many`], lines };
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, {
    version: '1.2',
    schema: 'core',
    customTags: [],
    merge: false,
    uniqueKeys: true,
    strict: true,
    prettyErrors: false,
    lineCounter,
  });
  // An unknown tag is a warning to the parser; the checker below refuses every tag outside the core schema with its own words.
  const failures = [...document.errors, ...document.warnings.filter((warning) => warning.code !== 'TAG_RESOLVE_FAILED')];
  if (failures.length > 0) {
    // The first few: later ones are often echoes of the first.
    return { problems: failures.slice(0, 3).map((error) => `is not valid YAML: ${reasonOf(error)}${at(lineCounter, error.pos?.[0])}`), lines };
  }
  const checker = new YamlChecker(lineCounter);
  checker.check(document.contents, [...base]);
  if (checker.problems.length > 0) return { problems: checker.problems, lines };
  try {
    return { value: document.toJS({ maxAliasCount: MAX_YAML_ALIASES }), problems: [], lines: checker.lines };
  } catch (error) {
    // Too many aliases (a resource-exhaustion document), or an alias to no anchor.
    const reason = reasonOf(error as Error);
    const problem = /alias count/i.test(reason) ? `expands more than ${MAX_YAML_ALIASES} aliases; write the values out` : `is not valid YAML: ${reason}`;
    return { problems: [problem], lines };
  }
}

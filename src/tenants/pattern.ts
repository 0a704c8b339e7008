/**
 * The one glob of tenant allow-lists (`tenants.<id>.allowedModels` / `allowedBots`): `*` matches any
 * run of characters (none included), every other character only itself. No regular expression is
 * built from config, so a pattern can neither be a regex nor make matching slow: a match is one pass
 * of `indexOf` per literal piece (a leftmost match of each piece is always the right one for `*`-only
 * globs), linear in the id's length.
 */

/** A compiled pattern: the literal pieces between its stars. */
export interface IdPattern {
  /** The pattern as written (for messages about config). */
  readonly source: string;
  matches(id: string): boolean;
}

/** Compile a `*` glob. */
export function compilePattern(source: string): IdPattern {
  const pieces = source.split('*');
  if (pieces.length === 1) return { source, matches: (id) => id === source };
  const first = pieces[0]!;
  const last = pieces[pieces.length - 1]!;
  const middle = pieces.slice(1, -1).filter((piece) => piece !== '');
  const minLength = first.length + last.length;
  return {
    source,
    matches(id: string): boolean {
      if (id.length < minLength || !id.startsWith(first) || !id.endsWith(last)) return false;
      let at = first.length;
      const end = id.length - last.length;
      for (const piece of middle) {
        const found = id.indexOf(piece, at);
        if (found < 0 || found + piece.length > end) return false;
        at = found + piece.length;
      }
      return true;
    },
  };
}

/** Patterns compiled once; `matches` is true when any of them matches. */
export class PatternList {
  private readonly patterns: readonly IdPattern[];

  constructor(sources: readonly string[]) {
    this.patterns = sources.map(compilePattern);
  }

  /** True when some pattern matches `id`. */
  matches(id: string): boolean {
    for (const pattern of this.patterns) if (pattern.matches(id)) return true;
    return false;
  }
}

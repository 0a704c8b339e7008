/**
 * `strip-markdown`: turns Markdown output into plain text for platforms that show it raw. Headings,
 * emphasis, strikethrough, inline code and code fences, links `[t](u)` -> t, images -> their alt text,
 * autolinks, blockquotes, list markers and task boxes, horizontal rules, table pipes and separator
 * rows, backslash escapes. Code inside fences is kept verbatim.
 *
 * Markdown is line-based, so the stream transformer works a line at a time: it releases each line
 * when its newline arrives and holds only the current line. A whole text goes through the very same
 * line processor, so a stream and a plain call give the same text.
 */
import type { Adapter, AdapterFactory, StreamTransformer } from '../adapter.js';
import { checkOptionKeys } from './adapter-options.js';

const NAME = 'strip-markdown';

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const SETEXT_UNDERLINE = /^ {0,3}=+[ \t]*$/;
const TABLE_SEPARATOR = /^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)+\|?[ \t]*$/;
const TABLE_ROW = /^[ \t]*\|.*\|[ \t]*$/;
const QUOTE = /^ {0,3}(?:>[ \t]?)+/;
const HEADING = /^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const LIST_ITEM = /^([ \t]*)(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?/;

const ESCAPE = /\\([\\`*_{}[\]()#+\-.!|>~<])/g;
const CODE_SPAN = /(`+)(.+?)\1/g;
/** A link target in parentheses, which may itself hold one level of parentheses (Wikipedia URLs). */
const TARGET = String.raw`\((?:[^()]|\([^()]*\))*\)`;
const IMAGE = new RegExp(String.raw`!\[([^\]]*)\]${TARGET}`, 'g');
const LINK = new RegExp(String.raw`\[([^\]]+)\]${TARGET}`, 'g');
const REFERENCE_LINK = /\[([^\]]+)\]\[[^\]]*\]/g;
const AUTOLINK = /<((?:https?:\/\/|mailto:)[^>\s]+)>/g;
const STRONG = /(\*\*|__)(?=\S)(.+?)(?<=\S)\1/g;
const STAR_EMPHASIS = /(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])/g;
const UNDERSCORE_EMPHASIS = /(?<![A-Za-z0-9_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![A-Za-z0-9_])/g;
const STRIKETHROUGH = /~~(?=\S)(.+?)(?<=\S)~~/g;
/** Private-use characters stand in for escaped characters and code spans while the rules run. */
const ESCAPED_BASE = 0xe000;
const CODE_OPEN = '\ue100';
const CODE_CLOSE = '\ue101';
const PLACEHOLDERS = /[\ue000-\ue07f]|\ue100(\d+)\ue101/g;

/** Inline rules of one line (no line-start markup). */
export function stripInline(text: string): string {
  if (!/[\\`*_[\]!<~]/.test(text)) return text;
  const codes: string[] = [];
  let out = text.replace(ESCAPE, (_match, char: string) => String.fromCharCode(ESCAPED_BASE + char.charCodeAt(0)));
  out = out.replace(CODE_SPAN, (_match, _ticks: string, code: string) => {
    codes.push(code.length > 2 && code.startsWith(' ') && code.endsWith(' ') ? code.slice(1, -1) : code);
    return `${CODE_OPEN}${codes.length - 1}${CODE_CLOSE}`;
  });
  out = out.replace(IMAGE, '$1').replace(LINK, '$1').replace(REFERENCE_LINK, '$1').replace(AUTOLINK, '$1');
  out = out.replace(STRONG, '$2').replace(STRIKETHROUGH, '$1').replace(STAR_EMPHASIS, '$1').replace(UNDERSCORE_EMPHASIS, '$1');
  return out.replace(PLACEHOLDERS, (match, index: string | undefined) =>
    index === undefined ? String.fromCharCode(match.charCodeAt(0) - ESCAPED_BASE) : codes[Number(index)]!,
  );
}

/** Strips one line at a time, remembering whether it is inside a code fence. */
export class MarkdownLineStripper {
  private fence: string | undefined;

  /** Plain text of one line (without its newline), or undefined when the line disappears. */
  line(raw: string): string | undefined {
    const cr = raw.endsWith('\r') ? '\r' : '';
    const line = cr ? raw.slice(0, -1) : raw;
    if (this.fence !== undefined) {
      const close = FENCE_OPEN.exec(line);
      if (close && close[1]![0] === this.fence[0] && close[1]!.length >= this.fence.length && line.trim() === close[1]) {
        this.fence = undefined;
        return undefined;
      }
      return raw;
    }
    const open = FENCE_OPEN.exec(line);
    if (open) {
      this.fence = open[1];
      return undefined;
    }
    if (RULE.test(line)) return cr;
    if (SETEXT_UNDERLINE.test(line) || TABLE_SEPARATOR.test(line)) return undefined;
    return this.content(line) + cr;
  }

  private content(line: string): string {
    let rest = line.replace(QUOTE, '');
    const heading = HEADING.exec(rest);
    if (heading) return stripInline(heading[1] ?? '');
    const item = LIST_ITEM.exec(rest);
    if (item) return item[1] + stripInline(rest.slice(item[0].length));
    if (TABLE_ROW.test(rest)) {
      rest = rest.trim().slice(1, -1);
      return rest.split(/(?<!\\)\|/).map((cell) => stripInline(cell.trim())).join('  ');
    }
    return stripInline(rest);
  }
}

/** One stream: releases complete lines, holds the current one. */
class StripMarkdownStream implements StreamTransformer {
  private readonly stripper = new MarkdownLineStripper();
  private partial = '';

  push(delta: string): string {
    // Only the delta is searched: scanning the held line again on every delta made a long line quadratic.
    const lastNewline = delta.lastIndexOf('\n');
    if (lastNewline < 0) {
      this.partial += delta;
      return '';
    }
    const complete = this.partial + delta.slice(0, lastNewline);
    this.partial = delta.slice(lastNewline + 1);
    let out = '';
    for (const line of complete.split('\n')) {
      const stripped = this.stripper.line(line);
      if (stripped !== undefined) out += stripped + '\n';
    }
    return out;
  }

  flush(): string {
    const last = this.partial;
    this.partial = '';
    return this.stripper.line(last) ?? '';
  }
}

/** The `strip-markdown` adapter (no options). */
export class StripMarkdownAdapter implements Adapter {
  /** Always `strip-markdown`. */
  readonly name = NAME;

  constructor(options: Record<string, unknown> = {}) {
    checkOptionKeys(NAME, options, []);
  }

  /** Plain text of a whole Markdown text (the stream's line processor, fed at once). */
  transformOutput(text: string): string {
    const stream = new StripMarkdownStream();
    return stream.push(text) + stream.flush();
  }

  /** A transformer for one stream: complete lines out, the current line held. */
  createStreamTransformer(): StreamTransformer {
    return new StripMarkdownStream();
  }
}

/** Factory registered as `strip-markdown`. */
export const createStripMarkdownAdapter: AdapterFactory = (options) => new StripMarkdownAdapter(options);

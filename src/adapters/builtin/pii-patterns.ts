/**
 * What pii-redact finds and how it scans, for whole texts and for streams alike.
 *
 * One global regex scans left to right; each alternative has a bounded length and looks at most one
 * character behind its start and none past its end. For streams, each alternative also has an "open"
 * regex: it matches (anchored at the end) any text that could still be the beginning of a match.
 * A scan position before the leftmost open position cannot change whatever text comes next, so the
 * text up to there (or to the end of a match already decided there) is final and can be released.
 * What is held back is only that open tail, never longer than PII_MAX_HOLD_BACK characters.
 */

/** The kinds of personal data pii-redact knows. */
export type PiiKind = 'email' | 'phone' | 'card' | 'apiKey';

/** Every kind, in documentation order. */
export const PII_KINDS: readonly PiiKind[] = ['email', 'phone', 'card', 'apiKey'];

/** Default replacement text per kind. */
export const DEFAULT_REPLACEMENTS: Readonly<Record<PiiKind, string>> = {
  email: '[EMAIL]',
  phone: '[PHONE]',
  card: '[CARD]',
  apiKey: '[API_KEY]',
};

const EMAIL = String.raw`(?<![\w.%+-])[\w.%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,4}[A-Za-z]{2,24}`;
const API_KEY = String.raw`(?<![A-Za-z0-9_-])(?:sk-[A-Za-z0-9_-]{20,200}|hf_[A-Za-z0-9]{20,200}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{20,200}|xox[abprs]-[A-Za-z0-9-]{10,200})`;
const BEARER_LABEL = String.raw`(?<![A-Za-z0-9_])[Bb][Ee][Aa][Rr][Ee][Rr][ \t]{1,4}`;
const BEARER_TOKEN = String.raw`[A-Za-z0-9._~+/=-]{16,256}`;
/** A run of digits joined by single separators, as phone and card numbers are written; classified afterwards. */
const NUMBER = String.raw`(?<![A-Za-z0-9_@.+-])(?:\+|\((?=\d))?\d(?:(?:[ .-]|\) ?| ?\()?\d){0,39}`;

/** Anything that could still grow into a match of the alternative, up to the end of the text. */
const EMAIL_OPEN = String.raw`(?<![\w.%+-])[\w.%+-]{1,64}(?:@[A-Za-z0-9.-]{0,280})?$`;
const API_KEY_OPEN = String.raw`(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{1,205}$`;
const BEARER_OPEN = String.raw`(?<![A-Za-z0-9_])[Bb](?:[Ee](?:[Aa](?:[Rr](?:[Ee](?:[Rr](?:[ \t]{1,4}[A-Za-z0-9._~+/=-]{0,256})?)?)?)?)?)?$`;
const NUMBER_OPEN = String.raw`(?<![A-Za-z0-9_@.+-])[+(]?(?:\d[\d .()-]{0,125})?$`;

/** The longest text an open regex can match: an e-mail's 64 + 1 + 280 characters. */
export const PII_MAX_HOLD_BACK = 345;
/** Lookbehinds read one character before a match, so that much already-released text is kept as context. */
const CONTEXT_CHARS = 1;

const CARD_SHAPE = /^\d+(?:[ -]\d+)*$/;
/** No phone or card number is written in more groups, or has fewer or more digits. */
const MAX_GROUPS = 8;
const MIN_DIGITS = 8;
const MAX_DIGITS = 19;
const NANP_PHONE = /^(?:1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}$/;
const NATIONAL_PHONE = /^(?:\(0\d{1,4}\) ?|0\d{1,4}[ .-]?)\d{2,4}(?:[ .-]?\d{2,4}){1,3}$/;

/** The Luhn checksum every payment card number passes. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** 13-19 digits passing Luhn: plain, or as cards print them (4 digits first, then groups of 3-6, by spaces or dashes). */
function isCard(candidate: string, digits: string): boolean {
  if (digits.length < 13 || digits.length > 19 || !CARD_SHAPE.test(candidate)) return false;
  const groups = candidate.split(/[ -]/);
  if (groups.length > 1 && (groups[0]!.length !== 4 || !groups.every((group) => group.length >= 3 && group.length <= 6))) return false;
  return passesLuhn(digits);
}

/** International (+ and 8-15 digits), North American (3-3-4 with separators) or leading-0 national formats. */
function isPhone(candidate: string, digits: string): boolean {
  if (candidate.startsWith('+')) return digits.length >= 8 && digits.length <= 15;
  if (NANP_PHONE.test(candidate)) return true;
  return digits.length >= 9 && digits.length <= 11 && NATIONAL_PHONE.test(candidate);
}

/** The result of redacting part of a text. */
interface RangeResult {
  /** The released text, redacted. */
  output: string;
  /** Index in the input up to which text was released. */
  end: number;
}

/** The compiled rules for one set of kinds and replacements; shared by every stream of an adapter. */
export class PiiRules {
  private readonly scan: RegExp;
  private readonly open: RegExp[];

  constructor(
    private readonly kinds: ReadonlySet<PiiKind>,
    private readonly replacement: (kind: PiiKind) => string,
  ) {
    const parts: string[] = [];
    const open: string[] = [];
    if (kinds.has('email')) {
      parts.push(`(?<email>${EMAIL})`);
      open.push(EMAIL_OPEN);
    }
    if (kinds.has('apiKey')) {
      parts.push(`(?<key>${API_KEY})`, `(?<bearer>${BEARER_LABEL})${BEARER_TOKEN}`);
      open.push(API_KEY_OPEN, BEARER_OPEN);
    }
    if (kinds.has('phone') || kinds.has('card')) {
      parts.push(`(?<num>${NUMBER})`);
      open.push(NUMBER_OPEN);
    }
    this.scan = new RegExp(parts.join('|'), 'g');
    this.open = open.map((source) => new RegExp(source, 'g'));
  }

  /** Redact a whole text. */
  redact(text: string): string {
    return this.redactFrom(text, 0, true).output;
  }

  /**
   * Redact `text` from `start` (what comes before is context only). When `final` is false, release
   * only what no later text can change and report where that ends.
   */
  redactFrom(text: string, start: number, final: boolean): RangeResult {
    const limit = final ? text.length : this.openFrom(text, start);
    const scan = this.scan;
    scan.lastIndex = start;
    let output = '';
    let position = start;
    for (let match = scan.exec(text); match !== null && match.index < limit; match = scan.exec(text)) {
      output += text.slice(position, match.index) + this.replace(match);
      position = match.index + match[0].length;
    }
    const end = Math.max(position, limit);
    return { output: output + text.slice(position, end), end };
  }

  /** The leftmost position at which a match might still need text that has not arrived. */
  private openFrom(text: string, start: number): number {
    let earliest = text.length;
    const from = Math.max(start, text.length - PII_MAX_HOLD_BACK);
    for (const pattern of this.open) {
      pattern.lastIndex = from;
      const match = pattern.exec(text);
      if (match !== null && match.index < earliest) earliest = match.index;
    }
    return earliest;
  }

  private replace(match: RegExpExecArray): string {
    const groups = match.groups!;
    if (groups.email !== undefined) return this.label('email');
    if (groups.key !== undefined) return this.label('apiKey');
    if (groups.bearer !== undefined) return groups.bearer + this.label('apiKey');
    return this.redactNumber(match[0]);
  }

  private label(kind: PiiKind): string {
    const text = this.replacement(kind);
    if (typeof text !== 'string') throw new TypeError(`the replacement function must return a string for "${kind}"`);
    return text;
  }

  /**
   * A run of digit groups may hold a card or phone number, several of them, or none: take the
   * longest leading run of groups that is one, redact it, go on after it; groups that start no such
   * run stay as they are (years, amounts, versions, Luhn-invalid numbers).
   */
  private redactNumber(token: string): string {
    const groups: Array<{ start: number; end: number }> = [];
    for (const found of token.matchAll(/\d+/g)) groups.push({ start: found.index, end: found.index + found[0].length });
    const startOf = (i: number): number => (i === 0 ? 0 : token[groups[i]!.start - 1] === '(' ? groups[i]!.start - 1 : groups[i]!.start);
    let output = '';
    let position = 0;
    let i = 0;
    while (i < groups.length) {
      let matched = false;
      for (let j = Math.min(groups.length, i + MAX_GROUPS) - 1; j >= i; j--) {
        const digits = this.digitCount(groups, i, j);
        if (digits < MIN_DIGITS || digits > MAX_DIGITS) continue;
        const kind = this.classify(token.slice(startOf(i), groups[j]!.end));
        if (kind === undefined) continue;
        output += token.slice(position, startOf(i)) + this.label(kind);
        position = groups[j]!.end;
        i = j + 1;
        matched = true;
        break;
      }
      if (!matched) i++;
    }
    return output + token.slice(position);
  }

  private digitCount(groups: ReadonlyArray<{ start: number; end: number }>, from: number, to: number): number {
    let count = 0;
    for (let k = from; k <= to; k++) count += groups[k]!.end - groups[k]!.start;
    return count;
  }

  private classify(candidate: string): PiiKind | undefined {
    const digits = candidate.replace(/\D/g, '');
    if (this.kinds.has('card') && isCard(candidate, digits)) return 'card';
    if (this.kinds.has('phone') && isPhone(candidate, digits)) return 'phone';
    return undefined;
  }
}

/**
 * Redacts one stream: each push releases the text that is final and holds the open tail (plus one
 * character of context for the lookbehinds). `held` is how many input characters are not released yet.
 */
export class PiiStreamRedactor {
  private buffer = '';
  private contextLength = 0;

  constructor(private readonly rules: PiiRules) {}

  /** Input characters received but not yet released. */
  get held(): number {
    return this.buffer.length - this.contextLength;
  }

  /** Release the text that no later input can change. */
  push(delta: string): string {
    if (delta === '') return '';
    const text = this.buffer + delta;
    const { output, end } = this.rules.redactFrom(text, this.contextLength, false);
    const contextStart = Math.max(0, end - CONTEXT_CHARS);
    this.buffer = text.slice(contextStart);
    this.contextLength = end - contextStart;
    return output;
  }

  /** End of stream: redact and release everything held. */
  flush(): string {
    const { output } = this.rules.redactFrom(this.buffer, this.contextLength, true);
    this.buffer = '';
    this.contextLength = 0;
    return output;
  }
}

/**
 * Keeps secrets out of text that leaves the library, without ever becoming an oracle.
 *
 * Two kinds of scrubbing, used in different places (RELIABILITY.md "Secrets"):
 * - `scrubKeyShapes` replaces text that merely looks like a credential (`sk-...`, `Bearer ...`). It
 *   knows no secret, so its output says nothing about any key: it is the only scrubbing applied to
 *   text that can reach a caller (error messages, gateway bodies and headers).
 * - A `SecretRegistry` knows the credentials one switchboard loaded and replaces them, and any
 *   8-character piece of them, wherever they occur. Applied to text a caller chose, that would tell
 *   the caller which guesses are key pieces, so it is applied only where callers cannot send text
 *   in: what an upstream wrote (except where it quotes the request back, see `scrubUpstream`),
 *   logs, and span content that only operators read.
 *
 * Each switchboard has its own registry (`createSwitchboard` builds it; config credentials and
 * manager keys are registered there), so one instance's keys never redact another's messages.
 * `registerSecret` / `scrubSecrets` keep a process-wide registry for code outside a switchboard;
 * every switchboard registry also consults it.
 */

const REDACTED = '[REDACTED]';
/** Bounded: a switchboard has a handful of credentials; past this we stop remembering new ones. */
const MAX_SECRETS = 256;
const MIN_SECRET_LENGTH = 8;
/** Upstream messages often echo a truncated key; any piece this long of a known secret is hidden. */
export const SECRET_PIECE_LENGTH = 8;
/** What an upstream wrote is cut to this many characters before it is put in a message. */
export const MAX_UPSTREAM_TEXT_CHARS = 1_000;

/** Key shapes worth hiding even when we were never told about them. */
const KEY_PATTERNS: RegExp[] = [
  /\b(sk|pk|rk)-[A-Za-z0-9_-]{8,}/g,
  /\bsk-ant-[A-Za-z0-9_-]{8,}/g,
  /\bhf_[A-Za-z0-9]{8,}/g,
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\b(api[_-]?key|token|authorization|x-api-key)(["']?\s*[:=]\s*["']?)[A-Za-z0-9._~+/=-]{8,}/gi,
];

/** Every KEY_PATTERNS match contains one of these (case-insensitive). */
const KEY_SHAPE_HINT = /[spr]k-|hf_|bearer|basic|api[_-]?key|token|authorization/i;

const PLACEHOLDER_PATTERNS: RegExp[] = [
  /\.\.\.|…/, // sk-..., sk-proj-…
  /^<.*>$|^\[.*\]$|^\{.*\}$/, // <your key>, [key], {key}
  /\$\{/, // ${SOME_API_KEY} that was never expanded
  /^(your|my|insert|enter|put|paste|add|replace)[\s_-]?(own[\s_-]?)?(api[\s_-]?)?(key|token|secret)/i,
  /change[\s_-]?me|replace[\s_-]?me|placeholder|dummy|example|fill[\s_-]?me|your[\s_-]?(api[\s_-]?)?(key|token)/i,
  /^(sk-|sk-ant-|sk-proj-|hf_|gsk_|r8_)?[x*#?]+$/i, // xxxxxxxx, sk-XXXX, ****
  /x{5,}|\*{4,}/i,
  /^(todo|tbd|none|null|undefined|nil|test|secret|password|apikey|api[_-]key|token|key|string)$/i,
];

/** True for an API key someone left as a template value (an empty key is not a placeholder). */
export function looksLikePlaceholder(value: string): boolean {
  const trimmed = value.trim();
  if (trimmed === '') return false;
  return PLACEHOLDER_PATTERNS.some((pattern) => pattern.test(trimmed));
}

/**
 * Replace key-shaped tokens with `[REDACTED]`. It depends on no registered secret, so applying it to
 * text a caller sent reveals nothing: this is the scrubbing of every caller-facing message.
 */
export function scrubKeyShapes(text: string): string {
  // One cheap test first: most text (model names, ids, messages) holds no key-shaped token at all.
  if (!text || !KEY_SHAPE_HINT.test(text)) return text;
  let out = text;
  for (const pattern of KEY_PATTERNS) {
    out = out.replace(pattern, (_match, ...groups) => {
      // Keep the label of `api_key=...` so the message still says what was wrong.
      if (typeof groups[1] === 'string' && /[:=]/.test(groups[1])) return `${groups[0]}${groups[1]}${REDACTED}`;
      return REDACTED;
    });
  }
  return out;
}

/**
 * Which characters of `text` belong to a stretch of at least SECRET_PIECE_LENGTH characters that also
 * occurs in one of `echoes` (the texts the request carried: model id, messages, stop sequences ...);
 * undefined when none do. An upstream that quotes the request back ("The model `<guess>` does not
 * exist") must not carry a caller's guess through the registry's scrubbing, which would otherwise
 * answer whether the guess is a key piece. Depends only on the request and the upstream text.
 */
export function echoMask(text: string, echoes: Iterable<string>): Uint8Array | undefined {
  const n = SECRET_PIECE_LENGTH;
  if (text.length < n) return undefined;
  let covered: Uint8Array | undefined;
  const cover = (start: number): void => {
    covered ??= new Uint8Array(text.length);
    covered.fill(1, start, start + n);
  };
  // Short echoes (a model id: every call's `model` field) are searched for window by window; long ones
  // (message texts) against an index of the text's own windows, which is bounded by the text's length.
  let positions: Map<string, number[]> | undefined;
  for (const echo of echoes) {
    if (typeof echo !== 'string' || echo.length < n) continue;
    if (echo.length <= SHORT_ECHO_CHARS) {
      for (let i = 0; i + n <= echo.length; i++) {
        const window = echo.slice(i, i + n);
        for (let at = text.indexOf(window); at >= 0; at = text.indexOf(window, at + 1)) cover(at);
      }
      continue;
    }
    positions ??= windowPositions(text, n);
    for (let i = 0; i + n <= echo.length; i++) {
      const at = positions.get(echo.slice(i, i + n));
      if (at) for (const start of at) cover(start);
    }
  }
  return covered;
}

/** Echoes up to this long are searched for directly rather than indexed. */
const SHORT_ECHO_CHARS = 64;

/** Where each `n`-character window of `text` starts. */
function windowPositions(text: string, n: number): Map<string, number[]> {
  const positions = new Map<string, number[]>();
  for (let i = 0; i + n <= text.length; i++) {
    const gram = text.slice(i, i + n);
    const list = positions.get(gram);
    if (list) list.push(i);
    else positions.set(gram, [i]);
  }
  return positions;
}

/** Control characters (line breaks included) become spaces: upstream text ends up in one-line messages and logs. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

/** The credentials one switchboard (or the process) knows, and the scrubbing that uses them. */
export class SecretRegistry {
  private readonly secrets = new Set<string>();
  /** Every 8-character piece of every secret: one window slide over a text finds them all. */
  private readonly pieces = new Set<string>();

  /** `parent` is consulted too (the process-wide registry of `registerSecret`). */
  constructor(private readonly parent?: SecretRegistry) {}

  /** Number of secrets registered here (not counting the parent). */
  get size(): number {
    return this.secrets.size;
  }

  /**
   * Remember a credential. Empty, short (< 8 characters), whitespace-holding and placeholder values
   * are not secrets and are ignored: registering `YOUR_API_KEY` would redact pieces of the very
   * message that asks the user to set the provider's key variable.
   */
  register(value: string | undefined | null): void {
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH || /\s/.test(value) || looksLikePlaceholder(value)) return;
    if (this.secrets.has(value) || this.secrets.size >= MAX_SECRETS) return;
    this.secrets.add(value);
    for (let i = 0; i + SECRET_PIECE_LENGTH <= value.length; i++) this.pieces.add(value.slice(i, i + SECRET_PIECE_LENGTH));
  }

  /** True when `text` holds a registered secret or any 8-character piece of one. */
  contains(text: string): boolean {
    return this.containsOwn(text) || (this.parent?.contains(text) ?? false);
  }

  /**
   * Replace registered secrets, their 8-character pieces and key-shaped tokens. Only for text no
   * caller wrote (logs, span content, upstream text outside its echoes of the request): see the module note.
   */
  scrub(text: string): string {
    if (!text) return text;
    return scrubKeyShapes(this.scrubRegistered(text));
  }

  /**
   * Text an upstream sent (an error body, a `model` or `id` field): control characters flattened,
   * cut to `maxChars`, then scrubbed everywhere except where it quotes the request (`echoMask`):
   * those stretches are the caller's own text, kept as they are, so the answer never depends on
   * whether a caller's guess is a key piece.
   */
  scrubUpstream(text: string, echoes: Iterable<string> = [], maxChars = MAX_UPSTREAM_TEXT_CHARS): string {
    if (!text) return text;
    const line = oneLine(text.length > maxChars ? `${text.slice(0, maxChars)}…` : text);
    const echoed = echoMask(line, echoes);
    if (!echoed) return this.scrub(line);
    // The request's own text stays as it came (the caller wrote it); only what is the upstream's own is scrubbed.
    let out = '';
    let start = 0;
    while (start < line.length) {
      let end = start;
      while (end < line.length && echoed[end] === echoed[start]) end++;
      const part = line.slice(start, end);
      out += echoed[start] ? part : this.scrubRegistered(part);
      start = end;
    }
    return scrubKeyShapes(out);
  }

  /** Registered secrets (own and the parent's) replaced; key shapes left to the caller. */
  private scrubRegistered(text: string): string {
    const out = this.scrubOwn(text);
    return this.parent ? this.parent.scrubOwn(out) : out;
  }

  private containsOwn(text: string): boolean {
    if (this.pieces.size === 0 || text.length < SECRET_PIECE_LENGTH) return false;
    for (let i = 0; i + SECRET_PIECE_LENGTH <= text.length; i++) {
      if (this.pieces.has(text.slice(i, i + SECRET_PIECE_LENGTH))) return true;
    }
    return false;
  }

  private scrubOwn(text: string): string {
    if (!this.containsOwn(text)) return text;
    let out = text;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    for (const piece of this.pieces) {
      if (out.includes(piece)) out = out.split(piece).join(REDACTED);
    }
    return out;
  }
}

/** The process-wide registry: what code outside a switchboard registers; every switchboard consults it. */
export const processSecrets = new SecretRegistry();

/** Remember a secret process-wide (every switchboard scrubs it from logs, spans and upstream text). */
export function registerSecret(value: string | undefined | null): void {
  processSecrets.register(value);
}

/** True when `text` holds a process-wide secret or an 8-character piece of one. */
export function containsSecret(text: string): boolean {
  return processSecrets.contains(text);
}

/** Scrub with the process-wide registry (for logs and other operator-only text outside a switchboard). */
export function scrubSecrets(text: string): string {
  return processSecrets.scrub(text);
}

/**
 * At most `max` characters of something a caller sent, for a message that must say what it got:
 * a fixed-length excerpt (RELIABILITY.md "Secrets"), control characters flattened.
 */
export function excerpt(value: unknown, max = 12): string {
  const text = oneLine(typeof value === 'string' ? value : String(value));
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

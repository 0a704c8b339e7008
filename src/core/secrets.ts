/**
 * Keeps secrets out of text that leaves the library (error messages, logs, span events).
 * Config registers every credential it loads; `scrubSecrets` replaces those values, any
 * 8-character piece of them (upstream messages often echo a truncated key), and common key shapes.
 */

const REDACTED = '[REDACTED]';
/** Bounded: a process has a handful of credentials; past this we stop remembering new ones. */
const MAX_SECRETS = 256;
const MIN_SECRET_LENGTH = 8;
const PIECE_LENGTH = 8;

const knownSecrets = new Set<string>();

/** Key shapes worth hiding even when we were never told about them. */
const KEY_PATTERNS: RegExp[] = [
  /\b(sk|pk|rk)-[A-Za-z0-9_-]{8,}/g,
  /\bsk-ant-[A-Za-z0-9_-]{8,}/g,
  /\bhf_[A-Za-z0-9]{8,}/g,
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\b(api[_-]?key|token|authorization|x-api-key)(["']?\s*[:=]\s*["']?)[A-Za-z0-9._~+/=-]{8,}/gi,
];

/** Remember a secret so it is scrubbed from everything the library emits. */
export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < MIN_SECRET_LENGTH || knownSecrets.has(value)) return;
  if (knownSecrets.size >= MAX_SECRETS) return;
  knownSecrets.add(value);
}

/** True when `text` holds a registered secret or any 8-character piece of one. */
export function containsSecret(text: string): boolean {
  for (const secret of knownSecrets) {
    for (let i = 0; i + PIECE_LENGTH <= secret.length; i++) {
      if (text.includes(secret.slice(i, i + PIECE_LENGTH))) return true;
    }
  }
  return false;
}

/** Replace registered secrets, their 8-character pieces and key-shaped tokens with `[REDACTED]`. */
export function scrubSecrets(text: string): string {
  if (!text) return text;
  let out = text;
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  if (knownSecrets.size > 0 && containsSecret(out)) {
    for (const secret of knownSecrets) {
      for (let i = 0; i + PIECE_LENGTH <= secret.length; i++) {
        const piece = secret.slice(i, i + PIECE_LENGTH);
        if (out.includes(piece)) out = out.split(piece).join(REDACTED);
      }
    }
  }
  for (const pattern of KEY_PATTERNS) {
    out = out.replace(pattern, (match, ...groups) => {
      // Keep the label of `api_key=...` so the message still says what was wrong.
      if (typeof groups[1] === 'string' && /[:=]/.test(groups[1])) return `${groups[0]}${groups[1]}${REDACTED}`;
      return REDACTED;
    });
  }
  return out;
}

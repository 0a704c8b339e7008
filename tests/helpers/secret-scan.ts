/**
 * Secret scanning for tests: everything an error exposes (message, stack, JSON form, cause chain)
 * must hold neither a key nor any 8-character piece of it (upstream messages echo masked keys).
 */

/** Every 8-character piece of `secret`. */
export function secretPieces(secret: string, length = 8): string[] {
  const pieces: string[] = [];
  for (let i = 0; i + length <= secret.length; i++) pieces.push(secret.slice(i, i + length));
  return pieces;
}

/** The text an error exposes: message, stack, toJSON/JSON form, and the same for each cause. */
export function exposedText(error: unknown, depth = 0): string {
  if (depth > 5 || error === undefined || error === null) return '';
  if (typeof error !== 'object') return String(error);
  const record = error as { message?: unknown; stack?: unknown; cause?: unknown; toJSON?: () => unknown };
  let json = '';
  try {
    json = JSON.stringify(typeof record.toJSON === 'function' ? record.toJSON() : error);
  } catch {
    json = '';
  }
  return [String(record.message ?? ''), String(record.stack ?? ''), json, String(error), exposedText(record.cause, depth + 1)].join('\n');
}

/** The pieces of `secret` found in `text` (empty when clean). */
export function leakedPieces(text: string, secret: string): string[] {
  return secretPieces(secret).filter((piece) => text.includes(piece));
}

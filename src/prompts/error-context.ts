/**
 * Saying where an error happened without changing what it is. A chain step's failure must reach the
 * caller as the same kind of error (its class, `code`, `retryable`, `retryAfterMs`, `partialText`,
 * `cause` ...: callers and the gateway decide by those), only its message saying which step failed.
 * The error classes' constructors differ (core/errors.ts), so the copy is made from the error itself,
 * the way run-stream.ts re-issues an interruption with the caller's text and the same cause.
 */
import type { LLMError } from '../core/errors.js';
import { scrubKeyShapes } from '../core/secrets.js';

/**
 * A copy of `error` of the same class with every own field (code, cause, provider, model, ...),
 * whose message is `${context}: ${error.message}`. The original is left unchanged.
 */
export function withContext<E extends LLMError>(error: E, context: string): E {
  const copy = Object.create(Object.getPrototypeOf(error) as object) as E;
  Object.defineProperties(copy, Object.getOwnPropertyDescriptors(error));
  // The original's message was scrubbed when it was built; the context is ours (names, indexes).
  const message = `${scrubKeyShapes(context)}: ${error.message}`;
  Object.defineProperty(copy, 'message', { value: message, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(copy, 'stack', { value: `${error.name}: ${message}${stackFrames(error.stack)}`, writable: true, configurable: true, enumerable: false });
  return copy;
}

/** The frames of a stack (what follows its first line), or ''. */
function stackFrames(stack: string | undefined): string {
  const at = stack?.indexOf('\n    at ') ?? -1;
  return at >= 0 ? stack!.slice(at) : '';
}


/**
 * Option checks shared by the built-in adapters. Every message starts with the adapter's name and
 * says what to change, e.g. `max-length: options.maxChars must be a whole number >= 1, like { "maxChars": 1200 }`.
 */
import { InvalidRequestError } from '../../core/errors.js';

/** An InvalidRequestError about one option of one adapter. */
export function optionError(adapter: string, key: string, problem: string): InvalidRequestError {
  return new InvalidRequestError(`${adapter}: options.${key} ${problem}`);
}

/** Reject option keys the adapter does not know (usually a typo), naming the ones it does. */
export function checkOptionKeys(adapter: string, options: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new InvalidRequestError(`${adapter}: unknown option "${key}"; ${allowed.length ? `its options are ${allowed.join(', ')}` : 'it takes no options'}`);
    }
  }
}

/** A string option, or undefined when absent. */
export function optionalString(adapter: string, options: Record<string, unknown>, key: string): string | undefined {
  const value = options[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw optionError(adapter, key, `must be a string (got ${value === null ? 'null' : typeof value})`);
  return value;
}

/**
 * Runs adapter hooks so that whatever an adapter throws (or returns wrongly) reaches the caller as
 * an AdapterError naming the adapter and the hook, with the original error kept as its cause.
 */
import { AdapterError } from '../core/errors.js';

/** The hooks an adapter may have, as error messages name them. */
export type AdapterHook = 'transformRequest' | 'transformOutput' | 'createStreamTransformer' | 'push' | 'flush' | 'done';

function describe(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return typeof error === 'string' ? error : 'a non-Error value was thrown';
}

/** Wrap anything thrown by `hook` of adapter `name` in an AdapterError (an AdapterError of the same adapter passes through). */
export function adapterFailure(name: string, hook: AdapterHook, error: unknown): AdapterError {
  if (AdapterError.isInstance(error) && error.adapter === name) return error;
  return new AdapterError(name, `${hook} threw: ${describe(error)}`, { cause: error });
}

/** Call a synchronous hook; any throw becomes an AdapterError. */
export function callHook<T>(name: string, hook: AdapterHook, run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw adapterFailure(name, hook, error);
  }
}

/** Call a hook that may return a Promise; a throw or a rejection becomes an AdapterError. */
export async function callAsyncHook<T>(name: string, hook: AdapterHook, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw adapterFailure(name, hook, error);
  }
}

/** A hook that must produce text: anything else is the adapter's bug, reported as an AdapterError. */
export function expectText(name: string, hook: AdapterHook, value: unknown): string {
  if (typeof value !== 'string') {
    throw new AdapterError(name, `${hook} must return a string, got ${value === null ? 'null' : typeof value}`);
  }
  return value;
}

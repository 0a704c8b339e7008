/**
 * `gc()` for memory figures: jest does not expose it, but V8 hands it to a new context once the flag
 * is set. Undefined when even that is refused (then figures include garbage not yet collected).
 */
import v8 from 'node:v8';
import vm from 'node:vm';

/** A function that runs a full garbage collection, when one can be had. */
export function garbageCollector(): (() => void) | undefined {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

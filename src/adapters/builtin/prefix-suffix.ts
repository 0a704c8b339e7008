/**
 * `prefix-suffix`: puts `prefix` before the output and `suffix` after it, exactly as given (no
 * spaces added). On streams the prefix goes out with the first delta and the suffix at the end.
 */
import type { Adapter, AdapterFactory, StreamTransformer } from '../adapter.js';
import { checkOptionKeys, optionalString } from './adapter-options.js';
import { InvalidRequestError } from '../../core/errors.js';

/** Options of `prefix-suffix`. */
export interface PrefixSuffixOptions {
  prefix?: string;
  suffix?: string;
}

const NAME = 'prefix-suffix';

/** The `prefix-suffix` adapter. */
export class PrefixSuffixAdapter implements Adapter {
  /** Always `prefix-suffix`. */
  readonly name = NAME;
  /** Put before the output ('' for none). */
  readonly prefix: string;
  /** Put after the output ('' for none). */
  readonly suffix: string;

  constructor(options: Record<string, unknown> = {}) {
    checkOptionKeys(NAME, options, ['prefix', 'suffix']);
    this.prefix = optionalString(NAME, options, 'prefix') ?? '';
    this.suffix = optionalString(NAME, options, 'suffix') ?? '';
    if (this.prefix === '' && this.suffix === '') {
      throw new InvalidRequestError(`${NAME}: give options.prefix or options.suffix, like { "prefix": "Bot: " }`);
    }
  }

  /** `prefix + text + suffix`. */
  transformOutput(text: string): string {
    return this.prefix + text + this.suffix;
  }

  /** Prefix with the first delta, suffix at flush. */
  createStreamTransformer(): StreamTransformer {
    const { prefix, suffix } = this;
    let state: 'before' | 'inside' | 'closed' = 'before';
    return {
      push(delta: string): string {
        if (state === 'inside') return delta;
        if (state === 'closed') return '';
        state = 'inside';
        return prefix + delta;
      },
      flush(): string {
        if (state === 'closed') return '';
        // A stream with no text still gets both, as transformOutput('') would.
        const head = state === 'before' ? prefix : '';
        state = 'closed';
        return head + suffix;
      },
    };
  }
}

/** Factory registered as `prefix-suffix`. */
export const createPrefixSuffixAdapter: AdapterFactory = (options) => new PrefixSuffixAdapter(options);

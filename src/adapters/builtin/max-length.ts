/**
 * `max-length`: the output is never longer than `maxChars`. A text that is too long is cut at the
 * last whitespace in the final quarter of the limit (at most 100 characters back), or hard at the
 * limit when that stretch has none. On streams the text flows freely until that last stretch, which
 * is held until the stream proves longer or ends; once the limit is emitted the transformer is
 * `done`, so the pipeline stops reading the upstream stream.
 */
import type { Adapter, AdapterFactory, StreamTransformer } from '../adapter.js';
import { checkOptionKeys, optionError } from './adapter-options.js';

/** Options of `max-length`. */
export interface MaxLengthOptions {
  /** The most characters (UTF-16 code units) the output may have. */
  maxChars: number;
}

const NAME = 'max-length';
const MAX_LOOKBACK = 100;
const WHITESPACE = /\s/;

/** The `max-length` adapter. */
export class MaxLengthAdapter implements Adapter {
  /** Always `max-length`. */
  readonly name = NAME;
  /** The limit, in UTF-16 code units. */
  readonly maxChars: number;
  /** Text before this index is never affected by the cut (streams release it at once). */
  readonly safeLength: number;

  constructor(options: Record<string, unknown> = {}) {
    checkOptionKeys(NAME, options, ['maxChars']);
    const maxChars = options.maxChars;
    if (!Number.isSafeInteger(maxChars) || (maxChars as number) < 1) {
      throw optionError(NAME, 'maxChars', 'must be a whole number >= 1, like { "maxChars": 1200 }');
    }
    this.maxChars = maxChars as number;
    this.safeLength = this.maxChars - Math.min(MAX_LOOKBACK, Math.floor(this.maxChars / 4));
  }

  /** The text, cut to at most maxChars. */
  transformOutput(text: string): string {
    return text.length <= this.maxChars ? text : text.slice(0, this.cutIndex(text));
  }

  /** A transformer for one stream; `done` once it has sent its limit. */
  createStreamTransformer(): StreamTransformer {
    return new MaxLengthStream(this);
  }

  /**
   * Where to cut a text longer than maxChars. `tail` is the text from index `offset` on (offset <=
   * safeLength); only indices safeLength..maxChars are read, so a stream can decide as soon as it
   * has seen maxChars + 1 characters, holding nothing before safeLength.
   */
  cutIndex(tail: string, offset = 0): number {
    const at = (index: number): string => tail[index - offset]!;
    let end = this.maxChars;
    if (!WHITESPACE.test(at(end))) {
      let space = end - 1;
      while (space >= this.safeLength && !WHITESPACE.test(at(space))) space--;
      if (space >= this.safeLength) end = space;
    }
    // Whitespace left at the cut goes too, but only inside the held stretch.
    while (end > this.safeLength && WHITESPACE.test(at(end - 1))) end--;
    // Never split a surrogate pair (an emoji) in two.
    if (end > this.safeLength && /[\uD800-\uDBFF]/.test(at(end - 1))) end--;
    return end;
  }
}

/** One stream of max-length: releases up to `safeLength` at once, holds the rest until it can decide. */
class MaxLengthStream implements StreamTransformer {
  private seen = 0;
  private held = '';
  private finished = false;

  constructor(private readonly adapter: MaxLengthAdapter) {}

  get done(): boolean {
    return this.finished;
  }

  push(delta: string): string {
    if (this.finished || delta === '') return '';
    const free = Math.max(0, Math.min(delta.length, this.adapter.safeLength - this.seen));
    const released = delta.slice(0, free);
    this.seen += delta.length;
    this.held += delta.slice(free);
    if (this.seen <= this.adapter.maxChars) return released;
    // Longer than the limit: held starts at safeLength; cut with the same rule as whole texts.
    const safe = this.adapter.safeLength;
    const cut = this.adapter.cutIndex(this.held, safe) - safe;
    const tail = this.held.slice(0, cut);
    this.finished = true;
    this.held = '';
    return released + tail;
  }

  flush(): string {
    const rest = this.finished ? '' : this.held;
    this.finished = true;
    this.held = '';
    return rest;
  }
}

/** Factory registered as `max-length`. */
export const createMaxLengthAdapter: AdapterFactory = (options) => new MaxLengthAdapter(options);

/**
 * Compressed answers, inflated as fetch would (gzip / x-gzip, deflate with or without its zlib
 * header, br; several codings undone in reverse order; an unknown coding passed through as it is).
 * The transport asks for `identity` by default (measured cheaper, docs/decisions.md), so this runs
 * only for a server that compresses anyway or a provider configured to ask for compression. Bounds
 * are counted on what comes out, so a small compressed body cannot grow past them.
 */
import zlib from 'node:zlib';
import type { Transform } from 'node:stream';
import type { BodyFlow, BodyQueue } from './body-queue.js';

/** Where the connection's body bytes go: the queue itself, or a decoder in front of it. */
export interface BodySink {
  write(chunk: Uint8Array): void;
  end(): void;
  fail(error: unknown): void;
}

/** Lenient flushing, as fetch does: a body cut before its trailer yields what it had. */
const ZLIB_OPTIONS = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
const BROTLI_OPTIONS = { flush: zlib.constants.BROTLI_OPERATION_FLUSH, finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH };

/** The codings of a `content-encoding` value we undo, in the order to undo them; undefined: pass the body through. */
export function decodingsOf(contentEncoding: string | undefined): string[] | undefined {
  if (!contentEncoding) return undefined;
  const codings = contentEncoding
    .toLowerCase()
    .split(',')
    .map((coding) => coding.trim())
    .filter((coding) => coding !== '' && coding !== 'identity');
  if (codings.length === 0 || codings.some((coding) => !['gzip', 'x-gzip', 'deflate', 'br'].includes(coding))) return undefined;
  return codings.reverse();
}

function decoderFor(coding: string, first: Uint8Array): Transform {
  if (coding === 'br') return zlib.createBrotliDecompress(BROTLI_OPTIONS);
  if (coding === 'deflate') {
    // "deflate" is meant to carry a zlib header, but servers send raw deflate too (as browsers accept):
    // a zlib stream's first byte names method 8 in its low nibble.
    return first.byteLength > 0 && (first[0]! & 0x0f) === 0x08 ? zlib.createInflate(ZLIB_OPTIONS) : zlib.createInflateRaw(ZLIB_OPTIONS);
  }
  return zlib.createGunzip(ZLIB_OPTIONS);
}

/**
 * A sink that inflates into `queue`. `connection` is the request's own flow: it is paused while the
 * decoder has more than it can take and aborted when the decoder fails. The queue steers the
 * decoder from then on (its flow is replaced).
 */
export class DecodingSink implements BodySink {
  private chain: Transform[] | undefined;
  private failed = false;
  private draining = false;

  constructor(
    private readonly codings: string[],
    private readonly queue: BodyQueue,
    private readonly connection: BodyFlow,
    /** What a decoding failure becomes (fetch's `TypeError: terminated`). */
    private readonly asBodyError: (error: unknown) => unknown,
  ) {
    queue.flow = this.decoderFlow;
  }

  /** The flow the queue steers: the last decoder (its output), and through it the connection. */
  readonly decoderFlow: BodyFlow = {
    pause: () => this.chain?.at(-1)?.pause(),
    resume: () => this.chain?.at(-1)?.resume(),
    abort: (reason) => {
      this.destroy();
      this.connection.abort(reason);
    },
  };

  write(chunk: Uint8Array): void {
    if (this.failed) return;
    const first = this.start(chunk)[0]!;
    if (!first.write(chunk) && !this.draining) {
      this.draining = true;
      this.connection.pause();
      first.once('drain', () => {
        this.draining = false;
        this.connection.resume();
      });
    }
  }

  end(): void {
    if (this.failed) return;
    if (!this.chain) {
      // An empty encoded body inflates to nothing.
      this.queue.end();
      return;
    }
    this.chain[0]!.end();
  }

  fail(error: unknown): void {
    this.destroy();
    this.queue.fail(error);
  }

  /** The decoders, built on the first chunk (deflate's kind is told by its first byte). */
  private start(first: Uint8Array): Transform[] {
    if (this.chain) return this.chain;
    const chain = this.codings.map((coding) => decoderFor(coding, first));
    for (let index = 0; index < chain.length - 1; index++) chain[index]!.pipe(chain[index + 1]!);
    const last = chain.at(-1)!;
    last.on('data', (bytes: Buffer) => this.queue.write(bytes));
    last.on('end', () => this.queue.end());
    for (const decoder of chain) {
      decoder.on('error', (error: unknown) => {
        if (this.failed) return;
        this.fail(this.asBodyError(error));
        this.connection.abort(error);
      });
    }
    this.chain = chain;
    return chain;
  }

  private destroy(): void {
    this.failed = true;
    for (const decoder of this.chain ?? []) decoder.destroy();
  }
}

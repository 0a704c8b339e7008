/**
 * A response body as the transport receives it: chunks pushed by the connection (or by the
 * decompressor in front of it), read one promise per chunk by a MeteredSource, with no stream in
 * between (a ReadableStream or a Node Readable per response costs more than the rest of a call's
 * work on Node 20). Reading slower than the upstream sends pauses the connection past a high-water
 * mark (the socket stops being read; TCP pushes back) and resumes it when drained.
 *
 * Cancelling before the end aborts the request: undici then destroys the connection at once (an
 * HTTP/1.1 connection cannot be reused mid-body), so the upstream sees the client leave.
 */
import type { BodyReader, ReadStep } from './metered-source.js';

/** What the queue steers: the connection's flow (undici's dispatch controller, or a decompressor). */
export interface BodyFlow {
  pause(): void;
  resume(): void;
  /** Stop the body for good (a cancelled or failed read). */
  abort(reason: unknown): void;
}

const DONE: ReadStep = Object.freeze({ done: true, value: undefined });

/** Bytes buffered before the connection is paused: a few socket reads' worth. */
const HIGH_WATER_BYTES = 256 * 1024;

/** A chunk as fetch hands it out: a plain Uint8Array (a Buffer's `slice()` would share its memory). */
function plainBytes(chunk: Uint8Array): Uint8Array {
  return chunk.constructor === Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** One body: written by the transport, read by one consumer. */
export class BodyQueue implements BodyReader {
  private readonly chunks: Uint8Array[] = [];
  private buffered = 0;
  private paused = false;
  private ended = false;
  private failure: { error: unknown } | undefined;
  private cancelled = false;
  private waiting: { resolve(step: ReadStep): void; reject(error: unknown): void } | undefined;
  /** Called once when the body is over, however it ends (the fetch drops its abort listener). */
  onSettled: (() => void) | undefined;

  /** `flow` steers the bytes' source; a decoder in front of the queue replaces it with its own (body-decoding.ts). */
  constructor(public flow: BodyFlow) {}

  /** A chunk arrived. */
  write(chunk: Uint8Array): void {
    if (this.cancelled || this.failure || chunk.byteLength === 0) return;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      waiting.resolve({ done: false, value: plainBytes(chunk) });
      return;
    }
    this.chunks.push(chunk);
    this.buffered += chunk.byteLength;
    if (!this.paused && this.buffered > HIGH_WATER_BYTES) {
      this.paused = true;
      this.flow.pause();
    }
  }

  /** The body ended. */
  end(): void {
    if (this.ended || this.failure) return;
    this.ended = true;
    this.settle();
    const waiting = this.waiting;
    if (waiting && this.chunks.length === 0) {
      this.waiting = undefined;
      waiting.resolve(DONE);
    }
  }

  /** The body failed (connection lost, body timeout, abort): reads after the buffered chunks reject. */
  fail(error: unknown): void {
    if (this.ended || this.failure || this.cancelled) return;
    this.failure = { error };
    // What was buffered is dropped: a failed body is no answer, and fetch errors the stream at once.
    this.chunks.length = 0;
    this.buffered = 0;
    this.settle();
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      waiting.reject(error);
    }
  }

  /** The next chunk, or the end. */
  read(): Promise<ReadStep> {
    if (this.chunks.length > 0) {
      const chunk = this.chunks.shift()!;
      this.buffered -= chunk.byteLength;
      if (this.paused && this.buffered <= HIGH_WATER_BYTES / 2) {
        this.paused = false;
        this.flow.resume();
      }
      return Promise.resolve({ done: false, value: plainBytes(chunk) });
    }
    if (this.failure) return Promise.reject(this.failure.error);
    if (this.ended || this.cancelled) return Promise.resolve(DONE);
    if (this.waiting) return Promise.reject(new TypeError('This body has a read in progress already'));
    return new Promise<ReadStep>((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  /** The reader stops: the rest of the body is dropped and, if it has not ended, the request aborted. */
  async cancel(reason?: unknown): Promise<void> {
    if (this.cancelled) return;
    this.cancelled = true;
    this.chunks.length = 0;
    this.buffered = 0;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resolve(DONE);
    if (!this.ended && !this.failure) {
      this.settle();
      this.flow.abort(reason ?? new DOMException('The body was cancelled', 'AbortError'));
    }
  }

  private settle(): void {
    const settled = this.onSettled;
    this.onSettled = undefined;
    settled?.();
  }
}

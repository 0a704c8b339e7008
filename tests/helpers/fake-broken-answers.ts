/**
 * The fake servers' broken 200s (RELIABILITY.md "An answer is an answer only when it is one" and
 * "Upstream answers are bounded"): an HTML page, the dialect's shape without an answer, content that
 * is not text, a huge body streamed in chunks, and a gzip bomb. Each wire format supplies only its
 * broken shapes (`WireFormat.brokenAnswer`); huge bodies are built around a sample answer, so they
 * are valid answers of the dialect, only too big.
 *
 * A huge body is written from one reused buffer with backpressure and stops as soon as the client
 * goes away: the fake server shares the test's process, and a memory figure must measure the client.
 */
import { gzipSync } from 'node:zlib';
import type { Exchange } from './fake-http.js';
import type { SsePlan } from './fake-provider.js';

/** The broken 200s a fake provider can answer with. */
export type BrokenAnswerFault =
  /** 200 with an HTML page (a proxy's error page), for JSON and stream requests alike. */
  | { kind: 'html'; delayMs?: number }
  /** 200 in the dialect's shape without an answer: OpenAI `{"choices":[]}`, Anthropic `content` not a list. */
  | { kind: 'no-answer'; delayMs?: number }
  /** 200 whose content is an object, not text. */
  | { kind: 'non-text-content'; delayMs?: number }
  /**
   * 200 with a valid answer of at least `bytes` bytes, written `chunkBytes` (default 64 KiB) at a
   * time. Streams: many ordinary deltas, or with `singleEvent` one delta event holding it all.
   * `announceLength` sends `content-length` (JSON only).
   */
  | { kind: 'huge'; bytes: number; chunkBytes?: number; singleEvent?: boolean; announceLength?: boolean; delayMs?: number }
  /** 200 with `content-encoding: gzip`: a body of a few hundred KB that inflates to `inflatedBytes` (default 512 MiB). */
  | { kind: 'gzip-bomb'; inflatedBytes?: number; delayMs?: number };

/** The kinds above, to tell them from the other faults. */
const BROKEN_KINDS: ReadonlySet<string> = new Set(['html', 'no-answer', 'non-text-content', 'huge', 'gzip-bomb']);

/** Whether a fault is one of the broken 200s. */
export function isBrokenAnswer(fault: { kind: string }): fault is BrokenAnswerFault {
  return BROKEN_KINDS.has(fault.kind);
}

/** What a wire format answers for the `no-answer` and `non-text-content` faults. */
export interface BrokenShape {
  /** The complete JSON body. */
  json: unknown;
  /** The SSE frames of a stream, terminal event included. */
  frames: string[];
}

/** A sample answer whose text is FILLER_MARK, in JSON and SSE, to build huge bodies around. */
export interface SampleAnswer {
  json: unknown;
  sse: SsePlan;
}

/** The text of the sample answer: JSON-safe, so it appears in the encoded body as it is. */
export const FILLER_MARK = 'FILLER-MARK-7f3a';

const HTML_PAGE = '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n';
const DEFAULT_CHUNK_BYTES = 64 * 1024;
const MIB = 1024 * 1024;

/** One gzip member inflating to 1 MiB of `a`; members concatenate into one valid gzip body. */
let mebibyteMember: Buffer | undefined;

/**
 * Play a broken 200 (the caller has waited out `delayMs`). `broken` answers the no-answer and
 * non-text faults in the wire's shape; `sample` gives the answer huge bodies are built around.
 */
export async function playBrokenAnswer(
  exchange: Exchange,
  fault: BrokenAnswerFault,
  stream: boolean,
  broken: (kind: 'no-answer' | 'non-text-content') => BrokenShape,
  sample: () => SampleAnswer,
  headers: Record<string, string>,
): Promise<void> {
  switch (fault.kind) {
    case 'html':
      return exchange.text(200, HTML_PAGE, { ...headers, 'content-type': 'text/html; charset=utf-8' });
    case 'no-answer':
    case 'non-text-content': {
      const shape = broken(fault.kind);
      if (!stream) return exchange.json(200, shape.json, headers);
      exchange.startSse(headers);
      for (const frame of shape.frames) await exchange.write(frame);
      return exchange.end();
    }
    case 'huge':
      return stream ? hugeStream(exchange, fault, sample().sse, headers) : hugeJson(exchange, fault, sample().json, headers);
    case 'gzip-bomb':
      return gzipBomb(exchange, fault, stream, sample(), headers);
  }
}

/** `[before, after]` the filler mark in `text`. */
function aroundMark(text: string): [string, string] {
  const at = text.indexOf(FILLER_MARK);
  if (at < 0) throw new Error('fake server: the sample answer does not hold the filler mark');
  return [text.slice(0, at), text.slice(at + FILLER_MARK.length)];
}

/** Write `filler` `count` times, stopping when the client goes away. */
async function writeRepeated(exchange: Exchange, filler: Uint8Array, count: number): Promise<void> {
  for (let index = 0; index < count && !exchange.closed; index++) await exchange.write(filler);
}

async function hugeJson(exchange: Exchange, fault: Extract<BrokenAnswerFault, { kind: 'huge' }>, json: unknown, headers: Record<string, string>): Promise<void> {
  const [head, tail] = aroundMark(JSON.stringify(json));
  const filler = Buffer.alloc(fault.chunkBytes ?? DEFAULT_CHUNK_BYTES, 'a');
  const count = Math.max(1, Math.ceil((fault.bytes - head.length - tail.length) / filler.length));
  const length = Buffer.byteLength(head) + count * filler.length + Buffer.byteLength(tail);
  exchange.startBody(200, { 'content-type': 'application/json', ...headers, ...(fault.announceLength ? { 'content-length': String(length) } : {}) });
  await exchange.write(head);
  await writeRepeated(exchange, filler, count);
  if (exchange.closed) return;
  await exchange.write(tail);
  exchange.end();
}

async function hugeStream(exchange: Exchange, fault: Extract<BrokenAnswerFault, { kind: 'huge' }>, plan: SsePlan, headers: Record<string, string>): Promise<void> {
  const chunkBytes = fault.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const delta = plan.deltas[0];
  if (delta === undefined) throw new Error('fake server: the sample stream has no delta');
  exchange.startSse(headers);
  for (const frame of plan.head) await exchange.write(frame);
  if (fault.singleEvent) {
    const [before, after] = aroundMark(delta);
    await exchange.write(before);
    await writeRepeated(exchange, Buffer.alloc(chunkBytes, 'a'), Math.ceil(fault.bytes / chunkBytes));
    if (exchange.closed) return;
    await exchange.write(after);
  } else {
    const frame = Buffer.from(delta.replace(FILLER_MARK, 'a'.repeat(Math.max(1, chunkBytes - delta.length))));
    await writeRepeated(exchange, frame, Math.ceil(fault.bytes / frame.length));
  }
  if (exchange.closed) return;
  for (const frame of plan.tail) await exchange.write(frame);
  exchange.end();
}

/**
 * A valid answer whose text is `inflatedBytes` of `a`, gzipped as concatenated members: the 1 MiB
 * member is compressed once and repeated, so building a 512 MiB bomb costs a few hundred KB.
 * Streams put all of it in one delta event.
 */
async function gzipBomb(exchange: Exchange, fault: Extract<BrokenAnswerFault, { kind: 'gzip-bomb' }>, stream: boolean, sample: SampleAnswer, headers: Record<string, string>): Promise<void> {
  mebibyteMember ??= gzipSync(Buffer.alloc(MIB, 'a'));
  const [head, tail] = stream ? ssePieces(sample.sse) : aroundMark(JSON.stringify(sample.json));
  const members = Math.max(1, Math.ceil((fault.inflatedBytes ?? 512 * MIB) / MIB));
  const body = Buffer.concat([gzipSync(head), ...new Array<Buffer>(members).fill(mebibyteMember), gzipSync(tail)]);
  exchange.startBody(200, {
    'content-type': stream ? 'text/event-stream; charset=utf-8' : 'application/json',
    ...headers,
    'content-encoding': 'gzip',
    // The compressed length: a client that took it for the body's size would let the bomb through.
    'content-length': String(body.length),
  });
  await exchange.write(body);
  exchange.end();
}

/** The text of a stream before and after its first delta's filler mark. */
function ssePieces(plan: SsePlan): [string, string] {
  const delta = plan.deltas[0];
  if (delta === undefined) throw new Error('fake server: the sample stream has no delta');
  const [before, after] = aroundMark(delta);
  return [plan.head.join('') + before, after + plan.tail.join('')];
}

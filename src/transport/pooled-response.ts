/**
 * The Response the transport's fetch resolves with: `instanceof Response` and `Headers`, every
 * member of both answering as fetch's own would (status, ok, headers, url, body, text/json/...,
 * clone), but built from what the connection already parsed: no `new Response` (a WHATWG stream,
 * a header copy and a brand check per member cost more than the rest of a call on Node 20) and no
 * stream under the body (bounded-fetch.ts readers over a BodyQueue). Response and Headers members it
 * does not redefine would throw on it (they read internal slots), so it redefines every one.
 */
import { inspect } from 'node:util';
import type { AnswerOrigin } from '../core/answer-errors.js';
import { BodyQueue } from './body-queue.js';
import { adoptBody, boundResponse, boundsOf, reopenBody, RESPONSE_READERS } from './bounded-fetch.js';
import type { BodyReader } from './metered-source.js';

/** Headers as undici parsed them: lower-case names, a list for a repeated header. */
export type RawHeaders = Record<string, string | string[] | undefined>;

const immutable = (): never => {
  throw new TypeError('immutable');
};

/** Read-only response headers over undici's parsed object (fetch's response headers are immutable too). */
export class PooledHeaders {
  readonly #raw: RawHeaders;
  /** The pairs in iteration order, made on first iteration (the openai SDK iterates every response's headers). */
  #pairs: Array<[string, string]> | undefined;

  constructor(raw: RawHeaders) {
    this.#raw = raw;
  }

  /** The value (repeated headers joined by ", "), or null. */
  get(name: string): string | null {
    const value = this.#value(name);
    return value === undefined ? null : typeof value === 'string' ? value : value.join(', ');
  }

  has(name: string): boolean {
    return this.#value(name) !== undefined;
  }

  /** Every `set-cookie` value, one per header line. */
  getSetCookie(): string[] {
    const value = this.#value('set-cookie');
    return value === undefined ? [] : typeof value === 'string' ? [value] : [...value];
  }

  /** Name/value pairs in name order, as Headers iterates (set-cookie lines one by one). */
  entries(): IterableIterator<[string, string]> {
    return this.#sorted().map((pair): [string, string] => [pair[0], pair[1]]).values();
  }

  keys(): IterableIterator<string> {
    return this.#sorted().map((pair) => pair[0]).values();
  }

  values(): IterableIterator<string> {
    return this.#sorted().map((pair) => pair[1]).values();
  }

  forEach(callback: (value: string, name: string, headers: PooledHeaders) => void, thisArg?: unknown): void {
    for (const [name, value] of this.#sorted()) callback.call(thisArg, value, name, this);
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  readonly append = immutable;
  readonly set = immutable;
  readonly delete = immutable;

  [inspect.custom](): Record<string, string> {
    return Object.fromEntries(this.entries());
  }

  #sorted(): ReadonlyArray<readonly [string, string]> {
    if (this.#pairs) return this.#pairs;
    const pairs: Array<[string, string]> = [];
    for (const name of Object.keys(this.#raw).sort()) {
      const value = this.#raw[name];
      if (value === undefined) continue;
      if (name === 'set-cookie' && typeof value !== 'string') for (const line of value) pairs.push([name, line]);
      else pairs.push([name, typeof value === 'string' ? value : value.join(', ')]);
    }
    this.#pairs = pairs;
    return pairs;
  }

  #value(name: string): string | string[] | undefined {
    const raw = this.#raw;
    // Names arrive lower-cased; most callers ask in lower case already.
    const key = Object.prototype.hasOwnProperty.call(raw, name) ? name : name.toLowerCase();
    return Object.prototype.hasOwnProperty.call(raw, key) ? raw[key] : undefined;
  }
}
Object.setPrototypeOf(PooledHeaders.prototype, Headers.prototype);

/** What a pooled response is made of. */
export interface PooledResponseInit {
  status: number;
  statusText: string;
  headers: RawHeaders | PooledHeaders;
  url: string;
  /** The body, or undefined when the answer has none (HEAD, 204, 304). */
  body: BodyQueue | undefined;
  /** Who answered, for a bound's error until a manager bounds the response with its own origin. */
  origin: AnswerOrigin;
}

/** A Response over an answer the transport received (see the file comment). */
export class PooledResponse {
  readonly #status: number;
  readonly #statusText: string;
  readonly #headers: PooledHeaders;
  readonly #url: string;
  /** The unread body (for clone); the readers open it through the meter. */
  #body: BodyQueue | undefined;

  constructor(init: PooledResponseInit) {
    this.#status = init.status;
    this.#statusText = init.statusText;
    this.#headers = init.headers instanceof PooledHeaders ? init.headers : new PooledHeaders(init.headers);
    this.#url = init.url;
    const body = init.body;
    this.#body = body;
    adoptBody(this, body ? () => body : undefined, init.origin);
  }

  get status(): number {
    return this.#status;
  }

  get statusText(): string {
    return this.#statusText;
  }

  get ok(): boolean {
    return this.#status >= 200 && this.#status <= 299;
  }

  get headers(): Headers {
    return this.#headers as unknown as Headers;
  }

  get url(): string {
    return this.#url;
  }

  /** Redirects are never followed (src/transport/pool-fetch.ts). */
  get redirected(): boolean {
    return false;
  }

  get type(): Response['type'] {
    return 'basic';
  }

  /** Not supported on upstream answers (fetch parses only multipart and urlencoded bodies): reads the body as fetch would. */
  async formData(): Promise<FormData> {
    const self = this as unknown as Response;
    return new Response(await self.arrayBuffer(), { headers: { 'content-type': self.headers.get('content-type') ?? '' } }).formData();
  }

  /**
   * A second Response over the same answer: the body is split in two as it arrives (each side
   * buffers what the other has not read yet, as fetch's tee does), and bounded as this one is.
   */
  clone(): Response {
    const self = this as unknown as Response;
    if (self.bodyUsed) throw new TypeError('Response.clone: Body has already been consumed.');
    const bounds = boundsOf(self);
    const [mine, theirs] = this.#body ? teeBody(this.#body) : [undefined, undefined];
    if (mine) {
      this.#body = mine;
      reopenBody(self, () => mine);
    }
    const origin = bounds?.origin ?? { provider: 'upstream' };
    const response = new PooledResponse({ status: this.#status, statusText: this.#statusText, headers: this.#headers, url: this.#url, body: theirs, origin }) as unknown as Response;
    return bounds ? boundResponse(response, bounds.limits, bounds.origin) : response;
  }

  [inspect.custom](): object {
    return { status: this.#status, statusText: this.#statusText, url: this.#url, headers: this.#headers };
  }
}
Object.setPrototypeOf(PooledResponse.prototype, RESPONSE_READERS);

/**
 * Two queues fed from one reader: each gets every chunk, the source is read as fast as it delivers,
 * and it is cancelled only once both sides are.
 */
function teeBody(source: BodyReader): [BodyQueue, BodyQueue] {
  let cancelled = 0;
  const flow = { pause: () => undefined, resume: () => undefined, abort: (reason: unknown) => (++cancelled === 2 ? void source.cancel(reason).catch(() => undefined) : undefined) };
  const sides: [BodyQueue, BodyQueue] = [new BodyQueue(flow), new BodyQueue(flow)];
  void (async () => {
    try {
      for (;;) {
        const step = await source.read();
        if (step.done) break;
        for (const side of sides) side.write(step.value!);
      }
      for (const side of sides) side.end();
    } catch (error) {
      for (const side of sides) side.fail(error);
    }
  })();
  return sides;
}

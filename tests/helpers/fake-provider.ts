/**
 * What the fake provider servers share: the script language (replies and faults), per-model script
 * queues, and playing a step over an Exchange. Each wire format (fake-openai-server.ts,
 * fake-anthropic-server.ts) supplies only its bodies, SSE frames and error format.
 *
 * These servers are RELIABILITY.md's "chaos fake provider": every fault listed there is a step here.
 */
import { Exchange, FakeHttpServer, type RecordedRequest } from './fake-http.js';
import { FILLER_MARK, isBrokenAnswer, playBrokenAnswer, type BrokenAnswerFault, type BrokenShape } from './fake-broken-answers.js';

export type { RecordedRequest } from './fake-http.js';

/** How a stream that stops early stops (`dieAfterChunks`). */
export type DieMode =
  /** Clean close without the terminal event (`[DONE]` / `message_stop`): the SDKs end quietly. */
  | 'end'
  /** The connection drops after the deltas sent so far (the client sees a body cut short). */
  | 'reset'
  /** Keep-alive frames forever, no more data: a stalled stream (idle-timeout tests). */
  | 'stall'
  /** The provider's in-stream error event (OpenAI `data: {"error":...}`, Anthropic `event: error`). */
  | 'error-event';

/** An answer. Every field is optional: the server's default reply fills the gaps. */
export interface FakeReply<TUsage> {
  text?: string;
  /** Stream deltas; default: `text` split after each run of whitespace. Must join to `text` if both are given. */
  chunks?: string[];
  /** Wire-level usage; `null` sends none at all (no usage field, no usage chunk). */
  usage?: TUsage | null;
  /** The provider's own finish/stop reason (`stop`, `length`, `content_filter` / `end_turn`, `max_tokens`, ...). */
  finishReason?: string;
  /** The model name the response reports (default: the requested one). */
  model?: string;
  id?: string;
  /** Wait before the status line. */
  delayMs?: number;
  /** Streams: wait before each delta (a slow trickle). */
  chunkDelayMs?: number;
  /** Streams: stop after this many deltas (0 = before the first), the way `dieMode` says. */
  dieAfterChunks?: number;
  /** Default `end`. */
  dieMode?: DieMode;
  /** Keep-alive period for `dieMode: 'stall'` (default 100 ms). */
  keepAliveIntervalMs?: number;
}

/** A failure instead of an answer. */
export type FakeFault =
  /** An HTTP error in the provider's real error format; `headers` e.g. `retry-after`, `retry-after-ms`. */
  | { kind: 'status'; status: number; message?: string; code?: string; type?: string; headers?: Record<string, string>; body?: unknown; delayMs?: number }
  /** The connection is reset before any response (ECONNRESET). */
  | { kind: 'reset-before-headers'; delayMs?: number }
  /** 200 and headers, part of the body, then the connection drops. */
  | { kind: 'reset-after-headers'; delayMs?: number }
  /** Never answers; ends only when the client aborts (or the server closes). */
  | { kind: 'hang' }
  /** 200 with a body that is not valid JSON (streams: an SSE data line that is not JSON). */
  | { kind: 'malformed'; delayMs?: number }
  /** 200, SSE headers, then keep-alive frames forever and never any data. */
  | { kind: 'keep-alive-only'; intervalMs?: number; delayMs?: number }
  /** A broken 200: HTML, no answer, non-text content, a huge body, a gzip bomb (fake-broken-answers.ts). */
  | BrokenAnswerFault;

/** One scripted step: a reply (no `kind`) or a fault. */
export type FakeStep<TUsage> = FakeReply<TUsage> | FakeFault;

/** Decides a step for a request whose model has nothing queued; undefined = the default reply. */
export type FakeResponder<TUsage> = (request: RecordedRequest, model: string) => FakeStep<TUsage> | undefined;

/** Builds the default reply for a request (usage, when absent, is counted from the text). */
export type DefaultReply<TUsage> = (request: RecordedRequest, model: string) => FakeReply<TUsage> & { text: string };

/** Steps scripted under this name apply to any model whose own queue is empty. */
export const ANY_MODEL = '*';
/** Steps scripted under this name apply to the model-listing endpoint (faults only). */
export const LIST_MODELS = '(list-models)';

/** A reply with every gap filled. */
export interface ResolvedReply<TUsage> {
  text: string;
  chunks: string[];
  usage: TUsage | null;
  finishReason?: string;
  model: string;
  id?: string;
}

/** The SSE frames of one streamed answer, already encoded. */
export interface SsePlan {
  head: string[];
  deltas: string[];
  tail: string[];
  /** Sent for `dieMode: 'error-event'`. */
  errorFrame: string;
}

/** What a wire format supplies to the shared player. */
export interface WireFormat<TUsage> {
  /** The provider's error body for an HTTP error. */
  errorBody(fault: Extract<FakeFault, { kind: 'status' }>): unknown;
  /** A keep-alive frame (`: ping` comment / Anthropic `ping` event). */
  keepAliveFrame: string;
  /** An SSE frame whose data is not JSON. */
  malformedFrame: string;
  /** The dialect's shape without a usable answer (`no-answer`) or with content that is not text. */
  brokenAnswer(kind: 'no-answer' | 'non-text-content'): BrokenShape;
  /** Deterministic wire usage for a reply that scripts none. */
  usageFor(request: RecordedRequest, text: string): TUsage;
  /** Headers on every answer (request ids). */
  responseHeaders(): Record<string, string>;
  /** The complete JSON answer. */
  json(reply: ResolvedReply<TUsage>, request: RecordedRequest): unknown;
  /** The streamed answer. */
  sse(reply: ResolvedReply<TUsage>, request: RecordedRequest): SsePlan;
}

const MAX_QUEUED_PER_MODEL = 10_000;
/** The request a fault is played for on a non-generation endpoint (it carries no body). */
const NO_REQUEST: RecordedRequest = { method: 'GET', path: '', headers: {}, body: undefined };
/** Stream records kept (the oldest are dropped). */
const MAX_STREAM_RECORDS = 1_000;

/**
 * How one streamed answer went, from the server's side: abort tests count how far a stream got
 * before its client went away instead of timing it.
 */
export interface StreamRecord {
  model: string;
  /** Deltas the reply holds. */
  deltas: number;
  /** Deltas handed to the socket while the client was still connected. */
  deltasWritten: number;
  /** Set when the answer stops: played to its end, cut by the script, or the client went away first. */
  outcome?: 'complete' | 'died' | 'client-closed';
}

/** Split text into deltas after each run of whitespace ("a b" -> ["a ", "b"]). */
export function splitWords(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/** Rough deterministic token count for default usage: whitespace-separated words, at least 1. */
export function countWords(text: string): number {
  return Math.max(1, text.split(/\s+/).filter(Boolean).length);
}

/** The shared half of a fake provider server. */
export abstract class FakeProviderServer<TUsage> {
  private readonly queues = new Map<string, FakeStep<TUsage>[]>();
  private responder?: FakeResponder<TUsage>;
  private readonly streamRecords: StreamRecord[] = [];

  protected constructor(
    protected readonly http: FakeHttpServer,
    private defaultReply: DefaultReply<TUsage>,
  ) {}

  /** `http://127.0.0.1:<port>` */
  get url(): string {
    return this.http.url;
  }

  /** Requests received, oldest first: method, path, lower-cased headers, parsed body. */
  get requests(): RecordedRequest[] {
    return this.http.requests;
  }

  /** Requests received since start or the last `reset()`. */
  get requestCount(): number {
    return this.http.requestCount;
  }

  /** Sockets open right now, idle keep-alive connections included. */
  get openSockets(): number {
    return this.http.openSockets;
  }

  /** Requests still being answered (a leak test wants 0 once every caller has finished). */
  get inFlight(): number {
    return this.http.inFlight;
  }

  /** Streamed answers, oldest first (the most recent 1,000), updated while they play. */
  get streams(): readonly StreamRecord[] {
    return this.streamRecords;
  }

  /** Queue steps for `model` (or `ANY_MODEL`, `LIST_MODELS`), answered in order, one per request. */
  script(model: string, ...steps: FakeStep<TUsage>[]): void {
    const queue = this.queues.get(model) ?? [];
    if (queue.length + steps.length > MAX_QUEUED_PER_MODEL) throw new Error(`fake server: more than ${MAX_QUEUED_PER_MODEL} steps queued for ${model}`);
    queue.push(...steps);
    this.queues.set(model, queue);
  }

  /** Steps still queued for `model`. */
  pending(model: string): number {
    return this.queues.get(model)?.length ?? 0;
  }

  /** Decide steps by function when a model's queue is empty (e.g. 20 % faults); undefined to remove. */
  respondWith(responder: FakeResponder<TUsage> | undefined): void {
    this.responder = responder;
  }

  /** Replace the default reply (used when nothing is scripted). */
  setDefaultReply(reply: DefaultReply<TUsage>): void {
    this.defaultReply = reply;
  }

  /** Forget queues, the responder and recorded requests (the default reply stays). */
  reset(): void {
    this.queues.clear();
    this.responder = undefined;
    this.streamRecords.length = 0;
    this.http.clearRequests();
  }

  /** Stop the server; open and hanging connections are destroyed. */
  close(): Promise<void> {
    return this.http.close();
  }

  /** The next step for a request: the model's queue, then `ANY_MODEL`'s, then the responder, then the default. */
  protected nextStep(model: string, request: RecordedRequest): FakeStep<TUsage> {
    const own = this.queues.get(model)?.shift();
    if (own) return own;
    if (model !== LIST_MODELS) {
      const any = this.queues.get(ANY_MODEL)?.shift();
      if (any) return any;
    }
    return this.responder?.(request, model) ?? {};
  }

  /** Answer a generation request with `step`, in JSON or SSE. */
  protected async play(exchange: Exchange, request: RecordedRequest, model: string, stream: boolean, step: FakeStep<TUsage>, wire: WireFormat<TUsage>): Promise<void> {
    if ('kind' in step) return this.playFault(exchange, step, stream, wire, request, model);
    if (step.delayMs && !(await exchange.sleep(step.delayMs))) return;
    const reply = this.resolve(step, request, model, wire);
    if (!stream) return exchange.json(200, wire.json(reply, request), wire.responseHeaders());
    const plan = wire.sse(reply, request);
    const record = this.recordStream(model, plan.deltas.length);
    exchange.startSse(wire.responseHeaders());
    for (const frame of plan.head) await exchange.write(frame);
    for (let index = 0; index < plan.deltas.length; index++) {
      if (step.dieAfterChunks !== undefined && index >= step.dieAfterChunks) {
        record.outcome = 'died';
        return this.die(exchange, step, plan, wire);
      }
      if (step.chunkDelayMs && !(await exchange.sleep(step.chunkDelayMs))) break;
      if (exchange.closed) break;
      await exchange.write(plan.deltas[index]!);
      record.deltasWritten++;
    }
    if (exchange.closed) {
      record.outcome = 'client-closed';
      return;
    }
    if (step.dieAfterChunks !== undefined && step.dieAfterChunks >= plan.deltas.length) {
      record.outcome = 'died';
      return this.die(exchange, step, plan, wire);
    }
    for (const frame of plan.tail) await exchange.write(frame);
    record.outcome = exchange.closed ? 'client-closed' : 'complete';
    exchange.end();
  }

  private recordStream(model: string, deltas: number): StreamRecord {
    const record: StreamRecord = { model, deltas, deltasWritten: 0 };
    this.streamRecords.push(record);
    if (this.streamRecords.length > MAX_STREAM_RECORDS) this.streamRecords.shift();
    return record;
  }

  /** Play a fault; `status` faults also serve non-generation endpoints. */
  protected async playFault(exchange: Exchange, fault: FakeFault, stream: boolean, wire: WireFormat<TUsage>, request: RecordedRequest = NO_REQUEST, model = ''): Promise<void> {
    if (fault.kind === 'hang') return exchange.untilClosed();
    if (fault.delayMs && !(await exchange.sleep(fault.delayMs))) return;
    if (isBrokenAnswer(fault)) {
      const sample = () => {
        const reply = this.resolve({ text: FILLER_MARK, chunks: [FILLER_MARK], usage: null }, request, model, wire);
        return { json: wire.json(reply, request), sse: wire.sse(reply, request) };
      };
      return playBrokenAnswer(exchange, fault, stream, (kind) => wire.brokenAnswer(kind), sample, wire.responseHeaders());
    }
    switch (fault.kind) {
      case 'status':
        return exchange.json(fault.status, fault.body ?? wire.errorBody(fault), { ...wire.responseHeaders(), ...fault.headers });
      case 'reset-before-headers':
        return exchange.reset(true);
      case 'reset-after-headers':
        exchange.startBody(200, { 'content-type': stream ? 'text/event-stream' : 'application/json', ...wire.responseHeaders() });
        await exchange.write(stream ? wire.keepAliveFrame : '{"id": "cut-short", "choices": [');
        return exchange.reset();
      case 'malformed':
        if (!stream) return exchange.text(200, '{"id": "malformed", "choices": [{"message": ', { 'content-type': 'application/json', ...wire.responseHeaders() });
        exchange.startSse(wire.responseHeaders());
        await exchange.write(wire.malformedFrame);
        return exchange.end();
      case 'keep-alive-only':
        exchange.startSse(wire.responseHeaders());
        return this.keepAlive(exchange, wire, fault.intervalMs);
    }
  }

  private async die(exchange: Exchange, reply: FakeReply<TUsage>, plan: SsePlan, wire: WireFormat<TUsage>): Promise<void> {
    switch (reply.dieMode ?? 'end') {
      case 'end':
        return exchange.end();
      case 'reset':
        return exchange.reset();
      case 'stall':
        return this.keepAlive(exchange, wire, reply.keepAliveIntervalMs);
      case 'error-event':
        await exchange.write(plan.errorFrame);
        return exchange.end();
    }
  }

  private async keepAlive(exchange: Exchange, wire: WireFormat<TUsage>, intervalMs = 100): Promise<void> {
    while (!exchange.closed) {
      await exchange.write(wire.keepAliveFrame);
      if (!(await exchange.sleep(intervalMs))) return;
    }
  }

  private resolve(step: FakeReply<TUsage>, request: RecordedRequest, model: string, wire: WireFormat<TUsage>): ResolvedReply<TUsage> {
    const fallback = step.text === undefined && step.chunks === undefined ? this.defaultReply(request, model) : undefined;
    const text = step.text ?? step.chunks?.join('') ?? fallback!.text;
    const chunks = step.chunks ?? fallback?.chunks ?? splitWords(text);
    if (chunks.join('') !== text) throw new Error('fake server: scripted chunks do not join to the scripted text');
    const usage = step.usage !== undefined ? step.usage : fallback?.usage !== undefined ? fallback.usage : wire.usageFor(request, text);
    return {
      text,
      chunks,
      usage,
      finishReason: step.finishReason ?? fallback?.finishReason,
      model: step.model ?? fallback?.model ?? model,
      id: step.id ?? fallback?.id,
    };
  }
}

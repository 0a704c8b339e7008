/**
 * A fake Anthropic Messages API on 127.0.0.1 speaking the real wire format, for `@anthropic-ai/sdk`:
 * - POST .../v1/messages: JSON, or the SSE sequence message_start, content_block_start, ping,
 *   content_block_delta..., content_block_stop, message_delta (stop_reason + usage), message_stop;
 *   a reply may script its content blocks (`content`: text, thinking with its signature,
 *   redacted_thinking, tool_use), each streamed the way the API streams it (fake-anthropic-blocks.ts),
 *   or a structured answer (`json`) shaped as the request asked for it: a text block, or the input
 *   of the tool its tool_choice forces;
 * - GET .../v1/models: `{ data: [...], has_more, first_id, last_id }`.
 * - POST .../v1/messages/count_tokens: `{ input_tokens }` (words of the prompt plus 8 per tool), or the
 *   faults queued in `countTokensFaults`, one per request.
 * Errors use Anthropic's body `{ type: 'error', error: { type, message }, request_id }`; 529 is
 * `overloaded_error`. Keep-alives are Anthropic's own `event: ping` frames. Like the real API, a
 * request sent with `anthropic-version: 2026-10-21` (what SDK 1.x sends) that carries temperature,
 * top_p or top_k gets a 400 "Extra inputs are not permitted", and so does a request the real API
 * refuses for its thinking, tools or tool results (fake-anthropic-checks.ts).
 */
import { FakeHttpServer, type Exchange, type FakeHttpOptions, type RecordedRequest } from './fake-http.js';
import type { BrokenShape } from './fake-broken-answers.js';
import { anthropicRequestProblem, type CheckedBody } from './fake-anthropic-checks.js';
import { blocksFrames, blocksJson, blocksText, defaultStopReason, sseEvent, structuredAnswerBlocks, type AnthropicBlockScript } from './fake-anthropic-blocks.js';
import {
  FakeProviderServer,
  LIST_MODELS,
  countWords,
  type DefaultReply,
  type FakeFault,
  type FakeReply,
  type FakeStep,
  type ResolvedReply,
  type SsePlan,
  type WireFormat,
} from './fake-provider.js';

export { ANY_MODEL, LIST_MODELS } from './fake-provider.js';
export type { AnthropicBlockScript } from './fake-anthropic-blocks.js';

/** Anthropic usage as the wire reports it: `input_tokens` excludes cache reads and writes. */
export interface AnthropicWireUsage {
  inputTokens: number;
  outputTokens: number;
  /** `cache_read_input_tokens` */
  cacheReadInputTokens?: number;
  /** `cache_creation_input_tokens` */
  cacheCreationInputTokens?: number;
  /** `output_tokens_details.thinking_tokens` (part of outputTokens) */
  thinkingTokens?: number;
}

/**
 * A scripted Anthropic answer (`finishReason` is a stop_reason: end_turn, max_tokens, stop_sequence,
 * tool_use, refusal; default `tool_use` when the content calls a tool, else `end_turn`). Without
 * `content` or `json` the answer is one text block of `text`.
 */
export type AnthropicReply = FakeReply<AnthropicWireUsage> & {
  /** The answer's content blocks, in order (`text` and `chunks` are then ignored). */
  content?: AnthropicBlockScript[];
  /** A structured answer: the input of the tool the request's tool_choice forces, else a text block. */
  json?: string;
};
/** A scripted Anthropic answer or fault. */
export type AnthropicStep = AnthropicReply | FakeFault;

/** Options for `FakeAnthropicServer.start`. */
export interface FakeAnthropicOptions extends FakeHttpOptions {
  /** When set, requests must carry the key (`x-api-key` or `Authorization: Bearer`) or get the real 401. */
  apiKey?: string;
  /** What GET /v1/models lists (default `['claude-haiku-4-5']`). */
  models?: string[];
  /** The answer when nothing is scripted (default: `echo: <last user message>`). */
  defaultReply?: DefaultReply<AnthropicWireUsage>;
}

/** API versions from this one on reject sampling parameters. */
const NO_SAMPLING_FROM = '2026-10-21';
const SAMPLING_PARAMS = ['temperature', 'top_p', 'top_k'] as const;

interface MessagesBody extends CheckedBody {
  model?: string;
  temperature?: unknown;
  top_p?: unknown;
  top_k?: unknown;
  stream?: boolean;
  system?: unknown;
  messages?: Array<{ role?: string; content?: unknown }>;
  stop_sequences?: string[];
}

function bodyOf(request: RecordedRequest): MessagesBody {
  return typeof request.body === 'object' && request.body !== null ? (request.body as MessagesBody) : {};
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((block) => (typeof block?.text === 'string' ? block.text : '')).join('');
  return '';
}

/** The default answer: `echo: ` and the last user message. */
export const anthropicEcho: DefaultReply<AnthropicWireUsage> = (request) => {
  const users = (bodyOf(request).messages ?? []).filter((m) => m.role === 'user');
  return { text: `echo: ${users.length ? contentText(users[users.length - 1]!.content) : ''}` };
};

/** Anthropic's `usage` object. */
export function anthropicUsageJson(usage: AnthropicWireUsage, outputTokens = usage.outputTokens): Record<string, unknown> {
  return {
    input_tokens: usage.inputTokens,
    cache_creation_input_tokens: usage.cacheCreationInputTokens ?? 0,
    cache_read_input_tokens: usage.cacheReadInputTokens ?? 0,
    output_tokens: outputTokens,
    ...(usage.thinkingTokens !== undefined ? { output_tokens_details: { thinking_tokens: usage.thinkingTokens } } : {}),
    service_tier: 'standard',
  };
}

const DEFAULT_ERRORS: Record<number, { type: string; message: string }> = {
  400: { type: 'invalid_request_error', message: 'Invalid request.' },
  401: { type: 'authentication_error', message: 'invalid x-api-key' },
  403: { type: 'permission_error', message: 'Your API key does not have permission to use the specified resource.' },
  404: { type: 'not_found_error', message: 'model: not found' },
  413: { type: 'request_too_large', message: 'Request exceeds the maximum allowed number of bytes.' },
  429: { type: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit.' },
  500: { type: 'api_error', message: 'Internal server error' },
  529: { type: 'overloaded_error', message: 'Overloaded' },
};

/** Anthropic's error body for a status fault. */
export function anthropicErrorBody(fault: Extract<FakeFault, { kind: 'status' }>, requestId = 'req_fake'): unknown {
  const known = DEFAULT_ERRORS[fault.status] ?? { type: 'api_error', message: `HTTP ${fault.status}` };
  return { type: 'error', error: { type: fault.type ?? fault.code ?? known.type, message: fault.message ?? known.message }, request_id: requestId };
}

const event = sseEvent;

/** The fake Anthropic server. `await FakeAnthropicServer.start()`, then `new Anthropic({ baseURL: server.url })`. */
export class FakeAnthropicServer extends FakeProviderServer<AnthropicWireUsage> {
  private models: string[];
  private ids = 0;
  private readonly messages: WireFormat<AnthropicWireUsage>;
  /** The content blocks a scripted rich reply resolved to, by the request it answers. */
  private readonly blocksFor = new WeakMap<RecordedRequest, AnthropicBlockScript[]>();

  private constructor(http: FakeHttpServer, private readonly options: FakeAnthropicOptions) {
    super(http, options.defaultReply ?? anthropicEcho);
    this.models = options.models ?? ['claude-haiku-4-5'];
    this.messages = {
      errorBody: (fault) => anthropicErrorBody(fault, `req_${this.ids}`),
      keepAliveFrame: event('ping', { type: 'ping' }),
      malformedFrame: 'event: message_start\ndata: {"type": "message_start", "message": \n\n',
      brokenAnswer: (broken) => this.brokenAnswer(broken),
      usageFor: (request, text) => ({ inputTokens: countWords(this.promptText(bodyOf(request))), outputTokens: countWords(text) }),
      responseHeaders: () => ({ 'request-id': `req_${++this.ids}` }),
      json: (reply, request) => this.messageJson(reply, request, bodyOf(request)),
      sse: (reply, request) => this.ssePlan(reply, request, bodyOf(request)),
    };
  }

  /** Start on 127.0.0.1 at a free port. */
  static async start(options: FakeAnthropicOptions = {}): Promise<FakeAnthropicServer> {
    let server: FakeAnthropicServer | undefined;
    const http = await FakeHttpServer.listen((exchange, request) => server!.handle(exchange, request), options);
    server = new FakeAnthropicServer(http, options);
    return server;
  }

  /** Queue steps for `model` (or `ANY_MODEL`, `LIST_MODELS`), answered in order, one per request. */
  override script(model: string, ...steps: AnthropicStep[]): void {
    super.script(model, ...steps);
  }

  /** Faults the next count_tokens requests get, one each, oldest first. */
  readonly countTokensFaults: FakeFault[] = [];

  /** Replace what GET /v1/models lists. */
  setModels(ids: string[]): void {
    this.models = [...ids];
  }

  private async handle(exchange: Exchange, request: RecordedRequest): Promise<void> {
    const path = request.path.split('?')[0]!.replace(/\/+$/, '');
    const body = bodyOf(request);
    const unauthorized = this.checkKey(request);
    if (unauthorized) return this.playFault(exchange, unauthorized, false, this.messages);
    if (request.method === 'GET' && path.endsWith('/models')) {
      const step = this.nextStep(LIST_MODELS, request);
      if ('kind' in step) return this.playFault(exchange, step, false, this.messages);
      const data = this.models.map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-10-01T00:00:00Z' }));
      return exchange.json(200, { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null }, this.messages.responseHeaders());
    }
    if (request.method === 'POST' && path.endsWith('/messages/count_tokens')) {
      const fault = this.countTokensFaults.shift();
      if (fault) return this.playFault(exchange, fault, false, this.messages);
      const tools = Array.isArray((body as { tools?: unknown[] }).tools) ? (body as { tools: unknown[] }).tools.length : 0;
      return exchange.json(200, { input_tokens: countWords(this.promptText(body)) + 8 * tools }, this.messages.responseHeaders());
    }
    if (request.method === 'POST' && path.endsWith('/messages')) {
      const rejected = this.checkSampling(request, body) ?? this.checkRequest(body);
      if (rejected) return this.playFault(exchange, rejected, false, this.messages);
      const model = String(body.model ?? '');
      return this.play(exchange, request, model, body.stream === true, this.withBlocks(this.nextStep(model, request), request, body), this.messages);
    }
    return exchange.json(404, anthropicErrorBody({ kind: 'status', status: 404, message: 'Not found' }));
  }

  private checkKey(request: RecordedRequest): FakeFault | undefined {
    const expected = this.options.apiKey;
    if (expected === undefined) return undefined;
    const given = request.headers['x-api-key'] ?? (request.headers['authorization'] ?? '').replace(/^Bearer\s+/i, '');
    return given === expected ? undefined : { kind: 'status', status: 401 };
  }

  private checkSampling(request: RecordedRequest, body: MessagesBody): FakeFault | undefined {
    const version = request.headers['anthropic-version'] ?? '';
    if (version < NO_SAMPLING_FROM) return undefined;
    const sent = SAMPLING_PARAMS.find((name) => body[name] !== undefined);
    return sent ? { kind: 'status', status: 400, message: `${sent}: Extra inputs are not permitted` } : undefined;
  }

  private checkRequest(body: MessagesBody): FakeFault | undefined {
    const problem = anthropicRequestProblem(body);
    return problem ? { kind: 'status', status: 400, message: problem } : undefined;
  }

  /**
   * A reply scripting `content` or `json`: its blocks are kept for the request, and the step goes on
   * with their text (usage counts it) and their stop reason.
   */
  private withBlocks(step: AnthropicStep, request: RecordedRequest, body: MessagesBody): AnthropicStep {
    if ('kind' in step || (step.content === undefined && step.json === undefined)) return step;
    const blocks = step.content ?? structuredAnswerBlocks(step.json!, body, `toolu_json_${++this.ids}`);
    this.blocksFor.set(request, blocks);
    return { ...step, text: blocksText(blocks), chunks: undefined, finishReason: step.finishReason ?? defaultStopReason(blocks) };
  }

  private promptText(body: MessagesBody): string {
    const system = typeof body.system === 'string' ? body.system : contentText(body.system);
    return [system, ...(body.messages ?? []).map((m) => contentText(m.content))].join('\n');
  }

  private stopSequence(reply: ResolvedReply<AnthropicWireUsage>, body: MessagesBody): string | null {
    return reply.finishReason === 'stop_sequence' ? (body.stop_sequences?.[0] ?? null) : null;
  }

  /**
   * `content` that is not a list (a stream: a message_start without its message), or a text block /
   * text delta whose text is an object.
   */
  private brokenAnswer(broken: 'no-answer' | 'non-text-content'): BrokenShape {
    const id = `msg_broken_${++this.ids}`;
    const message = { id, type: 'message', role: 'assistant', model: 'broken', stop_reason: 'end_turn', stop_sequence: null, usage: anthropicUsageJson({ inputTokens: 1, outputTokens: 1 }) };
    const stop = [event('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null } }), event('message_stop', { type: 'message_stop' })];
    if (broken === 'no-answer') {
      return { json: { ...message, content: { text: 'not a list' } }, frames: [event('message_start', { type: 'message_start', message: null }), ...stop] };
    }
    const notText = { parts: ['not', 'a', 'string'] };
    return {
      json: { ...message, content: [{ type: 'text', text: notText }] },
      frames: [
        event('message_start', { type: 'message_start', message: { ...message, content: [], stop_reason: null } }),
        event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
        event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: notText } }),
        event('content_block_stop', { type: 'content_block_stop', index: 0 }),
        ...stop,
      ],
    };
  }

  private messageJson(reply: ResolvedReply<AnthropicWireUsage>, request: RecordedRequest, body: MessagesBody): unknown {
    const blocks = this.blocksFor.get(request);
    return {
      id: reply.id ?? `msg_${++this.ids}`,
      type: 'message',
      role: 'assistant',
      model: reply.model,
      content: blocks ? blocksJson(blocks) : [{ type: 'text', text: reply.text }],
      stop_reason: reply.finishReason ?? 'end_turn',
      stop_sequence: this.stopSequence(reply, body),
      ...(reply.usage ? { usage: anthropicUsageJson(reply.usage) } : {}),
    };
  }

  private ssePlan(reply: ResolvedReply<AnthropicWireUsage>, request: RecordedRequest, body: MessagesBody): SsePlan {
    const blocks = this.blocksFor.get(request);
    const message = {
      id: reply.id ?? `msg_${++this.ids}`,
      type: 'message',
      role: 'assistant',
      model: reply.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      // The real API reports input and cache usage up front and a placeholder output count.
      ...(reply.usage ? { usage: anthropicUsageJson(reply.usage, 1) } : {}),
    };
    // A plain reply streams one text block whose deltas are the scripted chunks; a rich one streams
    // every block's frames as its deltas (so `dieAfterChunks` counts frames there).
    const head = [event('message_start', { type: 'message_start', message })];
    if (!blocks) head.push(event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }));
    head.push(event('ping', { type: 'ping' }));
    return {
      head,
      deltas: blocks
        ? blocksFrames(blocks)
        : reply.chunks.map((text) => event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } })),
      tail: [
        ...(blocks ? [] : [event('content_block_stop', { type: 'content_block_stop', index: 0 })]),
        event('message_delta', {
          type: 'message_delta',
          delta: { stop_reason: reply.finishReason ?? 'end_turn', stop_sequence: this.stopSequence(reply, body) },
          ...(reply.usage ? { usage: { output_tokens: reply.usage.outputTokens } } : {}),
        }),
        event('message_stop', { type: 'message_stop' }),
      ],
      errorFrame: event('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }),
    };
  }
}

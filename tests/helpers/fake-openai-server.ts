/**
 * A fake OpenAI API on 127.0.0.1 speaking the real wire format, for the official `openai` SDK and
 * anything OpenAI-shaped (OpenAI-compatible endpoints, the HuggingFace client's chat/completions):
 * - POST .../chat/completions: JSON, or SSE chunks (`data: {...}`), a usage chunk with empty `choices`
 *   when `stream_options.include_usage`, then `data: [DONE]`;
 * - POST .../completions: `{ choices: [{ text }] }` and its stream form;
 * - GET .../models: `{ object: 'list', data: [...] }`.
 * Routes match on the path's end, so any base path works (`/v1`, `/openai/v1`, none).
 * Errors use OpenAI's body `{ error: { message, type, param, code } }`.
 */
import { FakeHttpServer, type Exchange, type FakeHttpOptions, type RecordedRequest } from './fake-http.js';
import type { BrokenShape } from './fake-broken-answers.js';
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

/** OpenAI usage as the wire reports it: prompt includes cached tokens, completion includes reasoning. */
export interface OpenAIWireUsage {
  promptTokens: number;
  completionTokens: number;
  /** `prompt_tokens_details.cached_tokens` */
  cachedTokens?: number;
  /** `completion_tokens_details.reasoning_tokens` */
  reasoningTokens?: number;
}

/** A scripted OpenAI answer. */
export type OpenAIReply = FakeReply<OpenAIWireUsage>;
/** A scripted OpenAI answer or fault. */
export type OpenAIStep = FakeStep<OpenAIWireUsage>;

/** Options for `FakeOpenAIServer.start`. */
export interface FakeOpenAIOptions extends FakeHttpOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>` or get OpenAI's real 401. */
  apiKey?: string;
  /** What GET /models lists (default `['gpt-4o-mini']`). */
  models?: string[];
  /** The answer when nothing is scripted (default: `echo: <last user message>`). */
  defaultReply?: DefaultReply<OpenAIWireUsage>;
}

const CREATED = 1_700_000_000;

interface ChatBody {
  model?: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  messages?: Array<{ role?: string; content?: unknown }>;
  prompt?: unknown;
}

function bodyOf(request: RecordedRequest): ChatBody {
  return typeof request.body === 'object' && request.body !== null ? (request.body as ChatBody) : {};
}

function promptText(body: ChatBody): string {
  if (Array.isArray(body.messages)) return body.messages.map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? ''))).join('\n');
  return typeof body.prompt === 'string' ? body.prompt : JSON.stringify(body.prompt ?? '');
}

/** The default answer: `echo: ` and the last user message (or the prompt). */
export const openAIEcho: DefaultReply<OpenAIWireUsage> = (request) => {
  const body = bodyOf(request);
  const users = (body.messages ?? []).filter((m) => m.role === 'user');
  const last = users.length ? users[users.length - 1]!.content : body.prompt;
  return { text: `echo: ${typeof last === 'string' ? last : JSON.stringify(last ?? '')}` };
};

/** OpenAI's `usage` object. */
export function openAIUsageJson(usage: OpenAIWireUsage): Record<string, unknown> {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens ?? 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

const DEFAULT_ERRORS: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: 'invalid_request_error', code: null, message: 'Invalid request.' },
  401: { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided.' },
  403: { type: 'invalid_request_error', code: 'unsupported_country_region_territory', message: 'Country, region, or territory not supported.' },
  404: { type: 'invalid_request_error', code: 'model_not_found', message: 'The model does not exist or you do not have access to it.' },
  429: { type: 'requests', code: 'rate_limit_exceeded', message: 'Rate limit reached for requests. Please try again later.' },
  500: { type: 'server_error', code: null, message: 'The server had an error while processing your request. Sorry about that!' },
  503: { type: 'server_error', code: null, message: 'The engine is currently overloaded, please try again later.' },
};

/** OpenAI's error body for a status fault (`code: 'insufficient_quota'` gives the quota error). */
export function openAIErrorBody(fault: Extract<FakeFault, { kind: 'status' }>): unknown {
  const known = DEFAULT_ERRORS[fault.status] ?? { type: 'api_error', code: null, message: `HTTP ${fault.status}` };
  const quota = fault.code === 'insufficient_quota';
  return {
    error: {
      message: fault.message ?? (quota ? 'You exceeded your current quota, please check your plan and billing details.' : known.message),
      type: fault.type ?? (quota ? 'insufficient_quota' : known.type),
      param: null,
      code: fault.code ?? known.code,
    },
  };
}

/** The fake OpenAI server. `await FakeOpenAIServer.start()`, then point the SDK at `baseURL`. */
export class FakeOpenAIServer extends FakeProviderServer<OpenAIWireUsage> {
  private models: string[];
  private ids = 0;
  private readonly chat: WireFormat<OpenAIWireUsage>;
  private readonly completions: WireFormat<OpenAIWireUsage>;

  private constructor(http: FakeHttpServer, private readonly options: FakeOpenAIOptions) {
    super(http, options.defaultReply ?? openAIEcho);
    this.models = options.models ?? ['gpt-4o-mini'];
    this.chat = this.wire('chat');
    this.completions = this.wire('completions');
  }

  /** Start on 127.0.0.1 at a free port. */
  static async start(options: FakeOpenAIOptions = {}): Promise<FakeOpenAIServer> {
    let server: FakeOpenAIServer | undefined;
    const http = await FakeHttpServer.listen((exchange, request) => server!.handle(exchange, request), options);
    server = new FakeOpenAIServer(http, options);
    return server;
  }

  /** `<url>/v1`, what `new OpenAI({ baseURL })` wants. */
  get baseURL(): string {
    return `${this.url}/v1`;
  }

  /** Replace what GET /models lists. */
  setModels(ids: string[]): void {
    this.models = [...ids];
  }

  private async handle(exchange: Exchange, request: RecordedRequest): Promise<void> {
    const path = request.path.split('?')[0]!.replace(/\/+$/, '');
    const body = bodyOf(request);
    const stream = body.stream === true;
    const unauthorized = this.checkKey(request);
    if (unauthorized) return this.playFault(exchange, unauthorized, false, this.chat);
    if (request.method === 'GET' && path.endsWith('/models')) {
      const step = this.nextStep(LIST_MODELS, request);
      if ('kind' in step) return this.playFault(exchange, step, false, this.chat);
      return exchange.json(200, { object: 'list', data: this.models.map((id) => ({ id, object: 'model', created: CREATED, owned_by: 'fake' })) }, this.chat.responseHeaders());
    }
    if (request.method === 'POST' && (path.endsWith('/chat/completions') || path.endsWith('/completions'))) {
      const model = String(body.model ?? '');
      const wire = path.endsWith('/chat/completions') ? this.chat : this.completions;
      return this.play(exchange, request, model, stream, this.nextStep(model, request), wire);
    }
    return exchange.json(404, { error: { message: `Invalid URL (${request.method} ${request.path})`, type: 'invalid_request_error', param: null, code: null } });
  }

  private checkKey(request: RecordedRequest): FakeFault | undefined {
    const expected = this.options.apiKey;
    if (expected === undefined) return undefined;
    const given = (request.headers['authorization'] ?? '').replace(/^Bearer\s+/i, '');
    if (given === expected) return undefined;
    // The real API echoes a masked key; the scrubber must cope with that.
    const masked = given.length > 12 ? `${given.slice(0, 8)}${'*'.repeat(given.length - 12)}${given.slice(-4)}` : given;
    return { kind: 'status', status: 401, message: `Incorrect API key provided: ${masked}. You can find your API key at https://platform.openai.com/account/api-keys.` };
  }

  private wire(kind: 'chat' | 'completions'): WireFormat<OpenAIWireUsage> {
    return {
      errorBody: openAIErrorBody,
      keepAliveFrame: ': ping\n\n',
      malformedFrame: 'data: {"id": "chatcmpl-malformed", "choices": [\n\n',
      brokenAnswer: (broken) => this.brokenAnswer(kind, broken),
      usageFor: (request, text) => ({ promptTokens: countWords(promptText(bodyOf(request))), completionTokens: countWords(text) }),
      responseHeaders: () => ({ 'x-request-id': `req_${++this.ids}`, 'openai-processing-ms': '1' }),
      json: (reply) => (kind === 'chat' ? this.chatJson(reply) : this.completionJson(reply)),
      sse: (reply, request) => this.ssePlan(kind, reply, bodyOf(request).stream_options?.include_usage === true),
    };
  }

  /** `{"choices":[]}` (a stream: chunks with empty choices, then `[DONE]`), or content that is an object. */
  private brokenAnswer(kind: 'chat' | 'completions', broken: 'no-answer' | 'non-text-content'): BrokenShape {
    const id = `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-broken-${++this.ids}`;
    const object = kind === 'chat' ? 'chat.completion' : 'text_completion';
    const frame = (choices: unknown[]) => `data: ${JSON.stringify({ id, object: `${object}.chunk`, created: CREATED, model: 'broken', choices })}\n\n`;
    if (broken === 'no-answer') return { json: { id, object, created: CREATED, model: 'broken', choices: [] }, frames: [frame([]), 'data: [DONE]\n\n'] };
    const notText = { parts: ['not', 'a', 'string'] };
    const choice = kind === 'chat' ? { index: 0, message: { role: 'assistant', content: notText, refusal: null }, finish_reason: 'stop' } : { index: 0, text: notText, finish_reason: 'stop' };
    const delta = kind === 'chat' ? { index: 0, delta: { content: notText }, finish_reason: null } : { index: 0, text: notText, finish_reason: null };
    const end = kind === 'chat' ? { index: 0, delta: {}, finish_reason: 'stop' } : { index: 0, text: '', finish_reason: 'stop' };
    return { json: { id, object, created: CREATED, model: 'broken', choices: [choice] }, frames: [frame([delta]), frame([end]), 'data: [DONE]\n\n'] };
  }

  private chatJson(reply: ResolvedReply<OpenAIWireUsage>): unknown {
    return {
      id: reply.id ?? `chatcmpl-${++this.ids}`,
      object: 'chat.completion',
      created: CREATED,
      model: reply.model,
      system_fingerprint: 'fp_fake',
      choices: [{ index: 0, message: { role: 'assistant', content: reply.text, refusal: null }, logprobs: null, finish_reason: reply.finishReason ?? 'stop' }],
      ...(reply.usage ? { usage: openAIUsageJson(reply.usage) } : {}),
    };
  }

  private completionJson(reply: ResolvedReply<OpenAIWireUsage>): unknown {
    return {
      id: reply.id ?? `cmpl-${++this.ids}`,
      object: 'text_completion',
      created: CREATED,
      model: reply.model,
      choices: [{ text: reply.text, index: 0, logprobs: null, finish_reason: reply.finishReason ?? 'stop' }],
      ...(reply.usage ? { usage: openAIUsageJson(reply.usage) } : {}),
    };
  }

  private ssePlan(kind: 'chat' | 'completions', reply: ResolvedReply<OpenAIWireUsage>, includeUsage: boolean): SsePlan {
    const id = reply.id ?? `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${++this.ids}`;
    const object = kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
    const frame = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object, created: CREATED, model: reply.model, system_fingerprint: 'fp_fake', choices, ...(includeUsage ? { usage: null } : {}), ...extra })}\n\n`;
    const choice = (content: string | undefined, finish: string | null, role = false) =>
      kind === 'chat'
        ? { index: 0, delta: content === undefined ? {} : { ...(role ? { role: 'assistant' } : {}), content }, logprobs: null, finish_reason: finish }
        : { text: content ?? '', index: 0, logprobs: null, finish_reason: finish };
    const tail = [frame([choice(undefined, reply.finishReason ?? 'stop')])];
    if (includeUsage && reply.usage) tail.push(frame([], { usage: openAIUsageJson(reply.usage) }));
    tail.push('data: [DONE]\n\n');
    return {
      head: kind === 'chat' ? [frame([choice('', null, true)])] : [],
      deltas: reply.chunks.map((chunk) => frame([choice(chunk, null)])),
      tail,
      errorFrame: `data: ${JSON.stringify(openAIErrorBody({ kind: 'status', status: 500 }))}\n\n`,
    };
  }
}

/**
 * A fake OpenAI API on 127.0.0.1 speaking the real wire format, for the official `openai` SDK and
 * anything OpenAI-shaped (OpenAI-compatible endpoints, the HuggingFace client's chat/completions):
 * - POST .../chat/completions: JSON, or SSE chunks (`data: {...}`), a usage chunk with empty `choices`
 *   when `stream_options.include_usage`, then `data: [DONE]`. A reply may script tool calls
 *   (`message.tool_calls` with `content: null`; streamed: the first delta of each call carries
 *   index, id, type, function.name and empty arguments, then argument fragments over several chunks,
 *   parallel calls one after the other or interleaved), reasoning (`reasoning_content` as DeepSeek
 *   and vLLM send it, or `reasoning`), and a structured-output `refusal`;
 * - POST .../completions: `{ choices: [{ text }] }` and its stream form;
 * - GET .../models: `{ object: 'list', data: [...] }`;
 * - POST .../embeddings: OpenAI's embeddings (float or base64 `encoding_format`, `dimensions`), and the
 *   HF feature-extraction routes the HF client calls (an endpoint's `POST /`, TEI's `/embed`, the
 *   router's `/hf-inference/models/<model>/pipeline/feature-extraction` after its hub mapping look-up):
 *   vectors from embed-vectors.ts; scripted faults apply, a reply may set `usage` (prompt tokens) and `model`.
 * Routes match on the path's end, so any base path works (`/v1`, `/openai/v1`, none).
 * Errors use OpenAI's body `{ error: { message, type, param, code } }`.
 */
import { FakeHttpServer, type Exchange, type FakeHttpOptions, type RecordedRequest } from './fake-http.js';
import type { BrokenShape } from './fake-broken-answers.js';
import { featureExtractionAnswer, openAIEmbeddingsAnswer } from './embed-vectors.js';
import {
  FakeProviderServer,
  LIST_MODELS,
  countWords,
  splitWords,
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

/** What a chat answer may carry besides text (chat completions only). */
export interface OpenAIRichReply {
  /** `message.tool_calls` / streamed `delta.tool_calls`; finish_reason defaults to `tool_calls`. */
  toolCalls?: Array<{ id: string; name: string; arguments: string }>;
  /** Streams: calls one after the other (OpenAI), or their argument fragments interleaved. Default `sequential`. */
  toolCallOrder?: 'sequential' | 'interleaved';
  /** Thinking text, before the answer (message field, and streamed deltas of their own). */
  reasoning?: string;
  /** Where the reasoning goes: DeepSeek's `reasoning_content` (default) or `reasoning` (vLLM >= 0.10, OpenRouter, Ollama). */
  reasoningField?: 'reasoning_content' | 'reasoning';
  /** A structured-output refusal: `message.refusal` with `content: null` (streamed as refusal deltas). */
  refusal?: string;
}

/** A scripted OpenAI answer. */
export type OpenAIReply = FakeReply<OpenAIWireUsage> & OpenAIRichReply;
/** A scripted OpenAI answer or fault. */
export type OpenAIStep = OpenAIReply | FakeFault;

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
  /** The rich fields of the reply each chat request is answered with. */
  private readonly rich = new WeakMap<RecordedRequest, OpenAIRichReply>();
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

  /** Queue steps for `model` (FakeProviderServer.script), replies with OpenAI's rich fields included. */
  override script(model: string, ...steps: OpenAIStep[]): void {
    super.script(model, ...steps);
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
    if (request.method === 'GET' && path.startsWith('/api/models/')) {
      // The HF hub's provider mapping, which the HF client looks up (without its token, as public models
      // allow) before a router feature-extraction call.
      const model = decodeURIComponent(path.slice('/api/models/'.length));
      return exchange.json(200, { id: model, inferenceProviderMapping: { 'hf-inference': { providerId: model, status: 'live', task: 'feature-extraction' } } });
    }
    const unauthorized = this.checkKey(request);
    if (unauthorized) return this.playFault(exchange, unauthorized, false, this.chat);
    if (request.method === 'GET' && path.endsWith('/models')) {
      const step = this.nextStep(LIST_MODELS, request);
      if ('kind' in step) return this.playFault(exchange, step, false, this.chat);
      return exchange.json(200, { object: 'list', data: this.models.map((id) => ({ id, object: 'model', created: CREATED, owned_by: 'fake' })) }, this.chat.responseHeaders());
    }
    if (request.method === 'POST' && (path.endsWith('/chat/completions') || path.endsWith('/completions'))) {
      const model = String(body.model ?? '');
      const chat = path.endsWith('/chat/completions');
      return this.play(exchange, request, model, stream, this.noteRich(this.nextStep(model, request), request, chat), chat ? this.chat : this.completions);
    }
    if (request.method === 'POST' && path.endsWith('/embeddings')) return this.embeddings(exchange, request, String(body.model ?? ''), 'openai');
    if (request.method === 'POST' && (path === '' || path.endsWith('/embed') || path.endsWith('/pipeline/feature-extraction'))) {
      return this.embeddings(exchange, request, /\/models\/(.+)\/pipeline\//.exec(path)?.[1] ?? '', 'feature-extraction');
    }
    return exchange.json(404, { error: { message: `Invalid URL (${request.method} ${request.path})`, type: 'invalid_request_error', param: null, code: null } });
  }

  /** An embeddings request in OpenAI's or HF's feature-extraction form: a scripted fault, or the vectors. */
  private async embeddings(exchange: Exchange, request: RecordedRequest, model: string, form: 'openai' | 'feature-extraction'): Promise<void> {
    const step = this.nextStep(model, request);
    if ('kind' in step) return this.playFault(exchange, step, false, this.chat, request, model);
    if (step.delayMs && !(await exchange.sleep(step.delayMs))) return;
    const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, unknown>;
    const answer = form === 'openai' ? openAIEmbeddingsAnswer(body, { model: step.model, promptTokens: step.usage === null ? null : step.usage?.promptTokens }) : featureExtractionAnswer(body);
    return exchange.json(answer.status, answer.json, this.chat.responseHeaders());
  }

  /**
   * Keep a chat reply's rich fields for the request it answers (the shared player passes the request,
   * not the step, to the bodies); a reply of tool calls or a refusal alone has no text, not the default one.
   */
  private noteRich(step: OpenAIStep, request: RecordedRequest, chat: boolean): OpenAIStep {
    if ('kind' in step || !chat) return step;
    const { toolCalls, toolCallOrder, reasoning, reasoningField, refusal } = step;
    if (!toolCalls?.length && reasoning === undefined && refusal === undefined) return step;
    this.rich.set(request, { toolCalls, toolCallOrder, reasoning, reasoningField, refusal });
    return step.text === undefined && step.chunks === undefined && (toolCalls?.length || refusal !== undefined) ? { ...step, text: '' } : step;
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
      json: (reply, request) => (kind === 'chat' ? this.chatJson(reply, this.rich.get(request)) : this.completionJson(reply)),
      sse: (reply, request) => this.ssePlan(kind, reply, bodyOf(request).stream_options?.include_usage === true, this.rich.get(request)),
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

  private chatJson(reply: ResolvedReply<OpenAIWireUsage>, rich: OpenAIRichReply = {}): unknown {
    const message: Record<string, unknown> = { role: 'assistant', content: reply.text, refusal: null };
    if (rich.reasoning !== undefined) message[rich.reasoningField ?? 'reasoning_content'] = rich.reasoning;
    if (rich.refusal !== undefined) message.refusal = rich.refusal;
    if (rich.toolCalls?.length) message.tool_calls = rich.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }));
    // OpenAI sends `content: null` for an answer that is only tool calls or a refusal.
    if (reply.text === '' && (rich.toolCalls?.length || rich.refusal !== undefined)) message.content = null;
    return {
      id: reply.id ?? `chatcmpl-${++this.ids}`,
      object: 'chat.completion',
      created: CREATED,
      model: reply.model,
      system_fingerprint: 'fp_fake',
      choices: [{ index: 0, message, logprobs: null, finish_reason: reply.finishReason ?? (rich.toolCalls?.length ? 'tool_calls' : 'stop') }],
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

  private ssePlan(kind: 'chat' | 'completions', reply: ResolvedReply<OpenAIWireUsage>, includeUsage: boolean, rich: OpenAIRichReply = {}): SsePlan {
    const id = reply.id ?? `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${++this.ids}`;
    const object = kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
    const frame = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object, created: CREATED, model: reply.model, system_fingerprint: 'fp_fake', choices, ...(includeUsage ? { usage: null } : {}), ...extra })}\n\n`;
    const errorFrame = `data: ${JSON.stringify(openAIErrorBody({ kind: 'status', status: 500 }))}\n\n`;
    if (kind === 'completions') {
      const choice = (text: string, finish: string | null) => ({ text, index: 0, logprobs: null, finish_reason: finish });
      const tail = [frame([choice('', reply.finishReason ?? 'stop')])];
      if (includeUsage && reply.usage) tail.push(frame([], { usage: openAIUsageJson(reply.usage) }));
      tail.push('data: [DONE]\n\n');
      return { head: [], deltas: reply.chunks.map((chunk) => frame([choice(chunk, null)])), tail, errorFrame };
    }
    const delta = (fields: Record<string, unknown>, finish: string | null = null) => frame([{ index: 0, delta: fields, logprobs: null, finish_reason: finish }]);
    const calls = rich.toolCalls ?? [];
    const reasoningField = rich.reasoningField ?? 'reasoning_content';
    // DeepSeek marks the other field null in each delta; OpenAI's first chunk carries `refusal: null`.
    const quiet = rich.reasoning !== undefined ? { [reasoningField]: null } : {};
    const deltas: string[] = [];
    if (rich.reasoning !== undefined) for (const piece of splitWords(rich.reasoning)) deltas.push(delta({ content: null, [reasoningField]: piece }));
    for (const chunk of reply.chunks) deltas.push(delta({ content: chunk, ...quiet }));
    if (rich.refusal !== undefined) for (const piece of splitWords(rich.refusal)) deltas.push(delta({ refusal: piece }));
    deltas.push(...toolCallFrames(calls, rich.toolCallOrder ?? 'sequential').map((piece) => delta({ tool_calls: [piece] })));
    const tail = [delta({}, reply.finishReason ?? (calls.length ? 'tool_calls' : 'stop'))];
    if (includeUsage && reply.usage) tail.push(frame([], { usage: openAIUsageJson(reply.usage) }));
    tail.push('data: [DONE]\n\n');
    const noText = reply.text === '' && (calls.length > 0 || rich.refusal !== undefined);
    return { head: [delta({ role: 'assistant', content: noText ? null : '', refusal: null })], deltas, tail, errorFrame };
  }
}

/** A call's arguments in `parts` fragments (at least one, possibly empty), as a model streams them. */
function fragments(text: string, parts = 3): string[] {
  if (text.length === 0) return [''];
  const size = Math.ceil(text.length / parts);
  const out: string[] = [];
  for (let start = 0; start < text.length; start += size) out.push(text.slice(start, start + size));
  return out;
}

/**
 * The streamed `tool_calls[]` pieces of `calls`: each call's first piece carries index, id, type,
 * function.name and empty arguments, then its argument fragments follow (call after call, or
 * round-robin across the calls when `interleaved`).
 */
export function toolCallFrames(calls: ReadonlyArray<{ id: string; name: string; arguments: string }>, order: 'sequential' | 'interleaved'): unknown[] {
  const heads = calls.map((call, index) => ({ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }));
  const tails = calls.map((call, index) => fragments(call.arguments).map((piece) => ({ index, function: { arguments: piece } })));
  if (order === 'sequential') return calls.flatMap((_, index) => [heads[index]!, ...tails[index]!]);
  const out: unknown[] = [...heads];
  for (let round = 0; tails.some((pieces) => round < pieces.length); round++) for (const pieces of tails) if (round < pieces.length) out.push(pieces[round]!);
  return out;
}

/**
 * The FakeProvider's script language (replies, failures, recorded calls) and the pure helpers that
 * turn a scripted reply into text, chunks and usage.
 */
import type { ErrorQuirks } from '../core/error-mapping.js';
import { InvalidRequestError, type LLMError } from '../core/errors.js';
import { makeUsage } from '../core/usage.js';
import { messageText } from '../core/messages.js';
import type { CallParams, ChatMessage, FinishReason, ModelPricing, ProviderRequest, ReasoningBlock, RichRequestFields, ToolCall, Usage } from '../core/types.js';
import type { ManagerDeps, ProviderSupport } from '../managers/base-llm-manager.js';

/** Calls and loads remembered (oldest dropped beyond this). */
export const MAX_RECORDED = 10_000;

/** One scripted answer. */
export interface FakeReply {
  /** The answer; defaults to the chunks joined. */
  text?: string;
  /** Stream deltas; when absent, streams split `text` after each word. Must join to `text` when both are given. */
  chunks?: string[];
  /** Reported usage; missing counts default to whitespace-separated words. `null`: the provider reports no usage. */
  usage?: Partial<Usage> | null;
  finishReason?: FinishReason;
  /** Wait before answering (before the first chunk on streams). Aborts with the call's signal. */
  delayMs?: number;
  /** Wait between stream chunks. */
  chunkDelayMs?: number;
  id?: string;
  responseModel?: string;
  /** Tool calls the model makes (streams send each as two argument deltas, after the text). */
  toolCalls?: ToolCall[];
  /** The model's reasoning (streams send it first, as reasoning deltas); a string is one block. */
  reasoning?: string | ReasoningBlock[];
}

/** An HTTP error answer, mapped through the same status table as every real provider. */
export interface FakeHttpFailure {
  status: number;
  message?: string;
  /** E.g. `{ 'retry-after': '1' }`. */
  headers?: Record<string, string>;
  /** Provider error code, e.g. `insufficient_quota` or `context_length_exceeded`. */
  code?: string;
  delayMs?: number;
}

/**
 * A connection that drops: streams deliver `interruptAfterChunks` chunks of `reply` and end without
 * their finish (as SDKs do when a connection closes); `generate` fails with a connection reset.
 */
export interface FakeInterruption {
  interruptAfterChunks: number;
  reply?: FakeReply;
}

/** What `fail()` accepts. */
export type FakeFailure = LLMError | FakeHttpFailure | FakeInterruption;

/** One provider attempt the fake received (retries and fallbacks each add one). */
export interface FakeCall {
  /** `provider:model`. */
  model: string;
  modelId: string;
  operation: ProviderRequest['operation'];
  messages: ChatMessage[];
  params: CallParams;
  /** The request's tools, toolChoice, parallelToolCalls, responseFormat and providerOptions, as sent. */
  rich: RichRequestFields;
  stream: boolean;
  bot?: string;
  sessionId?: string;
  tenantId?: string;
  userId?: string;
}

/** Options of a FakeProvider. */
export interface FakeProviderOptions {
  /** Provider name (the part before ":"); default `fake`. */
  provider?: string;
  /** Most texts in one embedding batch (longer `sb.embed` inputs are split); default the library's. */
  embedBatchSize?: number;
  /** Prices per million tokens by model name, so cost is computed (catalog entries still win). */
  pricing?: Record<string, ModelPricing>;
  /** When given, only these models exist; others fail with NoSuchModelError as a 404 would. */
  models?: string[];
  /** Context window reported for models the catalog does not list. */
  contextWindow?: number;
  /** Makes the provider not ready with this reason (calls fail with AuthenticationError). */
  notReady?: string;
  /** Answer when a model has nothing scripted; default: echo the last user message. */
  defaultReply?: FakeReply | ((request: ProviderRequest) => FakeReply);
  /** Simulated model load time (ModelCache miss). */
  loadDelayMs?: number;
  /** Deps for use without a switchboard (tests of BaseLLMManager); otherwise `registry.register` attaches them. */
  deps?: ManagerDeps;
  /**
   * How scripted HTTP statuses map, as a real provider's definition would declare it (e.g.
   * `anthropicProvider.errorQuirks` to make a 529 retryable); default plain HTTP semantics.
   */
  errorQuirks?: ErrorQuirks;
  /**
   * What the fake's "wire" carries (BaseLLMManager.supports): all of tools, vision, json and reasoning
   * by default; turn one off to see a request refused (and a fallback taken) as a real provider's would be.
   */
  supports?: ProviderSupport;
}

/** Refuse a malformed script at once, not at call time. */
export function checkReply(reply: FakeReply): void {
  const bad = (what: string) => new InvalidRequestError(`FakeProvider reply: ${what}`);
  for (const key of ['delayMs', 'chunkDelayMs'] as const) {
    const value = reply[key];
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value >= 0)) throw bad(`${key} must be a number >= 0`);
  }
  if (reply.chunks !== undefined && !(Array.isArray(reply.chunks) && reply.chunks.every((chunk) => typeof chunk === 'string'))) {
    throw bad('chunks must be a list of strings');
  }
  if (reply.text !== undefined && reply.chunks !== undefined && reply.chunks.join('') !== reply.text) throw bad('chunks must join to text');
  if (reply.toolCalls !== undefined) {
    const ok = Array.isArray(reply.toolCalls) && reply.toolCalls.every((call) => typeof call?.id === 'string' && typeof call.name === 'string' && typeof call.arguments === 'string');
    if (!ok) throw bad('toolCalls must be a list of { id, name, arguments } with string values');
  }
  if (reply.reasoning !== undefined && typeof reply.reasoning !== 'string' && !(Array.isArray(reply.reasoning) && reply.reasoning.every((block) => typeof block?.text === 'string'))) {
    throw bad('reasoning must be a string or a list of { text } blocks');
  }
}

/** The reply's reasoning as blocks (a string is one block). */
export function replyReasoning(reply: FakeReply): ReasoningBlock[] | undefined {
  if (reply.reasoning === undefined) return undefined;
  return typeof reply.reasoning === 'string' ? [{ text: reply.reasoning }] : reply.reasoning;
}

/** How the reply finishes: as scripted, else `tool-calls` when it calls tools, else `stop`. */
export function replyFinishReason(reply: FakeReply): FinishReason {
  return reply.finishReason ?? (reply.toolCalls && reply.toolCalls.length > 0 ? 'tool-calls' : 'stop');
}

/** The rich fields of a request, copied for the record (absent fields stay absent). */
export function richFieldsOf(request: ProviderRequest): RichRequestFields {
  const rich: RichRequestFields = {};
  if (request.tools !== undefined) rich.tools = structuredClone(request.tools);
  if (request.toolChoice !== undefined) rich.toolChoice = structuredClone(request.toolChoice);
  if (request.parallelToolCalls !== undefined) rich.parallelToolCalls = request.parallelToolCalls;
  if (request.responseFormat !== undefined) rich.responseFormat = structuredClone(request.responseFormat);
  if (request.providerOptions !== undefined) rich.providerOptions = structuredClone(request.providerOptions);
  return rich;
}

/** The reply's full text. */
export function replyText(reply: FakeReply): string {
  return reply.text ?? reply.chunks?.join('') ?? '';
}

function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** Scripted usage, with word counts for whatever the script left out; undefined for `usage: null`. */
export function replyUsage(reply: FakeReply, request: ProviderRequest, text: string): Usage | undefined {
  if (reply.usage === null) return undefined;
  const given = reply.usage ?? {};
  const usage = makeUsage({
    inputTokens: given.inputTokens ?? request.messages.reduce((sum, message) => sum + countWords(messageText(message)), 0),
    outputTokens: given.outputTokens ?? countWords(text),
    cacheReadTokens: given.cacheReadTokens,
    cacheWriteTokens: given.cacheWriteTokens,
    reasoningTokens: given.reasoningTokens,
  });
  if (given.totalTokens !== undefined) usage.totalTokens = given.totalTokens;
  return usage;
}

/** Split after each word, keeping whitespace, so the chunks join back to the text exactly. */
export function splitWords(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
}

/** What a dropped connection looks like to the error mapping (retryable). */
export function connectionReset(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}

/** Append, dropping the oldest beyond MAX_RECORDED. */
export function remember<T>(list: T[], item: T): void {
  if (list.length >= MAX_RECORDED) list.shift();
  list.push(item);
}

/**
 * What OpenAI's response objects share, built from a switchboard result: usage, finish reasons, the
 * `x_switchboard` extension and `x-switchboard-*` headers that tell a caller what the switchboard did
 * (model that answered, cost, attempts, cache, adapters), and the WireFormat each endpoint implements
 * (chat-shapes.ts, completion-shapes.ts).
 */
import type { FinishReason, GenerateResult, StreamPart, Usage } from '../core/types.js';
import type { HttpFailure } from './errors.js';

/** OpenAI's finish reasons. */
export type OpenAIFinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls';

/** What every object of one response shares. */
export interface ResponseMeta {
  /** `chatcmpl-...` / `cmpl-...`, the same on every chunk of a stream. */
  id: string;
  /** Unix seconds. */
  created: number;
  /** The model as the client named it (`bot:support` or `provider:model`). */
  model: string;
  /** The session the call ran in, when there was one. */
  sessionId?: string;
}

/**
 * The switchboard's finish reasons in OpenAI's words. `error` and `other` have no OpenAI
 * counterpart; they become `stop` and the original stays in `x_switchboard.finish_reason`.
 */
export function openAIFinishReason(reason: FinishReason): OpenAIFinishReason {
  switch (reason) {
    case 'length':
      return 'length';
    case 'content-filter':
      return 'content_filter';
    case 'tool-calls':
      return 'tool_calls';
    default:
      return 'stop';
  }
}

/** OpenAI's usage object (cached prompt tokens and reasoning tokens in their details). */
export function openAIUsage(usage: Usage): Record<string, unknown> {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens,
    prompt_tokens_details: { cached_tokens: usage.cacheReadTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
  };
}

/** The `x_switchboard` extension: what the switchboard did for this answer. */
export function switchboardExtension(result: GenerateResult, sessionId?: string): Record<string, unknown> {
  const extension: Record<string, unknown> = {
    model: result.model,
    cost_usd: result.costUsd,
    cached: result.cached,
    attempts: result.attempts,
    adapters: result.adapters,
    latency_ms: Math.round(result.latencyMs),
    finish_reason: result.finishReason,
  };
  if (result.responseModel !== undefined) extension.response_model = result.responseModel;
  if (sessionId !== undefined) extension.session_id = sessionId;
  return extension;
}

/** Printable ASCII only: anything else (a model name the client chose) would make Node throw on write. */
const PLAIN_HEADER_VALUE = /^[\x20-\x7e]*$/;

/** A header value as given, or percent-encoded when it holds characters a header cannot carry. */
export function headerSafe(value: string): string {
  return PLAIN_HEADER_VALUE.test(value) ? value : encodeURIComponent(value);
}

/**
 * The same facts as headers, for clients that only look at headers (JSON answers only). A value
 * with characters outside printable ASCII (a model the client named in Unicode) is percent-encoded.
 */
export function switchboardHeaders(result: GenerateResult): Record<string, string> {
  const headers: Record<string, string> = {
    'x-switchboard-model': headerSafe(result.model),
    'x-switchboard-cached': String(result.cached),
    'x-switchboard-attempts': String(result.attempts),
    'x-switchboard-adapters': headerSafe(result.adapters.join(',')),
  };
  if (result.costUsd !== null) headers['x-switchboard-cost-usd'] = String(result.costUsd);
  return headers;
}

/** A stream part other than text and the finish: reasoning, tool-call pieces, complete tool calls. */
export type RichStreamPart = Exclude<StreamPart, { type: 'text-delta' } | { type: 'finish' }>;

/** One stream's chunks; it keeps what the stream needs to remember (the tool calls announced so far). */
export interface StreamWire {
  /** Chunks sent before the first text (the chat role chunk). */
  opening(): Array<Record<string, unknown>>;
  /**
   * One text delta: its chunk, or several (a format whose text lives in blocks opens one first, as
   * Anthropic's content_block_start before the first text_delta).
   */
  delta(text: string): Record<string, unknown> | Array<Record<string, unknown>>;
  /** The chunks for a reasoning or tool-call part (none when the endpoint has no place for it). */
  rich(part: RichStreamPart): Array<Record<string, unknown>>;
  /**
   * The last chunks: what of the result the stream did not carry yet (a cached answer streams its
   * text only), then the chunk carrying the finish reason (and the extension).
   */
  finish(result: GenerateResult): Array<Record<string, unknown>>;
  /**
   * The usage chunk with empty `choices` (when `stream_options.include_usage`). Absent: the format
   * carries usage in its last event (the Responses API's `response.completed`).
   */
  usage?(result: GenerateResult): Record<string, unknown>;
  /**
   * The frames reporting a failure after the stream opened. Absent: OpenAI's one `data: {"error": ...}`
   * frame (the failure's body).
   */
  failure?(failure: HttpFailure): Array<Record<string, unknown>>;
}

/**
 * How a stream's frames go on the wire. `data`: OpenAI's `data: <json>` frames ending with
 * `data: [DONE]`. `typed`: every frame as `event: <frame.type>` then its `data:` line, with no end
 * marker (the last typed event ends it), as the Responses API and Anthropic's Messages API stream.
 */
export type SseFraming = 'data' | 'typed';

/** One endpoint's wire format: the JSON answer, and a fresh encoder per stream. */
export interface WireFormat {
  /** The whole answer as one JSON object. */
  json(result: GenerateResult): Record<string, unknown>;
  /** The chunk encoder of one stream. */
  stream(): StreamWire;
  /** How its stream is framed; absent: `data`. */
  framing?: SseFraming;
}

/**
 * Reading what a HuggingFace endpoint answered: OpenAI-shaped chat and completion bodies (TGI's
 * Messages API, Inference Providers, vLLM behind an endpoint) and TGI's native stream tokens.
 * Usage is taken only as the server reports it; absent stays absent.
 */
import { malformedAnswer, type AnswerOrigin } from '../../core/answer-errors.js';
import { mapFinishReason } from '../openai/map-response.js';
import { makeUsage } from '../../core/usage.js';
import type { FinishReason, Usage } from '../../core/types.js';

/** The usage object of an OpenAI-shaped body. */
interface WireUsage {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
  prompt_tokens_details?: { cached_tokens?: unknown } | null;
  completion_tokens_details?: { reasoning_tokens?: unknown } | null;
}

/** One chunk of a chat or completion stream, in either OpenAI or TGI-native shape. */
export interface StreamChunk {
  id?: string;
  model?: string;
  choices?: Array<{ delta?: { content?: string | null; [field: string]: unknown }; text?: string; finish_reason?: string | null }>;
  usage?: WireUsage | null;
  /** TGI native (`/generate_stream`). */
  token?: { text?: string; special?: boolean };
  details?: { finish_reason?: string } | null;
}

const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** Usage from an OpenAI-shaped `usage` object; undefined unless both counts are there. */
export function toUsage(usage: WireUsage | null | undefined): Usage | undefined {
  if (!usage) return undefined;
  const input = num(usage.prompt_tokens);
  const output = num(usage.completion_tokens);
  if (input === undefined || output === undefined) return undefined;
  return makeUsage({
    inputTokens: input,
    outputTokens: output,
    cacheReadTokens: num(usage.prompt_tokens_details?.cached_tokens),
    reasoningTokens: num(usage.completion_tokens_details?.reasoning_tokens),
  });
}

/** OpenAI (`stop`, `length` ...) and TGI (`eos_token`, `stop_sequence`) finish reasons, normalised. */
export function toFinishReason(reason: string | null | undefined): FinishReason {
  // TGI says `eos_token` / `stop_sequence`, and may say nothing at all on a normal end.
  if (reason === undefined || reason === null || reason === 'eos_token' || reason === 'stop_sequence') return 'stop';
  return mapFinishReason(reason);
}

/**
 * The text a stream chunk adds (special tokens of TGI's native stream carry none). A chunk that is
 * not an object, or text that is not a string, is a malformed answer: adapters must only ever see text.
 */
export function chunkText(chunk: StreamChunk, origin: AnswerOrigin): string {
  if (typeof chunk !== 'object' || chunk === null) throw malformedAnswer(origin, 'a stream chunk is not a JSON object');
  const choice = chunk.choices?.[0];
  if (choice) return deltaText(choice.delta?.content ?? choice.text, origin);
  if (chunk.token && !chunk.token.special) return deltaText(chunk.token.text, origin);
  return '';
}

/** The first choice's delta of an OpenAI-shaped chat chunk, when there is one (tool calls, reasoning ...). */
export function chunkDelta(chunk: StreamChunk): Record<string, unknown> | undefined {
  const delta: unknown = typeof chunk === 'object' && chunk !== null ? chunk.choices?.[0]?.delta : undefined;
  return typeof delta === 'object' && delta !== null ? (delta as Record<string, unknown>) : undefined;
}

function deltaText(value: unknown, origin: AnswerOrigin): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  throw malformedAnswer(origin, 'a stream delta is not text');
}

/** The finish reason a chunk carries, if it is the last content chunk. */
export function chunkFinish(chunk: StreamChunk): string | undefined {
  const reason = chunk.choices?.[0]?.finish_reason ?? chunk.details?.finish_reason;
  return typeof reason === 'string' ? reason : undefined;
}

/** What a complete `/v1/completions` body says beyond its text (the library keeps only the text). */
export function completionDetails(body: unknown): { finishReason: FinishReason; usage?: Usage; id?: string; model?: string } {
  const record = (typeof body === 'object' && body !== null ? body : {}) as StreamChunk;
  return {
    finishReason: toFinishReason(chunkFinish(record)),
    usage: toUsage(record.usage),
    id: typeof record.id === 'string' ? record.id : undefined,
    model: typeof record.model === 'string' ? record.model : undefined,
  };
}

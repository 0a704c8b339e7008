/**
 * Step 0 of `sb.embed` (API.md "Embeddings"): the shape of what the caller passed, checked before any
 * network call. Everything wrong is an InvalidRequestError that names the field and never repeats what
 * was sent. The gateway's `POST /v1/embeddings` checks `input` and `dimensions` with these same rules.
 */
import { InvalidRequestError } from '../core/errors.js';
import { excerpt } from '../core/secrets.js';
import type { Checked } from '../core/request-rules.js';
import type { EmbedRequest } from '../core/types.js';
import { checkTarget, valueOrThrow, type RequestLimits } from './normalize-request.js';

/**
 * Most texts one call may carry. They are split into the provider's batches (OpenAI: 2048 per
 * request), so this bounds the upstream requests one call can make (8 OpenAI requests).
 */
export const MAX_EMBED_INPUTS = 16_384;
/** Largest `dimensions` (the largest embedding models have 4096; this leaves room). */
export const MAX_EMBED_DIMENSIONS = 65_536;
/** Longest `user` (an end-user id; OpenAI's own are far shorter). */
export const MAX_EMBED_USER_CHARS = 256;

/** What the embedding checks need of config `limits`. */
export interface EmbedLimits extends RequestLimits {
  /** Most characters of input in one call (config `limits.maxInputChars`; 0 = no limit). */
  maxInputChars: number;
}

/** An `sb.embed` request after its checks. */
export interface NormalizedEmbed {
  model: string;
  input: string[];
  dimensions?: number;
  signal?: AbortSignal;
  tenantId?: string;
  useCache: boolean;
  user?: string;
}

const KNOWN_FIELDS = new Set(['model', 'input', 'dimensions', 'signal', 'tenantId', 'cache', 'user']);

const problem = (path: string, message: string) => ({ problem: { path, message } });

/**
 * The texts of `input`: one non-empty string, or a non-empty array of them (at most MAX_EMBED_INPUTS,
 * at most `maxInputChars` characters together). Token arrays (lists of numbers) are refused by name.
 */
export function checkEmbedInput(input: unknown, maxInputChars: number, path = 'input'): Checked<string[]> {
  const texts = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(texts)) return problem(path, 'must be a string or an array of strings');
  if (texts.length === 0) return problem(path, 'must not be an empty array: give at least one text');
  if (texts.length > MAX_EMBED_INPUTS) return problem(path, `holds ${texts.length} texts; at most ${MAX_EMBED_INPUTS} fit in one call`);
  let chars = 0;
  for (let index = 0; index < texts.length; index++) {
    const text: unknown = texts[index];
    const where = typeof input === 'string' ? path : `${path}[${index}]`;
    if (typeof text === 'number' || (Array.isArray(text) && text.every((item) => typeof item === 'number'))) {
      return problem(where, 'is a token array; send the text itself (token ids differ between models)');
    }
    if (typeof text !== 'string') return problem(where, 'must be a string');
    if (text === '') return problem(where, 'must be a non-empty string');
    chars += text.length;
  }
  if (maxInputChars > 0 && chars > maxInputChars) {
    return problem(path, `has ${chars} characters; the limit is ${maxInputChars} (config limits.maxInputChars): send fewer or shorter texts, or raise the limit`);
  }
  return { value: texts as string[] };
}

/** `dimensions`: a whole number from 1 to MAX_EMBED_DIMENSIONS. */
export function checkDimensions(value: unknown, path = 'dimensions'): Checked<number> {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_EMBED_DIMENSIONS) {
    return problem(path, `must be a whole number from 1 to ${MAX_EMBED_DIMENSIONS}`);
  }
  return { value };
}

/** Check an `sb.embed` request; the first problem is thrown as an InvalidRequestError naming its field. */
export function normalizeEmbedRequest(request: EmbedRequest, limits: EmbedLimits): NormalizedEmbed {
  if (typeof request !== 'object' || request === null) throw new InvalidRequestError('embed takes { model, input, dimensions?, signal?, tenantId?, cache?, user? }');
  const fields = request as unknown as Partial<Record<string, unknown>>;
  // Bots and sessions wire chat models (prompts, fallbacks, adapters); vectors come from one named model.
  if (fields.bot !== undefined || fields.sessionId !== undefined) throw new InvalidRequestError('embed takes a model ("provider:model"), not a bot or a session');
  for (const key of Object.keys(request)) {
    if (!KNOWN_FIELDS.has(key)) throw new InvalidRequestError(`Unknown embed field "${excerpt(key)}"; known fields: ${[...KNOWN_FIELDS].join(', ')}`);
  }
  const model = checkTarget('model', fields.model, limits);
  if (fields.input === undefined) throw new InvalidRequestError('input is required: a text or an array of texts');
  const out: NormalizedEmbed = { model, input: valueOrThrow(checkEmbedInput(fields.input, limits.maxInputChars)), useCache: fields.cache !== false };
  if (fields.dimensions !== undefined) out.dimensions = valueOrThrow(checkDimensions(fields.dimensions));
  if (fields.signal !== undefined) {
    if (!(fields.signal instanceof AbortSignal)) throw new InvalidRequestError('signal must be an AbortSignal');
    out.signal = fields.signal;
  }
  if (fields.tenantId !== undefined) out.tenantId = checkTarget('tenantId', fields.tenantId, limits);
  if (fields.cache !== undefined && typeof fields.cache !== 'boolean') throw new InvalidRequestError('cache must be true or false');
  if (fields.user !== undefined) {
    if (typeof fields.user !== 'string' || fields.user.length > MAX_EMBED_USER_CHARS) throw new InvalidRequestError(`user must be a string of at most ${MAX_EMBED_USER_CHARS} characters`);
    if (fields.user !== '') out.user = fields.user;
  }
  return out;
}

/**
 * What the fake servers answer embedding requests with, in each provider's real wire format:
 * deterministic vectors derived from the text (sha256 blocks mapped to [-1, 1) and rounded to float32,
 * so a base64 answer decodes to exactly these numbers), OpenAI's `POST /v1/embeddings` body (float or
 * base64 `encoding_format`, `dimensions`, `usage.prompt_tokens`), Ollama's `POST /api/embed` body
 * (`embeddings`, `prompt_eval_count`) and the HF feature-extraction answer (a bare list of vectors).
 * Tests compute the expected vectors with the same `fakeEmbedding`.
 */
import { createHash } from 'node:crypto';
import { countWords } from './fake-provider.js';

/** Vector length the fakes answer with when the request names none (small: tests stay fast). */
export const FAKE_EMBEDDING_DIMENSIONS = 16;

/** The fake vector of `text`: `dimensions` float32 values in [-1, 1), the same every time. */
export function fakeEmbedding(text: string, dimensions = FAKE_EMBEDDING_DIMENSIONS): number[] {
  const out: number[] = [];
  for (let block = 0; out.length < dimensions; block++) {
    const digest = createHash('sha256').update(`${block}:${text}`).digest();
    for (let offset = 0; offset + 4 <= digest.length && out.length < dimensions; offset += 4) {
      out.push(Math.fround((digest.readUInt32LE(offset) / 2 ** 32) * 2 - 1));
    }
  }
  return out;
}

/** A vector as little-endian float32 bytes in base64 (what OpenAI sends for `encoding_format: "base64"`). */
export function float32Base64(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, index) => bytes.writeFloatLE(value, index * 4));
  return bytes.toString('base64');
}

/** The texts of an embedding request's `input` (a string or a list of strings); undefined for anything else. */
export function inputTexts(input: unknown): string[] | undefined {
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.length > 0 && input.every((item) => typeof item === 'string')) return input as string[];
  return undefined;
}

/** The prompt tokens the fakes report for `texts`: whitespace-separated words, at least one per text. */
export function fakeEmbeddingTokens(texts: readonly string[]): number {
  return texts.reduce((sum, text) => sum + countWords(text), 0);
}

/** OpenAI's answer to `POST /v1/embeddings` for `body`, or the 400 the real API sends for bad input. */
export function openAIEmbeddingsAnswer(
  body: Record<string, unknown>,
  reply: { model?: string; promptTokens?: number | null; dimensions?: number } = {},
): { status: number; json: unknown } {
  const texts = inputTexts(body.input);
  if (!texts || texts.some((text) => text === '')) {
    return { status: 400, json: { error: { message: "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", type: 'invalid_request_error', param: null, code: null } } };
  }
  const dimensions = typeof body.dimensions === 'number' ? body.dimensions : (reply.dimensions ?? FAKE_EMBEDDING_DIMENSIONS);
  const base64 = body.encoding_format === 'base64';
  const data = texts.map((text, index) => {
    const vector = fakeEmbedding(text, dimensions);
    return { object: 'embedding', index, embedding: base64 ? float32Base64(vector) : vector };
  });
  const tokens = reply.promptTokens === undefined ? fakeEmbeddingTokens(texts) : reply.promptTokens;
  return {
    status: 200,
    json: { object: 'list', data, model: reply.model ?? String(body.model ?? ''), ...(tokens === null ? {} : { usage: { prompt_tokens: tokens, total_tokens: tokens } }) },
  };
}

/** Ollama's answer to `POST /api/embed`: one vector per input, `prompt_eval_count` and durations. */
export function ollamaEmbedAnswer(body: Record<string, unknown>): { status: number; json: unknown } {
  const texts = inputTexts(body.input);
  if (!texts) return { status: 400, json: { error: 'invalid input type' } };
  const dimensions = typeof body.dimensions === 'number' ? body.dimensions : FAKE_EMBEDDING_DIMENSIONS;
  return {
    status: 200,
    json: { model: String(body.model ?? ''), embeddings: texts.map((text) => fakeEmbedding(text, dimensions)), total_duration: 14_143_917, load_duration: 1_019_500, prompt_eval_count: fakeEmbeddingTokens(texts) },
  };
}

/**
 * The HF feature-extraction answer for `body.inputs` (TEI's `POST /` and `/embed`, hf-inference's
 * `/pipeline/feature-extraction`): a list of pooled vectors for a list of texts, one vector for one text.
 */
export function featureExtractionAnswer(body: Record<string, unknown>): { status: number; json: unknown } {
  const inputs = body.inputs;
  const texts = inputTexts(inputs);
  if (!texts) return { status: 422, json: { error: 'Input validation error: `inputs` must be a string or a list of strings', error_type: 'Validation' } };
  const vectors = texts.map((text) => fakeEmbedding(text));
  return { status: 200, json: typeof inputs === 'string' ? vectors[0] : vectors };
}

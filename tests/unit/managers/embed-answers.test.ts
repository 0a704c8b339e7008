/**
 * Reading embedding answers: the batch check every provider's answer passes (embed-call.ts), OpenAI's
 * base64 float32 decoding and batch sizing (openai-embed.ts), HF's feature-extraction shapes
 * (huggingface-embed.ts).
 */
import { describe, expect, it } from '@jest/globals';
import { ProviderError } from '../../../src/core/errors.js';
import { checkEmbeddings } from '../../../src/managers/embed-call.js';
import { pooledVectors } from '../../../src/managers/huggingface/huggingface-embed.js';
import { decodeEmbedding, OPENAI_EMBED_MAX_INPUTS, openAIEmbedSupport } from '../../../src/managers/openai/openai-embed.js';
import { DEFAULT_RESPONSE_LIMITS } from '../../../src/transport/bounded-fetch.js';
import { fakeEmbedding, float32Base64 } from '../../helpers/embed-vectors.js';

const ORIGIN = { provider: 'p', model: 'm' };
const request = (input: string[], dimensions?: number) => ({ modelId: 'm', input, ...(dimensions === undefined ? {} : { dimensions }) });

function failure(run: () => unknown): ProviderError {
  try {
    run();
  } catch (error) {
    if (ProviderError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a ProviderError');
}

describe('checkEmbeddings', () => {
  it('passes one finite vector per input, all of one length', () => {
    const vectors = [fakeEmbedding('a'), fakeEmbedding('b')];
    expect(checkEmbeddings({ embeddings: vectors }, request(['a', 'b']), ORIGIN)).toBe(vectors);
  });

  it.each([
    ['no list', { embeddings: undefined }, 'the answer holds no list of embeddings'],
    ['too few', { embeddings: [[1]] }, '1 embeddings came back for 2 inputs'],
    ['not numbers', { embeddings: [[1], ['x']] }, 'an embedding holds a value that is not a finite number'],
    ['NaN', { embeddings: [[1], [Number.NaN]] }, 'an embedding holds a value that is not a finite number'],
    ['empty', { embeddings: [[1], []] }, 'an embedding is not a list of numbers'],
    ['ragged', { embeddings: [[1, 2], [1]] }, 'the embeddings of one answer differ in length'],
  ])('refuses an answer with %s as malformed (retryable)', (_name, answer, what) => {
    const error = failure(() => checkEmbeddings(answer as never, request(['a', 'b']), ORIGIN));
    expect(error.retryable).toBe(true);
    expect(error.message).toBe(`p:m sent a malformed answer: ${what}`);
  });

  it('refuses vectors of a length other than the dimensions asked for (not retryable)', () => {
    const error = failure(() => checkEmbeddings({ embeddings: [[1, 2, 3]] }, request(['a'], 2), ORIGIN));
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/answered 3-dimension embeddings where dimensions 2 was asked/);
  });
});

describe('OpenAI embeddings wire', () => {
  it('decodes base64 little-endian float32 exactly, and passes lists of numbers through', () => {
    const vector = fakeEmbedding('decode me', 300);
    expect(decodeEmbedding(float32Base64(vector), ORIGIN)).toEqual(vector);
    expect(decodeEmbedding([0.1, -0.2], ORIGIN)).toEqual([0.1, -0.2]);
    // Small decodes share Buffer's pool at varying offsets; large ones get buffers of their own.
    for (const length of [1, 2, 3, 5, 7, 11, 13, 1536, 3072]) {
      const expected = fakeEmbedding(`len ${length}`, length);
      expect(decodeEmbedding(float32Base64(expected), ORIGIN)).toEqual(expected);
    }
    expect(failure(() => decodeEmbedding('AAA=', ORIGIN)).message).toMatch(/not a whole number of float32 values/);
    expect(failure(() => decodeEmbedding({}, ORIGIN)).message).toMatch(/neither base64 text nor a list of numbers/);
  });

  it('batches at most 2048 inputs, fewer when the answer would outgrow the response bound', () => {
    const limits = DEFAULT_RESPONSE_LIMITS;
    const small = openAIEmbedSupport('text-embedding-3-small', limits);
    const large = openAIEmbedSupport('text-embedding-3-large', limits);
    // 1536 float32 values are 8192 base64 characters; 3072 twice that.
    expect(small.maxInputs).toBe(Math.floor((limits.maxResponseBytes - 1024) / (8192 + 64)));
    expect(small.maxInputs).toBeLessThan(OPENAI_EMBED_MAX_INPUTS);
    expect(large.maxInputs).toBe(Math.floor((limits.maxResponseBytes - 1024) / (16384 + 64)));
    expect(openAIEmbedSupport('text-embedding-3-large', limits, 256).maxInputs).toBe(OPENAI_EMBED_MAX_INPUTS);
    expect(openAIEmbedSupport('text-embedding-3-small', { ...limits, maxResponseBytes: 10 }).maxInputs).toBe(1);
  });

  it('honours dimensions on text-embedding-3 models only', () => {
    expect(openAIEmbedSupport('text-embedding-3-small', DEFAULT_RESPONSE_LIMITS).dimensions).toBe(true);
    expect(openAIEmbedSupport('text-embedding-ada-002', DEFAULT_RESPONSE_LIMITS).dimensions).toBe(false);
    expect(openAIEmbedSupport('BAAI/bge-m3', DEFAULT_RESPONSE_LIMITS).dimensions).toBe(false);
  });
});

describe('HF feature-extraction shapes', () => {
  it('a list of pooled vectors, or one vector for one text', () => {
    expect(pooledVectors([[1, 2], [3, 4]], 2, ORIGIN)).toEqual([[1, 2], [3, 4]]);
    expect(pooledVectors([1, 2], 1, ORIGIN)).toEqual([[1, 2]]);
  });

  it('refuses token-level features by name, and a body that is no list as malformed', () => {
    const tokens = failure(() => pooledVectors([[[1, 2], [3, 4]]], 1, ORIGIN));
    expect(tokens.retryable).toBe(false);
    expect(tokens.message).toMatch(/token-level features/);
    expect(failure(() => pooledVectors({ error: 'x' }, 1, ORIGIN)).retryable).toBe(true);
  });
});

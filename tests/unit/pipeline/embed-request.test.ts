/**
 * The checks of `sb.embed` requests (embed-request.ts): every field, with the field named and nothing
 * of the caller's value repeated.
 */
import { describe, expect, it } from '@jest/globals';
import { InvalidRequestError } from '../../../src/core/errors.js';
import type { EmbedRequest } from '../../../src/core/types.js';
import { checkDimensions, checkEmbedInput, MAX_EMBED_INPUTS, normalizeEmbedRequest } from '../../../src/pipeline/embed-request.js';

const LIMITS = { maxIdLength: 64, maxInputChars: 100 };
const normalize = (request: unknown) => normalizeEmbedRequest(request as EmbedRequest, LIMITS);

describe('embed request checks', () => {
  it('takes one text or a list, and the optional fields', () => {
    const signal = new AbortController().signal;
    expect(normalize({ model: 'openai:text-embedding-3-small', input: 'one' })).toEqual({ model: 'openai:text-embedding-3-small', input: ['one'], useCache: true });
    expect(normalize({ model: 'm:x', input: ['a', 'b'], dimensions: 256, signal, tenantId: 'acme', cache: false, user: 'u-1' })).toEqual({
      model: 'm:x',
      input: ['a', 'b'],
      dimensions: 256,
      signal,
      tenantId: 'acme',
      useCache: false,
      user: 'u-1',
    });
  });

  it.each([
    [{ input: 'x' }, /model must be a non-empty string/],
    [{ model: 'm:x' }, /input is required/],
    [{ model: 'm:x', input: '' }, /^input must be a non-empty string/],
    [{ model: 'm:x', input: [] }, /input must not be an empty array/],
    [{ model: 'm:x', input: ['ok', ''] }, /input\[1\] must be a non-empty string/],
    [{ model: 'm:x', input: ['ok', 7 as unknown as string, 'x'] }, /input\[1\] is a token array/],
    [{ model: 'm:x', input: [[1, 2, 3]] }, /input\[0\] is a token array/],
    [{ model: 'm:x', input: [{ text: 'x' }] }, /input\[0\] must be a string/],
    [{ model: 'm:x', input: 42 }, /input must be a string or an array of strings/],
    [{ model: 'm:x', input: 'x'.repeat(101) }, /input has 101 characters; the limit is 100 \(config limits.maxInputChars\)/],
    [{ model: 'm:x', input: 'x', dimensions: 0 }, /dimensions must be a whole number from 1 to 65536/],
    [{ model: 'm:x', input: 'x', dimensions: 1.5 }, /dimensions must be a whole number/],
    [{ model: 'm:x', input: 'x', signal: {} }, /signal must be an AbortSignal/],
    [{ model: 'm:x', input: 'x', cache: 'no' }, /cache must be true or false/],
    [{ model: 'm:x', input: 'x', user: 'u'.repeat(257) }, /user must be a string of at most 256 characters/],
    [{ model: 'm:x', input: 'x', tenantId: 't'.repeat(65) }, /tenantId is longer than 64 characters/],
    [{ model: 'm:x', input: 'x', prompt: 'hi' }, /Unknown embed field "prompt"/],
    [{ bot: 'support', input: 'x' }, /embed takes a model \("provider:model"\), not a bot or a session/],
  ])('refuses %j by naming the field', (request, message) => {
    let thrown: unknown;
    try {
      normalize(request);
    } catch (error) {
      thrown = error;
    }
    expect(InvalidRequestError.isInstance(thrown)).toBe(true);
    expect((thrown as Error).message).toMatch(message);
  });

  it('never repeats what the caller sent', () => {
    const secretish = 'sk-caller-text-that-must-not-echo-1234';
    for (const request of [{ model: 'm:x', input: [secretish, ''] }, { model: 'm:x', input: secretish.repeat(5) }, { model: 'm:x', input: 'x', [secretish]: 1 }]) {
      expect(() => normalize(request)).toThrow(InvalidRequestError);
      try {
        normalize(request);
      } catch (error) {
        expect((error as Error).message).not.toContain('must-not-echo');
      }
    }
  });

  it('bounds the number of texts and the dimensions', () => {
    expect(checkEmbedInput(Array.from({ length: MAX_EMBED_INPUTS + 1 }, () => 'x'), 0).problem?.message).toBe(`holds ${MAX_EMBED_INPUTS + 1} texts; at most ${MAX_EMBED_INPUTS} fit in one call`);
    expect(checkEmbedInput(Array.from({ length: MAX_EMBED_INPUTS }, () => 'x'), 0).value).toHaveLength(MAX_EMBED_INPUTS);
    expect(checkDimensions(65_537).problem?.path).toBe('dimensions');
    expect(checkDimensions(3072).value).toBe(3072);
  });
});

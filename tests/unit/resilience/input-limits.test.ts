import { describe, expect, it } from '@jest/globals';
import { InvalidRequestError } from '../../../src/core/errors.js';
import type { ChatMessage, ChatRequest } from '../../../src/core/types.js';
import { MESSAGE_OVERHEAD_TOKENS, checkInputLimits, estimatePromptTokens, estimateTokens } from '../../../src/resilience/input-limits.js';

const limits = { maxMessages: 10, maxInputChars: 10_000 };

function request(messages: unknown, maxTokens?: number): ChatRequest {
  return { messages: messages as ChatMessage[], params: maxTokens === undefined ? {} : { maxTokens }, operation: 'chat' };
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('estimateTokens', () => {
  it('counts characters / 4, rounded up, plus a per-message overhead', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('abc')).toBe(1);
    expect(estimateTokens('abcd')).toBe(1);
    expect(estimateTokens('abcde')).toBe(2);
    expect(estimatePromptTokens([{ role: 'user', content: 'a'.repeat(400) }, { role: 'assistant', content: 'b' }])).toBe(100 + 1 + 2 * MESSAGE_OVERHEAD_TOKENS);
  });
});

describe('checkInputLimits', () => {
  it('passes a normal conversation', () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hello there' },
    ];
    expect(() => checkInputLimits(request(messages, 100), limits)).not.toThrow();
  });

  it('refuses too many messages, naming the limit and its config key', () => {
    const messages = Array.from({ length: 11 }, () => ({ role: 'user', content: 'hi' }));
    const error = thrown(() => checkInputLimits(request(messages), limits));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.message).toContain('11 messages');
    expect(error.message).toContain('limit is 10');
    expect(error.message).toContain('limits.maxMessages');
  });

  it('refuses too many characters, naming the limit and its config key', () => {
    const error = thrown(() => checkInputLimits(request([{ role: 'user', content: 'x'.repeat(101) }]), { maxMessages: 10, maxInputChars: 100 }));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.message).toContain('101 characters');
    expect(error.message).toContain('limits.maxInputChars');
  });

  it('treats a limit of 0 as no limit', () => {
    const messages = Array.from({ length: 50 }, () => ({ role: 'user', content: 'hi' }));
    expect(() => checkInputLimits(request(messages), { maxMessages: 0, maxInputChars: 0 })).not.toThrow();
  });

  it('says what to change for malformed messages', () => {
    const cases: Array<[unknown, RegExp]> = [
      ['hello', /messages must be a non-empty array/],
      [[], /messages must be a non-empty array/],
      [[null], /messages\[0\] must be an object/],
      [[{ role: 'user', content: 'ok' }, { role: 'tool', content: 'x' }], /messages\[1\]\.toolCallId must name the tool call/],
      [[{ content: 'x' }], /messages\[0\]\.role must be "system", "user", "assistant" or "tool"/],
      [[{ role: 'system', content: [{ type: 'text', text: 'x' }] }], /messages\[0\]\.content must be a string/],
      [[{ role: 'user', content: 42 }], /messages\[0\]\.content must be a string or a non-empty array/],
      [[{ role: 'user', content: [{ type: 'image', url: 'http://example.com/a.png' }] }], /messages\[0\]\.content\[0\]\.url must be an https: URL or a data: URL/],
    ];
    for (const [messages, pattern] of cases) {
      const error = thrown(() => checkInputLimits(request(messages), limits));
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error.message).toMatch(pattern);
    }
  });
});

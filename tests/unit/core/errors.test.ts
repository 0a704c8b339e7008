import { describe, expect, it } from '@jest/globals';
import {
  AuthenticationError,
  ConfigError,
  ContextLengthError,
  InvalidRequestError,
  LLMError,
  NoSuchModelError,
  ProviderError,
  RateLimitError,
  StreamInterruptedError,
} from '../../../src/core/errors.js';
import { errorFromStatus, mapProviderError, parseRetryAfter } from '../../../src/core/error-mapping.js';
import { containsSecret, registerSecret, scrubSecrets } from '../../../src/core/secrets.js';

const origin = { provider: 'openai', model: 'gpt-4o-mini' };

describe('errors', () => {
  it('isInstance works across copies through the Symbol.for marker', () => {
    const foreign = Object.assign(Object.create(null), { [Symbol.for('llm-switchboard.error')]: true });
    expect(LLMError.isInstance(foreign)).toBe(true);
    expect(LLMError.isInstance(new Error('x'))).toBe(false);
    const error = new StreamInterruptedError('cut', { partialText: 'ab' });
    expect(error.name).toBe('StreamInterruptedError');
    expect(error.partialText).toBe('ab');
    expect(error).toBeInstanceOf(LLMError);
  });

  it.each([
    [400, InvalidRequestError, false],
    [401, AuthenticationError, false],
    [403, AuthenticationError, false],
    [404, NoSuchModelError, false],
    [408, ProviderError, true],
    [409, ProviderError, true],
    [413, InvalidRequestError, false],
    [422, InvalidRequestError, false],
    [429, RateLimitError, true],
    [500, ProviderError, true],
    [502, ProviderError, true],
    [503, ProviderError, true],
    [504, ProviderError, true],
    [529, ProviderError, true],
  ])('maps HTTP %i to %p (retryable %p)', (status, type, retryable) => {
    const error = errorFromStatus(status, 'detail', origin);
    expect(error).toBeInstanceOf(type);
    expect(error.retryable).toBe(retryable);
    expect(error.provider).toBe('openai');
  });

  it('quota exhaustion is not retryable and context overflows are ContextLengthError', () => {
    expect(errorFromStatus(429, 'You exceeded your current quota', origin, { code: 'insufficient_quota' }).retryable).toBe(false);
    expect(errorFromStatus(400, "This model's maximum context length is 128000 tokens", origin)).toBeInstanceOf(ContextLengthError);
  });

  it('reads Retry-After in every form', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter({ 'retry-after-ms': '250' }, now)).toBe(250);
    expect(parseRetryAfter({ 'retry-after': '2' }, now)).toBe(2000);
    expect(parseRetryAfter({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }, now)).toBe(3000);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
    const limited = errorFromStatus(429, 'slow down', origin, { headers: { 'retry-after-ms': '300' } });
    expect((limited as RateLimitError).retryAfterMs).toBe(300);
  });

  it('maps SDK-shaped errors, connection failures and aborts', () => {
    const sdk = Object.assign(new Error('Not found'), { status: 404, error: { error: { message: 'model not found', code: 'model_not_found' } } });
    expect(mapProviderError(sdk, origin)).toBeInstanceOf(NoSuchModelError);
    const reset = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
    const mapped = mapProviderError(reset, origin);
    expect(mapped).toBeInstanceOf(ProviderError);
    expect(mapped.retryable).toBe(true);
    const controller = new AbortController();
    controller.abort();
    expect(mapProviderError(new Error('x'), origin, controller.signal).name).toBe('AbortError');
  });

  it('never carries a registered secret or a piece of it', () => {
    const key = 'canary-Zq8vT3mW9xLp2Rk7';
    registerSecret(key);
    const upstream = new Error(`Incorrect API key provided: ${key.slice(0, 3)}****${key.slice(-12)}`);
    const error = mapProviderError(Object.assign(upstream, { status: 401 }), origin);
    const everything = [error.message, JSON.stringify(error), String((error.cause as Error).message), error.stack ?? ''].join(' ');
    expect(containsSecret(everything)).toBe(false);
    expect(scrubSecrets(`Bearer ${key}`)).not.toContain('Zq8vT3mW');
    const config = new ConfigError([{ key: 'providers.openai.apiKey', message: `bad value ${key}` }]);
    expect(containsSecret(config.message + JSON.stringify(config))).toBe(false);
  });
});

import { describe, expect, it } from '@jest/globals';
import { abortReason } from '../../../src/core/abort.js';
import {
  AbortError,
  AuthenticationError,
  ConfigError,
  ContextLengthError,
  InvalidRequestError,
  LLMError,
  NoSuchModelError,
  ProviderError,
  RateLimitError,
  StreamInterruptedError,
  TimeoutError,
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

describe('SDK error classes as the SDKs really build them', () => {
  // openai 6.49 leaves `name` as "Error" on its classes; only the constructor tells them apart.
  it('maps the openai SDK timeout to a retryable TimeoutError', async () => {
    const { APIConnectionTimeoutError } = await import('openai');
    const mapped = mapProviderError(new APIConnectionTimeoutError(), origin);
    expect(mapped).toBeInstanceOf(TimeoutError);
    expect(mapped.retryable).toBe(true);
  });

  it('maps an openai or anthropic connection error without a coded cause as retryable', async () => {
    const { APIConnectionError } = await import('openai');
    const openai = mapProviderError(new APIConnectionError({ message: 'Connection error.', cause: new Error('socket closed') }), origin);
    expect(openai).toBeInstanceOf(ProviderError);
    expect(openai.retryable).toBe(true);
    const Anthropic = (await import('@anthropic-ai/sdk')).default;
    const anthropic = mapProviderError(new Anthropic.APIConnectionError({ message: 'Connection error.' }), { provider: 'anthropic', model: 'claude' });
    expect(anthropic.retryable).toBe(true);
    expect(mapProviderError(new Anthropic.APIConnectionTimeoutError(), origin)).toBeInstanceOf(TimeoutError);
  });

  it('maps an openai user abort to AbortError', async () => {
    const { APIUserAbortError } = await import('openai');
    expect(mapProviderError(new APIUserAbortError(), origin)).toBeInstanceOf(AbortError);
  });
});

describe('abortReason', () => {
  it('turns any foreign abort reason into AbortError, and keeps our own errors', () => {
    expect(abortReason(AbortSignal.abort(new Error('user left')))).toBeInstanceOf(AbortError);
    expect(abortReason(AbortSignal.abort(new DOMException('late', 'TimeoutError')))).toBeInstanceOf(AbortError);
    expect(abortReason(AbortSignal.abort('just a string'))).toBeInstanceOf(AbortError);
    expect(abortReason(AbortSignal.abort())).toBeInstanceOf(AbortError);
    const ours = new TimeoutError('deadline');
    expect(abortReason(AbortSignal.abort(ours))).toBe(ours);
  });
});

describe('account exhaustion answered as a bad request', () => {
  it('maps Anthropic\'s 400 "credit balance is too low" to a non-retryable quota RateLimitError, so a fallback can answer', async () => {
    const Anthropic = (await import('@anthropic-ai/sdk')).default;
    const body = { type: 'error', error: { type: 'invalid_request_error', message: 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.' } };
    const mapped = mapProviderError(new Anthropic.BadRequestError(400, body, undefined, new Headers()), { provider: 'anthropic', model: 'claude-3-5-haiku-latest' });
    expect(mapped).toBeInstanceOf(RateLimitError);
    expect(mapped.retryable).toBe(false);
    // An ordinary bad request stays InvalidRequestError.
    const bad = { type: 'error', error: { type: 'invalid_request_error', message: 'messages: roles must alternate' } };
    expect(mapProviderError(new Anthropic.BadRequestError(400, bad, undefined, new Headers()), origin)).toBeInstanceOf(InvalidRequestError);
  });
});

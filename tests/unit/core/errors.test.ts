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
import { echoMask, SecretRegistry } from '../../../src/core/secrets.js';
import { ProblemList } from '../../../src/config/problems.js';
import { anthropicProvider } from '../../../src/managers/anthropic/anthropic-provider.js';
import { ALL_BUILTIN_ERROR_QUIRKS } from '../../helpers/builtin-error-quirks.js';

// The provider quirks (SDK class names, 529, stream error types) come with the origin, from the definitions.
const origin = { provider: 'openai', model: 'gpt-4o-mini', quirks: ALL_BUILTIN_ERROR_QUIRKS };
const anthropicOrigin = (model: string) => ({ provider: 'anthropic', model, quirks: anthropicProvider.errorQuirks });

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
    const secrets = new SecretRegistry();
    secrets.register(key);
    const cleaned = { ...origin, clean: (text: string) => secrets.scrubUpstream(text, ['gpt-4o']) };
    const upstream = new Error(`Incorrect API key provided: ${key.slice(0, 3)}****${key.slice(-12)}`);
    const error = mapProviderError(Object.assign(upstream, { status: 401 }), cleaned);
    const everything = [error.message, JSON.stringify(error), String((error.cause as Error).message), error.stack ?? ''].join(' ');
    expect(secrets.contains(everything)).toBe(false);
    expect(secrets.scrub(`Bearer ${key}`)).not.toContain('Zq8vT3mW');
    const problems = new ProblemList();
    problems.add('providers.openai.apiKey', `bad value ${key}`);
    let config: unknown;
    try {
      problems.throwIfAny((text) => secrets.scrub(text));
    } catch (thrown) {
      config = thrown;
    }
    expect(config).toBeInstanceOf(ConfigError);
    expect(secrets.contains((config as ConfigError).message + JSON.stringify(config))).toBe(false);
  });

  it('is no oracle: upstream text quoting the request back reads the same whether or not the quote is a key piece', () => {
    const key = 'sk-oracle-Hq2Vx9LmK4pRz8NcW3bT';
    const secrets = new SecretRegistry();
    secrets.register(key);
    const answer = (guess: string) => {
      const request = { ...origin, clean: (text: string) => secrets.scrubUpstream(text, [guess]) };
      return mapProviderError(Object.assign(new Error('404'), { status: 404, error: { error: { message: `The model \`${guess}\` does not exist` } } }), request).message;
    };
    const hit = answer(key.slice(10, 18));
    const miss = answer('Zz9Yy8Xx');
    expect(hit.replace(key.slice(10, 18), 'GUESS')).toBe(miss.replace('Zz9Yy8Xx', 'GUESS'));
    expect(hit).not.toContain('[REDACTED]');
    expect(hit).toContain(key.slice(10, 18));
    // A key piece the upstream wrote on its own is still scrubbed.
    expect(secrets.scrubUpstream(`key ${key.slice(4, 20)} rejected`, ['gpt-4o'])).toContain('[REDACTED]');
    expect([...(echoMask('said: abcdefghij!', ['xxabcdefghijxx']) ?? [])].join('')).toBe('00000011111111110');
    // The model a provider reports is the caller's name plus its own suffix: the name is kept, the rest scrubbed.
    expect(secrets.scrubUpstream(`gpt-4o-mini-${key}`, ['gpt-4o-mini'])).toBe('gpt-4o-mini-[REDACTED]');
    expect(secrets.scrubUpstream('gpt-4o-mini-2024-07-18', ['gpt-4o-mini'])).toBe('gpt-4o-mini-2024-07-18');
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
    const anthropic = mapProviderError(new Anthropic.APIConnectionError({ message: 'Connection error.' }), anthropicOrigin('claude'));
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
    const mapped = mapProviderError(new Anthropic.BadRequestError(400, body, undefined, new Headers()), anthropicOrigin('claude-3-5-haiku-latest'));
    expect(mapped).toBeInstanceOf(RateLimitError);
    expect(mapped.retryable).toBe(false);
    // An ordinary bad request stays InvalidRequestError.
    const bad = { type: 'error', error: { type: 'invalid_request_error', message: 'messages: roles must alternate' } };
    expect(mapProviderError(new Anthropic.BadRequestError(400, bad, undefined, new Headers()), origin)).toBeInstanceOf(InvalidRequestError);
  });
});

/**
 * The contract every BaseLLMManager passes (LangChain's "standard tests" idea): each manager's test
 * file builds a harness (its manager pointed at a fake server speaking the real wire format) and
 * calls `runManagerContract`. The cases pin what the pipeline relies on: results, streams with one
 * final finish, aborts, error classes, one attempt per non-retried failure, parameters on the wire,
 * and interrupted streams.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AbortError,
  AuthenticationError,
  InvalidRequestError,
  LLMError,
  NoSuchModelError,
  ProviderError,
  RateLimitError,
  StreamInterruptedError,
  UnsupportedCapabilityError,
} from '../../src/core/errors.js';
import type { CallContext, CallParams, ChatMessage, ManagedStreamPart, ProviderRequest } from '../../src/core/types.js';
import { DEFAULT_RESPONSE_LIMITS } from '../../src/transport/bounded-fetch.js';
import type { ContractHarness, HarnessFactory, ScriptedFailure } from './contract-harness.js';

/** One value per parameter, none of them a provider default, so a dropped parameter shows. */
const PARAM_VALUES: Required<Omit<CallParams, 'timeoutMs' | 'reasoning'>> = {
  temperature: 0.35,
  maxTokens: 77,
  topP: 0.85,
  topK: 7,
  frequencyPenalty: 0.25,
  presencePenalty: 0.15,
  stop: ['END-MARK'],
  seed: 4242,
};

/** 200s that are no answer (RELIABILITY.md "An answer is an answer only when it is one"). */
const BROKEN_ANSWERS: Array<[string, ScriptedFailure]> = [
  ['an HTML page', { kind: 'html' }],
  ['no answer (no choices / content not a list / no message)', { kind: 'no-answer' }],
  ['content that is not text', { kind: 'non-text-content' }],
];
/** What the fake servers' broken answers hold: none of it may reach a message. */
const BROKEN_BODY_TEXT = /DOCTYPE|Bad Gateway|nginx|not a string|parts/;

/** Generous: an abort must end the call promptly, not at some timeout (5 s in tests). */
const ABORT_WINDOW_MS = 2_000;

function context(signal: AbortSignal = new AbortController().signal): CallContext {
  return { signal };
}

function conversation(text = 'Say hello.'): ChatMessage[] {
  return [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: text },
  ];
}

async function collect(stream: AsyncIterable<ManagedStreamPart>): Promise<ManagedStreamPart[]> {
  const parts: ManagedStreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** Wait until the server has seen `count` requests (a hang only starts once the request arrived). */
async function requestsReach(harness: ContractHarness, count: number): Promise<void> {
  const deadline = Date.now() + 3_000;
  while (harness.requests().length < count) {
    if (Date.now() > deadline) throw new Error(`the fake server saw ${harness.requests().length} requests, expected ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Run the shared contract against the harness `factory` builds. */
export function runManagerContract(name: string, factory: HarnessFactory): void {
  describe(`${name}: manager contract`, () => {
    let harness: ContractHarness;
    const request = (messages: ChatMessage[], params: CallParams = {}, operation: ProviderRequest['operation'] = 'chat'): ProviderRequest => ({
      modelId: harness.modelId,
      messages,
      params,
      operation,
    });

    beforeAll(async () => {
      harness = await factory();
    });
    afterAll(async () => {
      await harness?.close();
    });

    it('chat returns the text, finish reason, model and usage the provider sent', async () => {
      harness.reply({ text: 'Hello there, friend.', usage: { inputTokens: 12, outputTokens: 4 }, finishReason: 'stop' });
      const result = await harness.manager.generateResponse(request(conversation()), context());
      expect(result.text).toBe('Hello there, friend.');
      expect(result.finishReason).toBe('stop');
      expect(result.model).toBe(`${harness.manager.provider}:${harness.modelId}`);
      expect(result.attempts).toBe(1);
      if (harness.reportsUsage) {
        expect(result.usageReported).toBe(true);
        expect(result.usage).toMatchObject({ inputTokens: 12, outputTokens: 4, totalTokens: 16 });
      }
    });

    it('chat maps a length stop to finishReason "length"', async () => {
      harness.reply({ text: 'Cut sho', usage: { inputTokens: 3, outputTokens: 2 }, finishReason: 'length' });
      const result = await harness.manager.generateResponse(request(conversation()), context());
      expect(result.text).toBe('Cut sho');
      expect(result.finishReason).toBe('length');
    });

    it('generate (text_completion) returns the answer to a single prompt', async () => {
      harness.reply({ text: 'A haiku, briefly.', usage: { inputTokens: 6, outputTokens: 5 } });
      const result = await harness.manager.generateResponse(request([{ role: 'user', content: 'Write a haiku.' }], {}, 'text_completion'), context());
      expect(result.text).toBe('A haiku, briefly.');
      expect(result.finishReason).toBe('stop');
      if (harness.reportsUsage) expect(result.usage).toMatchObject({ inputTokens: 6, outputTokens: 5, totalTokens: 11 });
    });

    it('stream: deltas join to the text, then exactly one finish, last, with the usage', async () => {
      const chunks = ['Stre', 'aming ', 'works', '!'];
      harness.reply({ text: chunks.join(''), chunks, usage: { inputTokens: 9, outputTokens: 4 } });
      const parts = await collect(harness.manager.streamResponse(request(conversation()), context()));
      const deltas = parts.filter((part) => part.type === 'text-delta');
      const finishes = parts.filter((part) => part.type === 'finish');
      expect(deltas.map((part) => part.text).join('')).toBe('Streaming works!');
      expect(finishes).toHaveLength(1);
      expect(parts[parts.length - 1]!.type).toBe('finish');
      const result = (finishes[0] as Extract<ManagedStreamPart, { type: 'finish' }>).result;
      expect(result.text).toBe('Streaming works!');
      expect(result.finishReason).toBe('stop');
      if (harness.reportsUsage) {
        expect(result.usageReported).toBe(true);
        expect(result.usage).toMatchObject({ inputTokens: 9, outputTokens: 4, totalTokens: 13 });
      }
    });

    it('an abort during a hanging request rejects with AbortError promptly', async () => {
      const before = harness.requests().length;
      harness.hang();
      const controller = new AbortController();
      const pending = caught(harness.manager.generateResponse(request(conversation()), context(controller.signal)));
      await requestsReach(harness, before + 1);
      const abortedAt = performance.now();
      controller.abort();
      const error = await pending;
      expect(error).toBeInstanceOf(AbortError);
      expect(performance.now() - abortedAt).toBeLessThan(ABORT_WINDOW_MS);
    });

    it('an abort during a hanging stream rejects with AbortError promptly', async () => {
      const before = harness.requests().length;
      harness.hang();
      const controller = new AbortController();
      const pending = caught(collect(harness.manager.streamResponse(request(conversation()), context(controller.signal))));
      await requestsReach(harness, before + 1);
      const abortedAt = performance.now();
      controller.abort();
      expect(await pending).toBeInstanceOf(AbortError);
      expect(performance.now() - abortedAt).toBeLessThan(ABORT_WINDOW_MS);
    });

    const statusCases: Array<[number, string, new (...args: never[]) => LLMError]> = [
      [400, 'InvalidRequestError', InvalidRequestError],
      [401, 'AuthenticationError', AuthenticationError],
      [404, 'NoSuchModelError', NoSuchModelError],
      [429, 'RateLimitError', RateLimitError],
      [500, 'ProviderError', ProviderError],
    ];
    it.each(statusCases)('HTTP %i maps to %s after exactly one request', async (status, _name, errorClass) => {
      const before = harness.requests().length;
      harness.fail({ kind: 'status', status, message: `scripted ${status}` });
      const error = await caught(harness.manager.generateResponse(request(conversation()), context()));
      expect(error).toBeInstanceOf(errorClass);
      expect((error as LLMError).provider).toBe(harness.manager.provider);
      expect((error as LLMError).model).toBe(harness.modelId);
      if (status === 500) expect((error as ProviderError).status).toBe(500);
      // Retries are off in the test deps, so a second request could only come from the SDK retrying.
      expect(harness.requests().length - before).toBe(1);
    });

    it('a malformed response body maps to ProviderError', async () => {
      harness.fail({ kind: 'malformed' });
      const error = await caught(harness.manager.generateResponse(request(conversation()), context()));
      expect(error).toBeInstanceOf(ProviderError);
    });

    it.each(BROKEN_ANSWERS)('a 200 with %s is a retryable ProviderError (chat), after one request', async (_name, failure) => {
      const before = harness.requests().length;
      harness.fail(failure);
      const error = await caught(harness.manager.generateResponse(request(conversation()), context()));
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).retryable).toBe(true);
      expect((error as ProviderError).model).toBe(harness.modelId);
      expect((error as Error).message).not.toMatch(BROKEN_BODY_TEXT);
      expect(harness.requests().length - before).toBe(1);
    });

    it.each(BROKEN_ANSWERS)('a 200 with %s is a retryable ProviderError (stream), with no delta', async (_name, failure) => {
      harness.fail(failure);
      const deltas: unknown[] = [];
      const error = await caught(
        (async () => {
          for await (const part of harness.manager.streamResponse(request(conversation()), context())) if (part.type === 'text-delta') deltas.push(part.text);
        })(),
      );
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).retryable).toBe(true);
      expect((error as Error).message).not.toMatch(BROKEN_BODY_TEXT);
      expect(deltas).toEqual([]);
    });

    it('a JSON answer over limits.maxResponseBytes is a non-retryable ProviderError naming the limit', async () => {
      harness.fail({ kind: 'huge', bytes: DEFAULT_RESPONSE_LIMITS.maxResponseBytes + 1 });
      const error = await caught(harness.manager.generateResponse(request(conversation()), context()));
      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({ retryable: false, provider: harness.manager.provider, model: harness.modelId });
      expect((error as Error).message).toContain('limits.maxResponseBytes');
      expect((error as Error).message).not.toContain('aaaa');
    });

    it('a stream event (or line) over limits.maxEventBytes is a non-retryable ProviderError naming the limit', async () => {
      harness.fail({ kind: 'huge', bytes: DEFAULT_RESPONSE_LIMITS.maxEventBytes + 1 });
      const error = await caught(collect(harness.manager.streamResponse(request(conversation()), context())));
      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({ retryable: false, model: harness.modelId });
      expect((error as Error).message).toContain('limits.maxEventBytes');
    });

    it('every supported parameter reaches the wire with its value', async () => {
      const params: CallParams = {};
      for (const key of harness.supportedParams) (params as Record<string, unknown>)[key] = PARAM_VALUES[key as keyof typeof PARAM_VALUES];
      harness.reply({ text: 'ok', usage: { inputTokens: 1, outputTokens: 1 } });
      await harness.manager.generateResponse(request(conversation(), params), context());
      const sent = harness.paramsOnWire(harness.requests()[harness.requests().length - 1]!);
      for (const key of harness.supportedParams) expect({ [key]: sent[key] }).toEqual({ [key]: params[key] });
    });

    it('every parameter it cannot carry is refused by name, JSON and streamed, before any request', async () => {
      for (const key of harness.refusedParams ?? []) {
        const before = harness.requests().length;
        const asked = request(conversation(), { [key]: PARAM_VALUES[key as keyof typeof PARAM_VALUES] });
        const json = await caught(harness.manager.generateResponse(asked, context()));
        // Some managers refuse as streamResponse is called, others at the first read: both count.
        const streamed = await caught((async () => collect(harness.manager.streamResponse(asked, context())))());
        for (const error of [json, streamed]) {
          expect(error).toBeInstanceOf(UnsupportedCapabilityError);
          expect({ key, capability: (error as UnsupportedCapabilityError).capability }).toEqual({ key, capability: `params.${key}` });
        }
        expect({ key, requests: harness.requests().length }).toEqual({ key, requests: before });
      }
    });

    it('a stream that dies mid-way throws StreamInterruptedError with the partial text', async () => {
      if (!harness.dieMidStream) return;
      const chunks = ['one ', 'two ', 'three ', 'four'];
      harness.dieMidStream({ text: chunks.join(''), chunks, usage: { inputTokens: 4, outputTokens: 4 } }, 2);
      const received: string[] = [];
      const error = await caught(
        (async () => {
          for await (const part of harness.manager.streamResponse(request(conversation()), context())) {
            if (part.type === 'text-delta') received.push(part.text);
          }
        })(),
      );
      expect(error).toBeInstanceOf(StreamInterruptedError);
      expect((error as StreamInterruptedError).partialText).toBe('one two ');
      expect(received.join('')).toBe('one two ');
    });
  });
}

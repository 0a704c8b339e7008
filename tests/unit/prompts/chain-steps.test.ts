import { describe, expect, it } from '@jest/globals';
import { ChatPromptTemplate, InvalidRequestError, MAX_CHAIN_STEPS, PromptTemplate, ProviderError, RateLimitError, StreamInterruptedError, UnsupportedCapabilityError } from '../../../src/index.js';
import { chainTotals } from '../../../src/prompts/chain.js';
import { checkRunVariables, checkSteps, stepMessages } from '../../../src/prompts/chain-steps.js';
import { withContext } from '../../../src/prompts/error-context.js';
import type { GenerateResult } from '../../../src/core/types.js';

const limits = { maxIdLength: 256 };

function refusal(run: () => unknown): InvalidRequestError {
  try {
    run();
  } catch (error) {
    expect(InvalidRequestError.isInstance(error)).toBe(true);
    return error as InvalidRequestError;
  }
  throw new Error('expected an InvalidRequestError');
}

const two = [
  { prompt: new PromptTemplate('Translate to French: {text}'), model: 'openai:gpt-4o-mini', outputKey: 'french' },
  { prompt: 'Translate from French to German: {french} ({tone})', bot: 'translator', outputKey: 'german', params: { temperature: 0 } },
];

describe('chain steps', () => {
  it('parses string prompts, keeps templates, and knows which variables come from run()', () => {
    const steps = checkSteps(two, limits);
    expect(steps.map((step) => [step.outputKey, step.target, step.fromRun])).toEqual([
      ['french', { kind: 'model', value: 'openai:gpt-4o-mini' }, ['text']],
      ['german', { kind: 'bot', value: 'translator' }, ['tone']],
    ]);
    expect(steps[0]!.prompt).toBe(two[0]!.prompt);
    expect(steps[1]!.prompt).toBeInstanceOf(PromptTemplate);
    expect(steps[1]!.params).toEqual({ temperature: 0 });
  });

  it('refuses a malformed chain, naming the step and field', () => {
    const base = { prompt: 'x', model: 'fake:echo', outputKey: 'out' };
    expect(refusal(() => checkSteps([], limits)).message).toMatch(/non-empty array of at most 64 steps/);
    expect(refusal(() => checkSteps(Array.from({ length: MAX_CHAIN_STEPS + 1 }, (_, i) => ({ ...base, outputKey: `o${i}` })), limits)).message).toMatch(/at most 64/);
    expect(refusal(() => checkSteps([{ ...base, prompt: undefined }], limits)).message).toBe('steps[0].prompt must be template text (a non-empty string), a PromptTemplate or a ChatPromptTemplate');
    expect(refusal(() => checkSteps([{ ...base, prompt: '' }], limits)).message).toMatch(/steps\[0\]\.prompt/);
    expect(refusal(() => checkSteps([{ ...base, prompt: { template: '{x}' } }], limits)).message).toMatch(/steps\[0\]\.prompt/);
    expect(refusal(() => checkSteps([{ prompt: 'x', outputKey: 'out' }], limits)).message).toMatch(/^steps\[0\] must name exactly one target/);
    expect(refusal(() => checkSteps([{ ...base, bot: 'b' }], limits)).message).toMatch(/^steps\[0\] must name exactly one target.*not model and bot$/);
    expect(refusal(() => checkSteps([base, { ...base, outputKey: 'two', sessionId: '' , model: undefined }], limits)).message).toBe('steps[1].sessionId must be a non-empty string');
    expect(refusal(() => checkSteps([{ ...base, model: 'x'.repeat(300) }], limits)).message).toMatch(/steps\[0\]\.model is longer than 256/);
    for (const key of ['1st', 'has-dash', 'a.b', '', 'x'.repeat(65), 7]) {
      expect(refusal(() => checkSteps([{ ...base, outputKey: key }], limits)).message).toMatch(/^steps\[0\]\.outputKey must be a variable name/);
    }
    expect(refusal(() => checkSteps([base, { ...base }], limits)).message).toBe('steps[1].outputKey "out" is already the outputKey of steps[0]; each step needs its own');
    expect(refusal(() => checkSteps([{ ...base, params: { temprature: 1 } }], limits)).message).toMatch(/^steps\[0\]\.params\.temprature is not a known parameter/);
    expect(refusal(() => checkSteps([{ ...base, tools: [] }], limits)).message).toMatch(/^steps\[0\] has an unknown field "tools"/);
    expect(refusal(() => checkSteps([null], limits)).message).toMatch(/^steps\[0\] must be an object/);
  });

  it("refuses a step that uses its own or a later step's output", () => {
    expect(refusal(() => checkSteps([{ prompt: 'again {out}', model: 'fake:a', outputKey: 'out' }], limits)).message).toBe(
      'steps[0] ("out") uses the variable "out", its own output; a step sees only earlier steps\' outputs',
    );
    const later = [
      { prompt: 'first {second}', model: 'fake:a', outputKey: 'first' },
      { prompt: 'second', model: 'fake:a', outputKey: 'second' },
    ];
    expect(refusal(() => checkSteps(later, limits)).message).toBe('steps[0] ("first") uses the variable "second", the output of steps[1], a later step; a step sees only earlier steps\' outputs');
  });

  it('checks run() variables against every step before any call', () => {
    const steps = checkSteps(two, limits);
    const scope = checkRunVariables(steps, { text: 'Hello', tone: 3, extra: { ignored: true } });
    expect(Object.getPrototypeOf(scope)).toBeNull();
    expect({ ...scope }).toEqual({ text: 'Hello', tone: 3 });
    expect(refusal(() => checkRunVariables(steps, { text: 'Hello' })).message).toBe(
      'steps[1] ("german") uses the variable "tone": give it to run(), or name an earlier step\'s outputKey',
    );
    expect(refusal(() => checkRunVariables(steps, {})).message).toMatch(/^steps\[0\] \("french"\) uses the variable "text"/);
    expect(refusal(() => checkRunVariables(steps, undefined)).message).toMatch(/^steps\[0\] \("french"\) uses the variable "text"/);
    const typed = refusal(() => checkRunVariables(steps, { text: 'Hello', tone: { secret: 'sk-live-0123456789' } }));
    expect(typed.message).toBe('steps[1] ("german"): the variable "tone" must be a string or a finite number, not an object');
    expect(refusal(() => checkRunVariables(steps, { text: 'a', tone: 'b', french: 'c' })).message).toBe(
      'The variable "french" given to run() is also the outputKey of steps[0] ("french"); rename one of them',
    );
    expect(refusal(() => checkRunVariables(steps, 'Hello')).message).toMatch(/take an object of variables/);
    // Inherited names are not values.
    expect(refusal(() => checkRunVariables(checkSteps([{ prompt: '{constructor}', model: 'fake:a', outputKey: 'o' }], limits), {})).message).toMatch(/"constructor"/);
  });

  it('turns a prompt into one user message, and a chat template into its conversation', () => {
    const [first] = checkSteps(two, limits);
    expect(stepMessages(first!, { text: 'Hi {there}' })).toEqual([{ role: 'user', content: 'Translate to French: Hi {there}' }]);
    const chat = new ChatPromptTemplate([
      { role: 'system', content: 'You translate {{literally}}.' },
      { role: 'user', content: '{text}' },
    ]);
    const [step] = checkSteps([{ prompt: chat, model: 'fake:a', outputKey: 'o' }], limits);
    expect(stepMessages(step!, { text: 'Hello' })).toEqual([
      { role: 'system', content: 'You translate {literally}.' },
      { role: 'user', content: 'Hello' },
    ]);
  });
});

describe('chain totals', () => {
  const result = (usage: GenerateResult['usage'], costUsd: number | null) => ({ usage, costUsd }) as GenerateResult;

  it('sums usage (optional parts only when present) and cost', () => {
    const totals = chainTotals([
      result({ inputTokens: 10, outputTokens: 5, totalTokens: 15, cacheReadTokens: 4 }, 0.1),
      result({ inputTokens: 20, outputTokens: 7, totalTokens: 27, reasoningTokens: 3 }, 0.2),
    ]);
    expect(totals.usage).toEqual({ inputTokens: 30, outputTokens: 12, totalTokens: 42, cacheReadTokens: 4, reasoningTokens: 3 });
    expect(totals.costUsd).toBe(0.3);
  });

  it('is null for the cost as soon as one step has no price', () => {
    expect(chainTotals([result({ inputTokens: 1, outputTokens: 1, totalTokens: 2 }, 0.5), result({ inputTokens: 1, outputTokens: 1, totalTokens: 2 }, null)]).costUsd).toBeNull();
  });
});

describe('withContext', () => {
  it('keeps the class, code, fields and cause, and only prefixes the message', () => {
    const cause = new Error('socket hang up');
    const original = new ProviderError('openai:gpt-4o-mini answered 500', { status: 500, provider: 'openai', model: 'gpt-4o-mini', retryable: true, cause });
    const wrapped = withContext(original, 'Chain step 1 ("german") failed');
    expect(wrapped).toBeInstanceOf(ProviderError);
    expect(ProviderError.isInstance(wrapped)).toBe(true);
    expect(wrapped).not.toBe(original);
    expect(wrapped.message).toBe('Chain step 1 ("german") failed: openai:gpt-4o-mini answered 500');
    expect(original.message).toBe('openai:gpt-4o-mini answered 500');
    expect(wrapped).toMatchObject({ code: 'provider_error', status: 500, provider: 'openai', model: 'gpt-4o-mini', retryable: true, name: 'ProviderError' });
    expect((wrapped.cause as Error).message).toBe('socket hang up');
    expect(wrapped.stack!.split('\n')[0]).toBe('ProviderError: Chain step 1 ("german") failed: openai:gpt-4o-mini answered 500');
    expect(wrapped.toJSON()).toEqual({ ...original.toJSON(), message: wrapped.message });
  });

  it('keeps the fields of every kind of error', () => {
    const limited = withContext(new RateLimitError('slow down', { retryAfterMs: 1500, kind: 'quota' }), 'step');
    expect(limited).toMatchObject({ code: 'rate_limit', retryAfterMs: 1500, kind: 'quota', retryable: false });
    const interrupted = withContext(new StreamInterruptedError('cut', { partialText: 'Hal' }), 'step');
    expect(interrupted.partialText).toBe('Hal');
    const inner = new UnsupportedCapabilityError('vision', 'no images');
    const refused = withContext(new InvalidRequestError('No model of this call takes images', { cause: inner }), 'step');
    expect(UnsupportedCapabilityError.isInstance(refused.cause)).toBe(true);
  });
});

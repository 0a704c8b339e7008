/**
 * Fitting a request into a candidate's context window (src/pipeline/context-fit.ts): the window check
 * by estimate, the exact count near the limit, and history trimming oldest turn first with the system
 * prompt, the newest turn and tool call + result pairs kept.
 */
import { describe, expect, it } from '@jest/globals';
import { ContextLengthError } from '../../../src/core/errors.js';
import type { ChatMessage, ChatRequest, ModelInfo } from '../../../src/core/types.js';
import type { TokenMeasure } from '../../../src/managers/base-llm-manager.js';
import { fitRequest, type HistoryWindow } from '../../../src/pipeline/context-fit.js';
import { estimateMessageTokens } from '../../../src/resilience/input-limits.js';

const info = (contextWindow?: number, maxOutputTokens?: number): ModelInfo => ({
  id: 'p:m',
  provider: 'p',
  model: 'm',
  contextWindow,
  maxOutputTokens,
  capabilities: { streaming: true, tools: true, vision: false, json: true, reasoning: false },
  local: false,
});
const request = (messages: ChatMessage[], maxTokens?: number): ChatRequest => ({ messages, params: maxTokens === undefined ? {} : { maxTokens }, operation: 'chat' });
const noMeasure = async (): Promise<TokenMeasure | undefined> => undefined;
/** A message of about `tokens` estimated tokens (4 characters each, less the per-message overhead). */
const words = (tokens: number) => 'w'.repeat((tokens - 4) * 4);

describe('fitRequest', () => {
  it('refuses a prompt larger than the window less maxTokens, naming the model and the window', async () => {
    // 3,600 characters = 900 tokens + 4 overhead = 904; with maxTokens 100 that is 1,004 > 1,000.
    const messages: ChatMessage[] = [{ role: 'user', content: 'y'.repeat(3_600) }];
    await expect(fitRequest(request(messages, 96), info(1_000), 'p:m', undefined, noMeasure)).resolves.toMatchObject({ inputTokens: 904, exact: false });
    const error = await fitRequest(request(messages, 100), info(1_000), 'p:m', undefined, noMeasure).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ContextLengthError);
    expect((error as Error).message).toMatch(/p:m: the prompt is about 904 tokens plus 100 reserved for the answer, more than the model's context window of 1000 tokens/);
    expect((error as ContextLengthError).model).toBe('m');
  });

  it('skips the check when the window is unknown, and trusts an estimate far below the window', async () => {
    const messages: ChatMessage[] = [{ role: 'user', content: 'y'.repeat(80_000) }];
    let measured = 0;
    const measure = async () => {
      measured++;
      return undefined;
    };
    await fitRequest(request(messages, 100_000), info(undefined), 'p:m', undefined, measure);
    await fitRequest(request([{ role: 'user', content: 'short' }]), info(128_000), 'p:m', undefined, measure);
    expect(measured).toBe(0);
  });

  it('near the window the provider\'s exact count decides (and the message says so)', async () => {
    const messages: ChatMessage[] = [{ role: 'user', content: '一二三四五六七八九十'.repeat(50) }]; // 500 chars: estimate 129
    const exact = async (): Promise<TokenMeasure> => ({ perMessage: [503], fixed: 3, exact: true });
    const error = await fitRequest(request(messages), info(400), 'p:m', undefined, exact).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ContextLengthError);
    expect((error as Error).message).toContain('exactly 506 tokens');
  });

  it('a 300-token window with long turns: oldest turns go first, system and newest turn stay, tool pairs are never split', async () => {
    const history: ChatMessage[] = [
      { role: 'user', content: `first ${words(60)}` },
      { role: 'assistant', content: `answer one ${words(60)}` },
      { role: 'user', content: 'look it up' },
      { role: 'assistant', content: null, toolCalls: [{ id: 'c1', name: 'find', arguments: `{"q":"${words(30)}"}` }] },
      { role: 'tool', toolCallId: 'c1', content: words(40) },
      { role: 'assistant', content: `found ${words(20)}` },
      { role: 'user', content: `third ${words(30)}` },
      { role: 'assistant', content: `answer three ${words(30)}` },
    ];
    const messages: ChatMessage[] = [{ role: 'system', content: 'Be brief.' }, ...history, { role: 'user', content: `newest ${words(50)}` }];
    const window: HistoryWindow = { start: 1, end: 1 + history.length };
    const fitted = await fitRequest(request(messages, 50), info(300), 'p:m', window, noMeasure);
    const sent = fitted.request.messages;
    expect(sent[0]).toEqual(messages[0]);
    expect(sent.at(-1)).toEqual(messages.at(-1));
    expect(fitted.inputTokens).toBeLessThanOrEqual(250);
    // Whole turns went, oldest first: what is left of the history is a suffix that starts at a user message.
    const kept = sent.slice(1, -1);
    expect(kept).toEqual(history.slice(history.length - kept.length));
    expect(kept[0]?.role ?? 'user').toBe('user');
    const callKept = kept.some((message) => message.role === 'assistant' && message.toolCalls);
    const resultKept = kept.some((message) => message.role === 'tool');
    expect(callKept).toBe(resultKept);
    expect(fitted.historyTrimmed + fitted.historySent).toBe(history.length);
    expect(fitted.historyTrimmed).toBeGreaterThan(0);
    // The sizes add up: what was sent fits, and one more turn would not have.
    expect(sent.reduce((sum, message) => sum + estimateMessageTokens(message), 0)).toBe(fitted.inputTokens);
  });

  it('memory.maxTokens caps the history even when the window has room', async () => {
    const history: ChatMessage[] = [
      { role: 'user', content: words(100) },
      { role: 'assistant', content: words(100) },
      { role: 'user', content: words(20) },
      { role: 'assistant', content: words(20) },
    ];
    const messages: ChatMessage[] = [...history, { role: 'user', content: 'now' }];
    const fitted = await fitRequest(request(messages), info(128_000), 'p:m', { start: 0, end: 4, maxTokens: 100 }, noMeasure);
    expect(fitted.request.messages).toEqual([history[2], history[3], messages[4]]);
    expect(fitted).toMatchObject({ historySent: 2, historyTrimmed: 2 });
  });

  it('when even the system prompt and the newest turn do not fit: ContextLengthError before any call', async () => {
    const messages: ChatMessage[] = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: words(50) }, { role: 'assistant', content: 'ok' }, { role: 'user', content: words(400) }];
    const error = await fitRequest(request(messages), info(300), 'p:m', { start: 1, end: 3 }, noMeasure).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ContextLengthError);
    expect((error as Error).message).toContain('without its stored history');
  });
});

describe('fitRequest with a tool result as the new turn', () => {
  it('keeps the stored turn whose call the new tool result answers', async () => {
    const messages: ChatMessage[] = [
      { role: 'user', content: words(200) },
      { role: 'assistant', content: words(200) },
      { role: 'user', content: 'look it up' },
      { role: 'assistant', content: null, toolCalls: [{ id: 'c1', name: 'find', arguments: '{}' }] },
      { role: 'tool', toolCallId: 'c1', content: 'found' },
    ];
    const fitted = await fitRequest(request(messages), info(300), 'p:m', { start: 0, end: 4 }, noMeasure);
    expect(fitted.request.messages).toEqual(messages.slice(2));
  });
});

describe('fitRequest with a whole-prompt count', () => {
  it('keeps the exact total and trims by the messages\' estimates', async () => {
    const messages: ChatMessage[] = [{ role: 'user', content: words(100) }, { role: 'assistant', content: words(100) }, { role: 'user', content: words(50) }];
    // The model counts 290 tokens for the whole prompt: over a 300-token window less 50 for the answer.
    const whole = async (): Promise<TokenMeasure> => ({ perMessage: [], fixed: 290, exact: true });
    const fitted = await fitRequest(request(messages, 50), info(300), 'p:m', { start: 0, end: 2 }, whole);
    expect(fitted.request.messages).toEqual([messages[2]]);
    expect(fitted.inputTokens).toBe(90);
    expect(fitted.exact).toBe(true);
  });
});

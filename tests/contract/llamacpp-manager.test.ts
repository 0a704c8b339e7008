/**
 * LlamaCppManager's side of the manager contract, generating for real with node-llama-cpp on a tiny
 * GGUF written at test time. The shared runManagerContract drives a fake server whose answers are
 * scripted; an in-process model cannot be scripted (random weights write noise), so this file pins
 * the same promises on the real thing: results with exact usage and finish reasons, streams whose
 * deltas join to the text with one finish last, prompt aborts (running and queued), parameters
 * honoured, and typed errors.
 *
 * Rich messages: the shared rich contract runs against the harness of llamacpp-harness.ts (the real
 * model, its answers steered to the script). llama.cpp's own rich behaviour is in
 * tests/integration/llamacpp-tools.test.ts and llamacpp-structured.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbortError, ContextLengthError, InvalidRequestError, RateLimitError } from '../../src/core/errors.js';
import type { CallParams, ManagedStreamPart, ProviderRequest } from '../../src/core/types.js';
import { LlamaCppManager } from '../../src/managers/llamacpp/llamacpp-manager.js';
import { makeManagerDeps } from '../helpers/manager-deps.js';
import { writeTinyGguf } from '../helpers/tiny-gguf.js';
import { llamaRichHarness } from './llamacpp-harness.js';
import { runRichContract } from './rich-contract.js';

function request(params: CallParams, content = 'Hi there', operation: ProviderRequest['operation'] = 'chat'): ProviderRequest {
  return { modelId: 'tiny', operation, params, messages: [{ role: 'user', content }] };
}

async function collect(stream: AsyncIterable<ManagedStreamPart>): Promise<{ deltas: string[]; finish: Extract<ManagedStreamPart, { type: 'finish' }> }> {
  const deltas: string[] = [];
  let finish: Extract<ManagedStreamPart, { type: 'finish' }> | undefined;
  for await (const part of stream) {
    if (part.type === 'text-delta') deltas.push(part.text);
    else if (part.type === 'finish') finish = part;
  }
  if (!finish) throw new Error('stream ended without finish');
  return { deltas, finish };
}

describe('LlamaCppManager generation on a tiny GGUF', () => {
  let dir: string;
  let manager: LlamaCppManager;
  const context = () => ({ signal: new AbortController().signal });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-llama-'));
    // A long context, so an unbounded generation runs for seconds and an abort lands mid-way.
    await writeTinyGguf(join(dir, 'tiny.gguf'), { seed: 1, contextLength: 4096 });
    // One thread: on a busy 2-core machine two llama.cpp threads spin against each other and a
    // 40-token run swings from 0.1 s to 2 s; one thread takes ~20 ms (the default is covered elsewhere).
    manager = new LlamaCppManager(makeManagerDeps(), { modelsDir: dir, threads: 1, gpu: false, contextSize: 0, pricing: { tiny: { inputPerMTok: 2, outputPerMTok: 4 } } }, { maxWaitingCalls: 1 });
  });

  afterAll(async () => {
    await manager.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('generates through the chat template with exact usage and finish reason length at maxTokens', async () => {
    const result = await manager.generateResponse(request({ maxTokens: 8, temperature: 0 }), context());
    expect(result.finishReason).toBe('length');
    expect(result.usage.outputTokens).toBe(8);
    expect(result.usageReported).toBe(true);
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.responseModel).toBe('tiny');
    // The sequence holds the prompt plus every output token but the last (never fed back): the
    // evaluation itself confirms the prompt count taken with the tokenizer.
    const loaded = await manager.getModel('tiny');
    // Rendered through the template stored in the GGUF (tokenizer.chat_template).
    expect(loaded.chatWrapper.wrapperName).toBe('JinjaTemplate');
    expect(loaded.sequence.nextTokenIndex).toBe(result.usage.inputTokens + result.usage.outputTokens - 1);
    expect(result.usage.totalTokens).toBe(result.usage.inputTokens + 8);
    expect(result.costUsd).toBeCloseTo((result.usage.inputTokens * 2 + 8 * 4) / 1e6, 12);
  });

  it('renders longer conversations into more prompt tokens, and each request starts fresh', async () => {
    const short = await manager.generateResponse(request({ maxTokens: 2, temperature: 0 }), context());
    const long = await manager.generateResponse(
      { modelId: 'tiny', operation: 'chat', params: { maxTokens: 2, temperature: 0 }, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi there' }, { role: 'assistant', content: 'Hello.' }, { role: 'user', content: 'Hi there' }] },
      context(),
    );
    expect(long.usage.inputTokens).toBeGreaterThan(short.usage.inputTokens);
    const again = await manager.generateResponse(request({ maxTokens: 2, temperature: 0 }), context());
    expect(again.usage).toEqual(short.usage);
    expect(again.text).toBe(short.text);
  });

  it('streams deltas that join to the same greedy text, then one finish with usage', async () => {
    const whole = await manager.generateResponse(request({ maxTokens: 12, temperature: 0 }), context());
    const { deltas, finish } = await collect(manager.streamResponse(request({ maxTokens: 12, temperature: 0 }), context()));
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(finish.result.text);
    expect(finish.result.text).toBe(whole.text);
    expect(finish.result.usage).toEqual(whole.usage);
    expect(finish.result.finishReason).toBe('length');
  });

  it('stops at a stop sequence with finish reason stop and fewer output tokens', async () => {
    const free = await manager.generateResponse(request({ maxTokens: 60, temperature: 0 }), context());
    // Random weights write mostly odd bytes; take the first two printable characters after the start.
    const match = /[!-~]{2}/.exec(free.text.slice(1));
    expect(match).not.toBeNull();
    const trigger = match![0];
    const stopped = await manager.generateResponse(request({ maxTokens: 60, temperature: 0, stop: [trigger] }), context());
    expect(stopped.finishReason).toBe('stop');
    expect(stopped.text).toBe(free.text.slice(0, free.text.indexOf(trigger)));
    expect(stopped.usage.outputTokens).toBeLessThan(60);
  });

  it('honours temperature and seed: the same seed repeats, another seed differs', async () => {
    const first = await manager.generateResponse(request({ maxTokens: 16, temperature: 0.9, seed: 11 }), context());
    const same = await manager.generateResponse(request({ maxTokens: 16, temperature: 0.9, seed: 11 }), context());
    const other = await manager.generateResponse(request({ maxTokens: 16, temperature: 0.9, seed: 12 }), context());
    expect(same.text).toBe(first.text);
    expect(other.text).not.toBe(first.text);
  });

  it('aborts a stream mid-way with AbortError', async () => {
    const controller = new AbortController();
    const deltas: string[] = [];
    const failure = await (async () => {
      for await (const part of manager.streamResponse(request({ maxTokens: 200, temperature: 0 }), { signal: controller.signal })) {
        if (part.type === 'text-delta') {
          deltas.push(part.text);
          if (deltas.length === 2) controller.abort();
        }
      }
    })().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AbortError);
    expect(deltas.length).toBeGreaterThanOrEqual(2);
    // The model is free again for the next call.
    const after = await manager.generateResponse(request({ maxTokens: 2, temperature: 0 }), context());
    expect(after.usage.outputTokens).toBe(2);
  });

  it('aborts a running generation promptly with AbortError', async () => {
    const controller = new AbortController();
    const pending = manager.generateResponse(request({ temperature: 0 }), { signal: controller.signal }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const abortedAt = performance.now();
    controller.abort();
    expect(await pending).toBeInstanceOf(AbortError);
    expect(performance.now() - abortedAt).toBeLessThan(2_000);
  });

  it('aborts a call waiting for its turn without disturbing the one running', async () => {
    const running = manager.generateResponse(request({ maxTokens: 40, temperature: 0 }), context());
    const controller = new AbortController();
    const waiting = manager.generateResponse(request({ maxTokens: 40, temperature: 0 }), { signal: controller.signal }).catch((error: unknown) => error);
    const { queue } = await manager.getModel('tiny');
    while (queue.waiting === 0) await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    expect(queue.waiting).toBe(0);
    expect(await waiting).toBeInstanceOf(AbortError);
    expect((await running).usage.outputTokens).toBe(40);
  });

  it('rejects a maxTokens that is not a positive whole number', async () => {
    await expect(manager.generateResponse(request({ maxTokens: 0 }), context())).rejects.toBeInstanceOf(InvalidRequestError);
  });

  it('serialises calls per model and bounds the waiting ones', async () => {
    const calls = [0, 1, 2].map(() => manager.generateResponse(request({ maxTokens: 6, temperature: 0 }), context()).catch((error: unknown) => error));
    const [first, second, third] = await Promise.all(calls);
    expect((first as { usage: { outputTokens: number } }).usage.outputTokens).toBe(6);
    expect((second as { text: string }).text).toBe((first as { text: string }).text);
    expect(third).toBeInstanceOf(RateLimitError);
  });

  it('rejects a prompt that does not fit the context with ContextLengthError', async () => {
    const failure = await manager.generateResponse(request({ maxTokens: 4 }, 'hello world '.repeat(2500)), context()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ContextLengthError);
    expect((failure as Error).message).toContain('providers.llamacpp.contextSize');
  });

  it('serves a loaded model without looking its file up on every call (calls keep their arrival order)', async () => {
    await manager.generateResponse(request({ maxTokens: 1, temperature: 0 }), context());
    // With the file gone, only the weights already in memory can answer: no per-call file-system look-up,
    // whose answers may come back out of order and let a later call overtake an earlier one.
    await rename(join(dir, 'tiny.gguf'), join(dir, 'moved.bin'));
    try {
      const result = await manager.generateResponse(request({ maxTokens: 2, temperature: 0 }), context());
      expect(result.usage.outputTokens).toBe(2);
    } finally {
      await rename(join(dir, 'moved.bin'), join(dir, 'tiny.gguf'));
    }
  });
});

runRichContract('llamacpp', llamaRichHarness);

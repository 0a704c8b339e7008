/**
 * `sb.countTokens` for a local GGUF model (API.md "Sessions"): exact, from the model's own tokenizer
 * over the rendered chat template, so it equals the prompt tokens node-llama-cpp evaluates for a call
 * (the call's reported input usage).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSwitchboard } from '../../src/create-switchboard.js';
import { silentLogger } from '../../src/core/logger.js';
import type { ChatMessage } from '../../src/core/types.js';
import type { Switchboard } from '../../src/switchboard.js';
import { writeTinyGguf } from '../helpers/tiny-gguf.js';

describe('llamacpp: countTokens', () => {
  let dir: string;
  let sb: Switchboard;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-count-'));
    await writeTinyGguf(join(dir, 'tiny.gguf'), { seed: 5, contextLength: 512 });
    sb = await createSwitchboard({ env: {}, config: { telemetry: { logLevel: 'silent' }, providers: { llamacpp: { modelsDir: dir, threads: 1 } } }, logger: silentLogger });
  });
  afterAll(async () => {
    await sb?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('equals the prompt tokens the model evaluates for the same conversation', async () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hello there, how are you today?' },
    ];
    const counted = await sb.countTokens({ model: 'llamacpp:tiny', messages });
    expect(counted.exact).toBe(true);
    expect(counted.inputTokens).toBeGreaterThan(5);
    const result = await sb.chat({ model: 'llamacpp:tiny', messages, params: { maxTokens: 4, seed: 1 }, cache: false });
    expect(result.usage.inputTokens).toBe(counted.inputTokens);
    const longer = await sb.countTokens({ model: 'llamacpp:tiny', messages: [...messages, { role: 'assistant', content: 'fine' }, { role: 'user', content: 'and now?' }] });
    expect(longer.inputTokens).toBeGreaterThan(counted.inputTokens);
  });
});

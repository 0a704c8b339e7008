import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import ts from 'typescript';
import type { AdapterFactory } from '../../../src/adapters/adapter.js';
import { AdapterManager } from '../../../src/adapters/adapter-manager.js';
import { randomChunks, seededRandom } from './chunking.js';

/** The "Writing an adapter" example of docs/adapters.md, compiled and run as written. */
async function runDocsExample(manager: AdapterManager): Promise<{ factory: AdapterFactory; sessionId: string; lines: number }> {
  const markdown = readFileSync(new URL('../../../docs/adapters.md', import.meta.url), 'utf8');
  const section = markdown.slice(markdown.indexOf('## Writing an adapter'));
  const code = /```ts\n([\s\S]*?)```/.exec(section)![1]!;
  const js = ts.transpileModule(code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText.replace(/^export \{\};?$/m, '');
  const sb = { adapters: manager, sessions: { start: async () => ({ id: 'session-1' }) } };
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (sb: unknown) => Promise<unknown>;
  const run = new AsyncFunction('sb', `${js}\nreturn { factory: profanityMask, sessionId: session.id };`);
  const result = (await run(sb)) as { factory: AdapterFactory; sessionId: string };
  return { ...result, lines: code.trimEnd().split('\n').length };
}

const context = { metadata: {}, model: 'openai:gpt-4o-mini' };

describe('docs/adapters.md example', () => {
  it('is under 40 lines, registers, activates for a bot and a session, and streams like whole text', async () => {
    const manager = new AdapterManager();
    const { factory, sessionId, lines } = await runDocsExample(manager);
    expect(lines).toBeLessThan(40);
    expect(manager.activeFor({ bot: 'kids' })).toEqual(['profanity-mask']);
    expect(manager.activeFor({ bot: 'support', sessionId })).toEqual(['profanity-mask']);
    expect(() => factory({ symbol: '##' })).toThrow(/options.symbol must be one character/);

    const text = 'Oh heck, the darn printer; heckle the blaster, blast it! darn_it stays.';
    const expected = 'Oh ****, the **** printer; heckle the blaster, ***** it! darn_it stays.';
    const chain = manager.chainFor({ bot: 'kids' });
    expect(await chain.transformOutput(text, context)).toBe(expected);
    expect(await manager.chainFor({ sessionId }).transformOutput('darn', context)).toBe('####');
    const random = seededRandom(40);
    for (let round = 0; round < 100; round++) {
      const pipeline = chain.createStreamPipeline(context);
      let output = '';
      for (const chunk of randomChunks(text, random, 8)) output += pipeline.push(chunk);
      expect(output + (await pipeline.flush())).toBe(expected);
    }
  });
});

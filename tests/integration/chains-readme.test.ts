/**
 * The README's "Prompt templates and chains" example, compiled and run as written (its import line
 * aside) against a switchboard whose openai provider is the loopback fake behind the real SDK.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import ts from 'typescript';
import { ChatPromptTemplate, createSwitchboard, PromptTemplate, type Switchboard } from '../../src/index.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';

/** The example's code, transpiled to JavaScript without its import of the package. */
function readmeExample(): string {
  const markdown = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = markdown.slice(markdown.indexOf('### Prompt templates and chains'));
  const code = /```ts\n([\s\S]*?)```/.exec(section)![1]!;
  expect(code).toContain("from 'llm-switchboard'");
  const body = code.replace(/^import .* from 'llm-switchboard';$/m, '');
  return ts.transpileModule(body, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText.replace(/^export \{\};?$/m, '');
}

describe('README "Prompt templates and chains"', () => {
  let server: FakeOpenAIServer;
  let sb: Switchboard;

  beforeAll(async () => {
    server = await FakeOpenAIServer.start();
    sb = await createSwitchboard({ config: { telemetry: { logLevel: 'silent' }, providers: { openai: { apiKey: 'sk-readme-test', baseURL: server.baseURL } } }, env: {} });
  });
  afterAll(async () => {
    await sb.close();
    await server.close();
  });

  it('runs as written: a template, a chat template, a session-metadata system prompt, a two-step chain run and stream', async () => {
    const logged: unknown[][] = [];
    let written = '';
    const fakeConsole = { log: (...args: unknown[]) => logged.push(args) };
    const fakeProcess = { stdout: { write: (text: string) => (written += text) } };
    const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...values: unknown[]) => Promise<void>;
    const run = new AsyncFunction('sb', 'PromptTemplate', 'ChatPromptTemplate', 'console', 'process', readmeExample());
    await run(sb, PromptTemplate, ChatPromptTemplate, fakeConsole, fakeProcess);

    // The fake echoes the last user message: `echo: <text>`.
    expect(logged[0]).toEqual([['concept', 'audience'], 'Explain RAG to a beginner. Answer as {"text": "..."}.']);
    expect(logged[1]).toEqual(['echo: What is 2+2?']);
    const [french, german, totalTokens, costUsd] = logged[2]!;
    expect(french).toBe('echo: Translate to French: Hello');
    expect(german).toBe('echo: Translate from French to German: echo: Translate to French: Hello');
    expect(totalTokens).toEqual(expect.any(Number));
    expect(totalTokens).toBeGreaterThan(0);
    expect(costUsd).toEqual(expect.any(Number)); // gpt-4o-mini has a catalog price
    expect(written).toBe('echo: Translate from French to German: echo: Translate to French: Good night');

    const bodies = server.requests.map((r) => r.body as { messages: Array<{ role: string; content: string }>; stream?: boolean });
    expect(bodies).toHaveLength(5);
    expect(bodies[0]!.messages).toEqual([
      { role: 'system', content: 'You teach maths.' },
      { role: 'user', content: 'What is 2+2?' },
    ]);
    // The session step: the translator's system prompt rendered from the session's metadata.
    expect(bodies[2]!.messages[0]).toEqual({ role: 'system', content: 'You translate for gold customers.' });
    expect(bodies[4]!.messages[0]).toEqual({ role: 'system', content: 'You translate for gold customers.' });
    expect(bodies.map((b) => b.stream === true)).toEqual([false, false, false, false, true]);
  });
});

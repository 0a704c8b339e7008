/**
 * The README's "YAML config, and a bot that picks its model by capability" example, run as written:
 * its YAML block is the config file, its code runs against the fake OpenAI and Anthropic servers (the
 * environment points the real SDKs at them), with the bundled catalog choosing the model.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import ts from 'typescript';
import { createSwitchboard, type CreateSwitchboardOptions } from '../../src/create-switchboard.js';
import type { BotConfig, GenerateResult } from '../../src/index.js';
import { FakeAnthropicServer } from '../helpers/fake-anthropic-server.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';

const OPENAI_KEY = 'sk-readme-openai-0123456789abcdef';
const ANTHROPIC_KEY = 'sk-ant-readme-0123456789abcdef';

/** The YAML and TypeScript blocks of the README section. */
function readmeExample(): { yaml: string; code: string } {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('### YAML config, and a bot that picks its model by capability');
  expect(start).toBeGreaterThan(0);
  const rest = readme.slice(start + 10);
  const section = readme.slice(start, start + 10 + rest.search(/\n#{2,3} /));
  return { yaml: /```yaml\n([\s\S]*?)```/.exec(section)![1]!, code: /```ts\n([\s\S]*?)```/.exec(section)![1]! };
}

let openai: FakeOpenAIServer;
let anthropic: FakeAnthropicServer;
const dir = mkdtempSync(join(tmpdir(), 'switchboard-readme-yaml-'));
beforeAll(async () => {
  openai = await FakeOpenAIServer.start({ apiKey: OPENAI_KEY });
  anthropic = await FakeAnthropicServer.start({ apiKey: ANTHROPIC_KEY });
});
afterAll(async () => {
  await openai.close();
  await anthropic.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('README: YAML config and a bot chosen by capability', () => {
  it('runs as written: the cheapest ready tools+vision model of the bundled catalog answers', async () => {
    const { yaml, code } = readmeExample();
    mkdirSync(join(dir, 'config'), { recursive: true });
    writeFileSync(join(dir, 'config', 'production.yaml'), yaml);
    const env = { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: openai.baseURL, ANTHROPIC_API_KEY: ANTHROPIC_KEY, ANTHROPIC_BASE_URL: anthropic.url };
    const inDir = (options: CreateSwitchboardOptions) => createSwitchboard({ ...options, cwd: dir, env, logger: { debug() {}, info() {}, warn() {}, error() {} } });
    const logs: unknown[][] = [];
    const js = ts.transpileModule(code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText.replace(/^export \{\};?$/m, '');
    const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...values: unknown[]) => Promise<unknown>;
    await new AsyncFunction('createSwitchboard', 'console', js)(inDir, { log: (...values: unknown[]) => logs.push(values) });

    const [[bot], [model, text]] = logs as [[BotConfig], [GenerateResult['model'], string]];
    expect(bot.modelChoice).toEqual({ capabilities: ['tools', 'vision'], providers: ['openai', 'anthropic'] });
    expect(model).toBe(bot.model);
    expect(text).toMatch(/What is on this screen\?/); // the fakes echo the question

    // The choice is the cheapest eligible model: checked against the same catalog, independently.
    const sb = await inDir({ configFile: 'config/production.yaml' });
    try {
      const eligible = sb.registry
        .listModels()
        .filter((info) => ['openai', 'anthropic'].includes(info.provider) && info.capabilities.tools && info.capabilities.vision && info.pricing && (info.kind ?? 'chat') === 'chat');
      const price = (id: string) => {
        const pricing = sb.registry.getModelInfo(id).pricing!;
        return pricing.inputPerMTok + pricing.outputPerMTok;
      };
      expect(eligible.length).toBeGreaterThan(1);
      for (const info of eligible) expect(price(bot.model)).toBeLessThanOrEqual(price(info.id));
      expect(bot.fallbacks!.length).toBeGreaterThan(0);
      for (let i = 1; i < bot.fallbacks!.length; i++) expect(price(bot.fallbacks![i - 1]!)).toBeLessThanOrEqual(price(bot.fallbacks![i]!));
    } finally {
      await sb.close();
    }
    // The answer came over the wire from the fake of the chosen provider, with its key.
    const server = bot.model.startsWith('openai:') ? openai : anthropic;
    expect(server.requests.some((request) => request.method === 'POST')).toBe(true);
  });
});

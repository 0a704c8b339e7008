import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLoadProgress } from '../../src/cli/load-progress.js';
import { runCli } from '../../src/cli/run-cli.js';
import type { CliIO, CliOutput } from '../../src/cli/cli-io.js';
import { FakeProvider } from '../../src/testing/index.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';
import { writeTinyGguf } from '../helpers/tiny-gguf.js';

/** An output that records each write. */
function collector(isTTY = false): CliOutput & { writes: string[]; text(): string } {
  const writes: string[] = [];
  return { isTTY, writes, write: (text: string) => writes.push(text), text: () => writes.join('') };
}

const dir = mkdtempSync(join(tmpdir(), 'switchboard-cli-'));
const CONFIG = join(dir, 'cli.json');
writeFileSync(
  CONFIG,
  JSON.stringify({
    models: {
      'fake:priced': { contextWindow: 8192, pricing: { inputPerMTok: 1, outputPerMTok: 2 } },
      'fake:old': { contextWindow: 4096, deprecated: { since: '2025-01-01', replacement: 'fake:priced' } },
    },
    bots: { helper: { model: 'fake:echo', system: 'Be helpful.', params: { temperature: 0.5 } } },
    resilience: { maxRetries: 0 },
  }),
);

interface Run {
  code: number;
  stdout: ReturnType<typeof collector>;
  stderr: ReturnType<typeof collector>;
  fake: FakeProvider;
}

/** Run the CLI in-process with a fresh FakeProvider (scripted by `setup`) and an empty environment. */
async function run(argv: string[], setup: (fake: FakeProvider) => void = () => undefined, io: Partial<CliIO> = {}): Promise<Run> {
  const fake = new FakeProvider();
  setup(fake);
  const stdout = collector();
  const stderr = collector();
  const code = await runCli(argv, { stdout, stderr, env: {}, cwd: dir, switchboard: { managers: [fake] }, ...io });
  return { code, stdout, stderr, fake };
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('switchboard chat', () => {
  it('streams the answer to stdout and prints usage and an unknown cost to stderr', async () => {
    const { code, stdout, stderr } = await run(['chat', '--config', CONFIG, '--model', 'fake:echo', 'hello there']);
    expect(code).toBe(0);
    expect(stdout.text()).toBe('hello there\n');
    expect(stderr.text()).toContain('model: fake:echo | finish: stop | attempts: 1');
    expect(stderr.text()).toContain('usage: 2 input + 2 output = 4 tokens');
    expect(stderr.text()).toContain('cost: unknown (unpriced model)');
  });

  it('writes each delta as it arrives and prices a catalog model', async () => {
    const { code, stdout, stderr } = await run(['chat', '--config', CONFIG, '--model', 'fake:priced', 'hi'], (fake) =>
      fake.reply('priced', { chunks: ['Hi', ' the', 're'], usage: { inputTokens: 1_000, outputTokens: 1_000 } }),
    );
    expect(code).toBe(0);
    expect(stdout.writes).toEqual(['Hi', ' the', 're', '\n']);
    expect(stderr.text()).toContain('usage: 1000 input + 1000 output = 2000 tokens');
    expect(stderr.text()).toContain('cost: $0.003\n');
  });

  it('sends --system, --temperature and --max-tokens to the provider', async () => {
    const { code, fake } = await run(['chat', '--config', CONFIG, '--model', 'fake:echo', '--system', 'Be terse.', '--temperature', '0.3', '--max-tokens', '12', 'two', 'words']);
    expect(code).toBe(0);
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]!.messages).toEqual([
      { role: 'system', content: 'Be terse.' },
      { role: 'user', content: 'two words' },
    ]);
    expect(fake.calls[0]!.params).toMatchObject({ temperature: 0.3, maxTokens: 12 });
  });

  it('answers through a bot, and --session with --bot starts that session', async () => {
    const byBot = await run(['chat', '--config', CONFIG, '--bot', 'helper', 'question']);
    expect(byBot.code).toBe(0);
    expect(byBot.fake.calls[0]).toMatchObject({ bot: 'helper', params: { temperature: 0.5 } });
    expect(byBot.fake.calls[0]!.messages[0]).toEqual({ role: 'system', content: 'Be helpful.' });

    const bySession = await run(['chat', '--config', CONFIG, '--bot', 'helper', '--session', 'conv-1', 'question']);
    expect(bySession.code).toBe(0);
    expect(bySession.fake.calls[0]).toMatchObject({ bot: 'helper', sessionId: 'conv-1' });
    expect(bySession.stderr.text()).toContain('session: conv-1');
  });

  it('reads the prompt from stdin when none is given', async () => {
    const { code, stdout } = await run(['chat', '--config', CONFIG, '--model', 'fake:echo'], undefined, {
      stdin: () => Readable.from([Buffer.from('from '), Buffer.from('stdin\n')]),
    });
    expect(code).toBe(0);
    expect(stdout.text()).toBe('from stdin\n');
  });

  it('fails with exit code 1 and the message only; --verbose adds the stack', async () => {
    const plain = await run(['chat', '--config', CONFIG, '--model', 'fake:m', 'hi'], (fake) => fake.fail('m', { status: 401, message: 'bad key' }));
    expect(plain.code).toBe(1);
    expect(plain.stdout.text()).toBe('');
    expect(plain.stderr.text()).toMatch(/^error: AuthenticationError: fake:m answered 401: bad key/);
    expect(plain.stderr.text()).not.toMatch(/\n\s+at /);

    const verbose = await run(['chat', '--config', CONFIG, '--model', 'fake:m', '--verbose', 'hi'], (fake) => fake.fail('m', { status: 500 }));
    expect(verbose.code).toBe(1);
    expect(verbose.stderr.text()).toMatch(/error: ProviderError: [\s\S]*\n\s+at /);
  });

  it.each([
    [['--model', 'openai:gpt-4o-mini', 'hi'], /OPENAI_API_KEY/],
    [['hi'], /Name what answers: --model/],
    [['--model', 'fake:echo', '--bot', 'helper', 'hi'], /either --model or --bot/],
    [['--model', 'fake:echo'], /Give a prompt/],
    [['--session', 'missing', 'hi'], /No live session "missing"/],
    [['--bot', 'ghost', 'hi'], /ghost/],
    [['--model', 'nowhere:model', 'hi'], /Unknown provider "nowhere"/],
  ])('refuses %j with a message that says what to change', async (args, message) => {
    const { code, stderr, fake } = await run(['chat', '--config', CONFIG, ...args]);
    expect(code).toBe(1);
    expect(stderr.text()).toMatch(message);
    expect(fake.calls).toEqual([]);
  });

  it('rejects a non-numeric --temperature before doing anything', async () => {
    const { code, stderr } = await run(['chat', '--model', 'fake:echo', '--temperature', 'warm', 'hi']);
    expect(code).toBe(1);
    expect(stderr.text()).toMatch(/temperature.*must be a number/);
  });

  it('an abort during the stream exits with 130 and keeps what was printed', async () => {
    const controller = new AbortController();
    const stdout = collector();
    const stderr = collector();
    const fake = new FakeProvider().reply('slow', { chunks: ['first ', 'second'], chunkDelayMs: 10_000 });
    const watching: CliOutput = {
      write: (text: string) => {
        stdout.write(text);
        controller.abort();
      },
    };
    const code = await runCli(['chat', '--config', CONFIG, '--model', 'fake:slow', 'go'], { stdout: watching, stderr, env: {}, cwd: dir, signal: controller.signal, switchboard: { managers: [fake] } });
    expect(code).toBe(130);
    expect(stdout.text()).toBe('first ');
    expect(stderr.text()).toMatch(/AbortError/);
  });

  it('reports an invalid config file as a ConfigError naming the key', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ resilience: { maxRetries: -3 } }));
    const { code, stderr } = await run(['chat', '--config', bad, '--model', 'fake:echo', 'hi']);
    expect(code).toBe(1);
    expect(stderr.text()).toMatch(/ConfigError[\s\S]*resilience\.maxRetries/);
  });
});

describe('switchboard chat against the fake OpenAI server', () => {
  let server: FakeOpenAIServer;
  beforeAll(async () => {
    server = await FakeOpenAIServer.start({ apiKey: 'sk-cli-test-key-123456' });
  });
  afterAll(async () => {
    await server.close();
  });

  it('streams through the real openai SDK and prints the usage the server reported', async () => {
    server.script('gpt-4o-mini', { chunks: ['Real ', 'wire'], usage: { promptTokens: 11, completionTokens: 2 } });
    const config = join(dir, 'openai.json');
    writeFileSync(config, JSON.stringify({ models: {}, providers: { openai: { apiKey: '${OPENAI_API_KEY}', baseURL: server.baseURL } }, resilience: { maxRetries: 0 } }));
    const stdout = collector();
    const stderr = collector();
    const code = await runCli(['chat', '--config', config, '--model', 'openai:gpt-4o-mini', 'hi'], {
      stdout,
      stderr,
      env: { OPENAI_API_KEY: 'sk-cli-test-key-123456' },
      cwd: dir,
    });
    expect(stderr.text()).not.toMatch(/error/);
    expect(code).toBe(0);
    expect(stdout.text()).toBe('Real wire\n');
    expect(stderr.text()).toContain('usage: 11 input + 2 output = 13 tokens');
    expect(stderr.text()).not.toContain('sk-cli-test-key-123456');
  });
});

describe('switchboard models', () => {
  it('lists providers with readiness and catalog models with context, prices and deprecations', async () => {
    const { code, stdout } = await run(['models', '--config', CONFIG]);
    expect(code).toBe(0);
    const text = stdout.text();
    expect(text).toMatch(/^fake\s+ready$/m);
    expect(text).toMatch(/^openai\s+not ready: .*OPENAI_API_KEY/m);
    expect(text).toMatch(/^fake:priced\s+8192\s+1\.00\s+2\.00$/m);
    expect(text).toMatch(/^fake:old\s+4096\s+-\s+-\s+deprecated \(since 2025-01-01; use fake:priced\)$/m);
  });

  it('--provider filters and --json prints the same facts as JSON', async () => {
    const { code, stdout } = await run(['models', '--config', CONFIG, '--provider', 'fake', '--json']);
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout.text()) as { providers: Array<{ name: string; ready: boolean }>; models: Array<{ id: string; pricing?: unknown }> };
    expect(parsed.providers).toEqual([{ name: 'fake', ready: true }]);
    expect(parsed.models.map((m) => m.id)).toEqual(['fake:old', 'fake:priced']);
    expect(parsed.models[1]!.pricing).toEqual({ inputPerMTok: 1, outputPerMTok: 2 });
  });

  it('--refresh asks the ready providers; an unknown --provider is an error', async () => {
    const refreshed = await run(['models', '--config', CONFIG, '--refresh', '--provider', 'fake'], (fake) => fake.setPricing('discovered', { inputPerMTok: 3, outputPerMTok: 4 }));
    expect(refreshed.code).toBe(0);
    expect(refreshed.stdout.text()).toMatch(/^fake:discovered\s+-\s+3\.00\s+4\.00$/m);

    const unknown = await run(['models', '--config', CONFIG, '--provider', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.text()).toMatch(/Unknown provider "nope"; known providers: .*fake/);
  });
});

describe('switchboard help and the built executable', () => {
  it('--help lists the commands and exits 0; --version prints the package version', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.text()).toMatch(/models[\s\S]*chat/);
    const version = await run(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.text()).toMatch(/^\d+\.\d+\.\d+/);
    const unknown = await run(['frobnicate']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.text()).toMatch(/unknown command/);
  });

  const built = join(process.cwd(), 'dist', 'cli', 'main.js');
  (existsSync(built) ? it : it.skip)('node dist/cli/main.js --help runs (when dist/ exists)', () => {
    const result = spawnSync(process.execPath, [built, '--help'], { encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Usage: switchboard/);
  });
});

describe('model load progress', () => {
  it('a llamacpp model reports its load on stderr while the answer goes to stdout', async () => {
    const modelsDir = join(dir, 'models');
    mkdirSync(modelsDir, { recursive: true });
    await writeTinyGguf(join(modelsDir, 'tiny.gguf'));
    const config = join(dir, 'llama.json');
    writeFileSync(config, JSON.stringify({ models: {}, providers: { llamacpp: { modelsDir } } }));
    const stdout = collector();
    const stderr = collector();
    const code = await runCli(['chat', '--config', config, '--model', 'llamacpp:tiny', '--max-tokens', '4', 'hi'], { stdout, stderr, env: {}, cwd: dir });
    expect(stderr.text()).not.toMatch(/error/);
    expect(code).toBe(0);
    expect(stderr.writes.slice(0, 2)).toEqual(['loading tiny...\n', 'loaded tiny\n']);
    expect(stderr.text()).toMatch(/model: llamacpp:tiny .*\nusage: \d+ input \+ 4 output = \d+ tokens\ncost: unknown \(unpriced model\)\n$/);
    expect(stdout.text().endsWith('\n')).toBe(true);
  });


  it('draws one redrawn bar on a terminal', () => {
    const out = collector(true);
    const progress = createLoadProgress(out);
    progress.report('tiny', 0);
    progress.report('tiny', 0.5);
    progress.report('tiny', 1);
    expect(out.writes).toEqual([
      '\rloading tiny [------------------------] 0%',
      '\rloading tiny [############------------] 50%',
      '\rloading tiny [########################] 100%',
      '\n',
    ]);
    progress.finish();
    expect(out.writes).toHaveLength(4);
  });

  it('writes two plain lines on a pipe, and finish() closes a bar left open', () => {
    const pipe = collector(false);
    const progress = createLoadProgress(pipe);
    for (const step of [0, 0.25, 0.75, 1]) progress.report('tiny', step);
    expect(pipe.writes).toEqual(['loading tiny...\n', 'loaded tiny\n']);
    const tty = collector(true);
    const open = createLoadProgress(tty);
    open.report('big', 0.4);
    open.finish();
    expect(tty.writes.at(-1)).toBe('\n');
  });
});

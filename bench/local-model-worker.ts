/**
 * Local models, one process per way (forked by the runner): BENCH_LOCAL_MODE=switchboard runs
 * `llamacpp:<name>` through createSwitchboard(); BENCH_LOCAL_MODE=direct uses node-llama-cpp itself
 * the way a careful application would (same thread count, context size and chat template, one
 * LlamaChat answer on a fresh sequence; LlamaChatSession would add its default system prompt, which
 * alone overflows the tiny model's 256-token context). GGUF names the file.
 * Each `{ type: 'measure' }` unloads the model, loads it again (load time), then streams one answer
 * at temperature 0: time to first token and decode tokens/s. Answers `{ type: 'measured', … }`.
 */
import { availableParallelism } from 'node:os';
import { basename, dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { LlamaContext, LlamaModel } from 'node-llama-cpp';
import { createSwitchboard, silentLogger, type LlamaCppManager } from '../src/index.js';
import { repoRoot } from './lib/paths.js';

/** One measured round. */
export interface LocalMeasurement {
  loadMs: number;
  ttftMs: number;
  tokens: number;
  tokensPerS: number;
}

interface LocalRunner {
  measure(): Promise<LocalMeasurement>;
  close(): Promise<void>;
}

const ggufPath = process.env.GGUF ?? '';
const mode = process.env.BENCH_LOCAL_MODE ?? 'switchboard';
const maxTokens = Number(process.env.BENCH_LOCAL_TOKENS ?? 64);
const contextSize = Number(process.env.BENCH_LOCAL_CONTEXT ?? 2048);
const prompt = 'Tell me a short story about a tiny model.';
const threads = availableParallelism();

function rate(tokens: number, firstAt: number, endAt: number): number {
  // Decode rate: tokens after the first over the time after the first (prompt evaluation excluded).
  return tokens > 1 && endAt > firstAt ? ((tokens - 1) * 1000) / (endAt - firstAt) : Number.NaN;
}

async function switchboardRunner(): Promise<LocalRunner> {
  const name = basename(ggufPath).replace(/\.gguf$/i, '');
  const id = `llamacpp:${name}`;
  const sb = await createSwitchboard({
    env: {},
    // config/default.json and its catalog are read from the repository, whatever the working directory.
    cwd: repoRoot,
    logger: silentLogger,
    config: { providers: { llamacpp: { modelsDir: dirname(ggufPath), threads, contextSize } }, telemetry: { logLevel: 'silent' } },
  });
  const manager = sb.registry.getManager('llamacpp') as LlamaCppManager;
  return {
    async measure() {
      await sb.modelCache.evict(id);
      const loadStarted = performance.now();
      await manager.getModel(name);
      const loadMs = performance.now() - loadStarted;
      const started = performance.now();
      let firstAt: number | undefined;
      let tokens = 0;
      for await (const part of sb.stream({ model: id, messages: [{ role: 'user', content: prompt }], params: { maxTokens, temperature: 0 } })) {
        if (part.type === 'text-delta') firstAt ??= performance.now();
        else if (part.type === 'finish') tokens = part.result.usage.outputTokens;
      }
      const endAt = performance.now();
      return { loadMs, ttftMs: (firstAt ?? endAt) - started, tokens, tokensPerS: rate(tokens, firstAt ?? endAt, endAt) };
    },
    close: () => sb.close(),
  };
}

async function directRunner(): Promise<LocalRunner> {
  const bindings = await import('node-llama-cpp');
  const llama = await bindings.getLlama({ gpu: false, maxThreads: threads, build: 'never', progressLogs: false, logLevel: bindings.LlamaLogLevel.error });
  let loaded: { model: LlamaModel; context: LlamaContext } | undefined;
  const unload = async () => {
    await loaded?.context.dispose();
    await loaded?.model.dispose();
    loaded = undefined;
  };
  return {
    async measure() {
      await unload();
      const loadStarted = performance.now();
      const model = await llama.loadModel({ modelPath: ggufPath });
      const context = await model.createContext({ contextSize: Math.min(contextSize, model.trainContextSize), sequences: 1, threads });
      const chatWrapper = bindings.resolveChatWrapper(model, { type: 'jinjaTemplate', warningLogs: false });
      loaded = { model, context };
      const loadMs = performance.now() - loadStarted;
      const sequence = context.getSequence();
      const chat = new bindings.LlamaChat({ contextSequence: sequence, chatWrapper, autoDisposeSequence: false });
      const meter = sequence.tokenMeter.getState();
      const started = performance.now();
      let firstAt: number | undefined;
      await chat.generateResponse([{ type: 'user', text: prompt }, { type: 'model', response: [] }], {
        maxTokens,
        temperature: 0,
        onTextChunk: () => {
          firstAt ??= performance.now();
        },
      });
      const endAt = performance.now();
      const tokens = sequence.tokenMeter.diff(meter).usedOutputTokens;
      chat.dispose({ disposeSequence: true });
      return { loadMs, ttftMs: (firstAt ?? endAt) - started, tokens, tokensPerS: rate(tokens, firstAt ?? endAt, endAt) };
    },
    async close() {
      await unload();
      await llama.dispose();
    },
  };
}

async function main(): Promise<void> {
  if (!ggufPath) throw new Error('GGUF must name a .gguf file');
  const runner = mode === 'direct' ? await directRunner() : await switchboardRunner();
  let queue: Promise<void> = Promise.resolve();
  process.on('message', (request: { type?: string }) => {
    queue = queue
      .then(async () => {
        if (request.type === 'measure') {
          process.send?.({ type: 'measured', ...(await runner.measure()) });
        } else if (request.type === 'finish') {
          await runner.close();
          process.send?.({ type: 'finished' });
          process.disconnect?.();
        }
      })
      .catch((error: unknown) => {
        process.send?.({ type: 'error', message: error instanceof Error ? error.message : String(error) });
      });
  });
  process.send?.({ type: 'ready' });
}

main().catch((error: unknown) => {
  process.send?.({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
  process.disconnect?.();
});

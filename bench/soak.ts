/**
 * The soak (issue 5): SOAK_CALLS calls (default 100,000) through one switchboard, with faults and a
 * churning model cache, printing RSS over time and three verdicts at the end:
 * - RSS growth after warm-up (the first SOAK_WARMUP share of calls, default 0.2) is at most 10 %;
 * - the model cache never held more than modelCache.max models;
 * - dispose calls (manager unloads) equal the cache's evictions, and every load was disposed by close().
 * Calls alternate between `openai:` against the fake upstream in chaos mode (SOAK_CHAOS share of
 * requests answered 429 or 500, default 0.05; the switchboard retries them; every 10th call streams)
 * and `fake:m-<n>` over SOAK_MODELS distinct models (default 200) with modelCache.max = SOAK_CACHE_MAX
 * (default 8), so the LRU evicts all the time. SOAK_CONCURRENCY calls in flight (default 16).
 * Run: `node bench/run.mjs soak` (or `npm run bench -- soak`). Exits 1 when a verdict fails.
 */
import { performance } from 'node:perf_hooks';
import { FakeProvider } from '../src/testing/index.js';
import { createSwitchboard, silentLogger, LLMError } from '../src/index.js';
import { BENCH_API_KEY } from './arms/arm.js';
import { forkListening, stopChild } from './lib/child.js';
import { compiledScript, repoRoot } from './lib/paths.js';
import { BENCH_MODEL, BENCH_PROMPT } from './lib/wire.js';

const calls = Number(process.env.SOAK_CALLS ?? 100_000);
const models = Number(process.env.SOAK_MODELS ?? 200);
const cacheMax = Number(process.env.SOAK_CACHE_MAX ?? 8);
const concurrency = Number(process.env.SOAK_CONCURRENCY ?? 16);
const chaos = process.env.SOAK_CHAOS ?? '0.05';
const warmupShare = Number(process.env.SOAK_WARMUP ?? 0.2);
const samples = 20;

/** FakeProvider that counts every load and dispose (its own lists keep only the latest 10,000). */
class CountingFakeProvider extends FakeProvider {
  loaded = 0;
  disposed = 0;
  protected override async loadModel(modelId: string) {
    const model = await super.loadModel(modelId);
    this.loaded++;
    return model;
  }
  protected override async unloadModel(model: { name: string }) {
    this.disposed++;
    await super.unloadModel(model);
  }
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

const upstream = await forkListening(compiledScript('fake-upstream'), { env: { ...process.env, CHAOS: chaos, BENCH_CHUNKS: '8' } });
const fake = new CountingFakeProvider({ defaultReply: { text: 'soak answer', chunks: ['soak', ' answer'] } });
const sb = await createSwitchboard({
  env: {},
  // config/default.json and its catalog are read from the repository, whatever the working directory.
  cwd: repoRoot,
  logger: silentLogger,
  managers: [fake],
  config: {
    providers: { openai: { apiKey: BENCH_API_KEY, baseURL: `${upstream.url}/v1` } },
    modelCache: { max: cacheMax },
    resilience: { maxRetries: 2, retryBaseDelayMs: 1, retryMaxDelayMs: 5 },
    telemetry: { logLevel: 'silent' },
  },
});

// Every dispose call the cache makes goes to its owner's releaseModel: count them at that boundary,
// for every provider (the openai handle is a cache entry too and is evicted by the churn as well).
let disposeCalls = 0;
for (const manager of sb.registry.allManagers()) {
  const release = manager.releaseModel.bind(manager);
  manager.releaseModel = async (model: unknown) => {
    disposeCalls++;
    await release(model);
  };
}

const errors = new Map<string, number>();
let largestCache = 0;
let next = 0;
let done = 0;
const rssSeries: Array<{ calls: number; rssMb: number; heapMb: number }> = [];
const sampleEvery = Math.max(1, Math.floor(calls / samples));
const messages = [{ role: 'user' as const, content: BENCH_PROMPT }];

async function one(index: number): Promise<void> {
  try {
    if (index % 2 === 0) {
      const request = { model: `openai:${BENCH_MODEL}`, messages };
      if (index % 10 === 0) {
        for await (const part of sb.stream(request)) void part;
      } else {
        await sb.chat(request);
      }
    } else {
      await sb.chat({ model: `fake:m-${(index >> 1) % models}`, messages });
    }
  } catch (error) {
    const code = LLMError.isInstance(error) ? error.code : 'unexpected';
    errors.set(code, (errors.get(code) ?? 0) + 1);
  }
  largestCache = Math.max(largestCache, sb.modelCache.size);
}

function sample(): void {
  gc();
  const memory = process.memoryUsage();
  rssSeries.push({ calls: done, rssMb: mb(memory.rss), heapMb: mb(memory.heapUsed) });
  process.stdout.write(`calls ${String(done).padStart(7)}  rss ${String(mb(memory.rss)).padStart(6)} MB  heap ${String(mb(memory.heapUsed)).padStart(6)} MB  models loaded ${sb.modelCache.size}\n`);
}

const started = performance.now();
process.stdout.write(`soak: ${calls} calls, ${concurrency} in flight, chaos ${chaos}, ${models} fake models through a model cache of ${cacheMax}\n`);
sample();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < calls) {
      await one(next++);
      done++;
      if (done % sampleEvery === 0) sample();
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
await sb.modelCache.settle();
const evictions = sb.modelCache.counters.evictions;
const disposedBeforeClose = disposeCalls;
const fakeDisposedBeforeClose = fake.disposed;
const faults = await new Promise<{ requests?: number; faults?: number }>((resolve) => {
  upstream.child.once('message', (message: { requests?: number; faults?: number }) => resolve(message));
  upstream.child.send({ type: 'counts' });
});
await sb.close();
await stopChild(upstream.child);

const warm = rssSeries.find((point) => point.calls >= calls * warmupShare) ?? rssSeries[0]!;
const last = rssSeries.at(-1)!;
const growth = (last.rssMb - warm.rssMb) / warm.rssMb;
const verdicts = [
  { name: `RSS growth after warm-up (${warm.calls} calls: ${warm.rssMb} MB → ${last.rssMb} MB) ≤ 10 %`, value: `${(growth * 100).toFixed(1)} %`, ok: growth <= 0.1 },
  { name: `model cache within its bound (max ${cacheMax})`, value: `largest seen ${largestCache}`, ok: largestCache <= cacheMax },
  {
    name: 'dispose calls == evictions',
    value: `${disposedBeforeClose} dispose calls (${fakeDisposedBeforeClose} of them fake-model unloads), ${evictions} evictions`,
    ok: disposedBeforeClose === evictions,
  },
  { name: 'every load disposed after close()', value: `${fake.loaded} fake models loaded, ${fake.disposed} unloaded; ${disposeCalls} dispose calls in all`, ok: fake.loaded === fake.disposed },
];
process.stdout.write(
  `\n${calls} calls in ${seconds.toFixed(1)} s (${Math.round(calls / seconds)} calls/s); upstream answered ${faults.requests} requests, ${faults.faults} of them faults; ` +
    `calls that failed after retries: ${[...errors].map(([code, count]) => `${code} ${count}`).join(', ') || 'none'}\n`,
);
for (const verdict of verdicts) process.stdout.write(`${verdict.ok ? 'PASS' : 'FAIL'}  ${verdict.name}: ${verdict.value}\n`);
if (verdicts.some((verdict) => !verdict.ok)) process.exitCode = 1;

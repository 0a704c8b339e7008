/**
 * One arm in one process (forked by the runner with IPC). Environment: BENCH_ARM, BENCH_TRANSPORT,
 * BENCH_UPSTREAM (loopback), BENCH_CHUNKS. Messages, answered one at a time:
 *   { type: 'warmup', figures, plans }   -> { type: 'warmed', reports, startRssKb }
 *   { type: 'slice', figure, calls, rewarm } -> { type: 'slice', result } (after `rewarm` unmeasured calls)
 *   { type: 'profile', figure, calls, path } -> { type: 'profiled', result } (V8 CPU profile of one slice)
 *   { type: 'finish' }                   -> { type: 'finished', maxRssKb, serverPeakRssKb } and exit
 * Failures answer { type: 'error', message }. Ready is { type: 'ready' }.
 */
import { armByName } from './arms/index.js';
import { BENCH_API_KEY, type ArmClient, type ArmEnv, type Transport } from './arms/arm.js';
import { CANNED_ANTHROPIC_BASE_URL, CANNED_OPENAI_BASE_URL, cannedFetch } from './lib/canned-fetch.js';
import { profiled } from './lib/profiling.js';
import { processPeakRssKb } from './lib/proc.js';
import { answerText, BENCH_MODEL, BENCH_PROMPT } from './lib/wire.js';
import { runSlice, warmUp, type Figure, type WarmupPlan, type WarmupReport } from './lib/workloads.js';

/** Messages from the runner. */
export type WorkerRequest =
  | { type: 'warmup'; figures: Figure[]; plans: Record<Figure, WarmupPlan> }
  | { type: 'slice'; figure: Figure; calls: number; rewarm: number }
  | { type: 'profile'; figure: Figure; calls: number; path: string }
  | { type: 'finish' };

const armName = process.env.BENCH_ARM ?? '';
const transport = (process.env.BENCH_TRANSPORT ?? 'canned') as Transport;
const chunks = Number(process.env.BENCH_CHUNKS ?? 32);
const upstream = process.env.BENCH_UPSTREAM ?? '';

function armEnv(): ArmEnv {
  const common = { chunks, apiKey: BENCH_API_KEY, model: BENCH_MODEL, prompt: BENCH_PROMPT };
  if (transport === 'canned') {
    return { ...common, transport, fetch: cannedFetch(chunks), openaiBaseURL: CANNED_OPENAI_BASE_URL, anthropicBaseURL: CANNED_ANTHROPIC_BASE_URL, upstreamURL: '' };
  }
  if (!upstream) throw new Error('BENCH_UPSTREAM is required for the loopback transport');
  return { ...common, transport, fetch: undefined, openaiBaseURL: `${upstream}/v1`, anthropicBaseURL: upstream, upstreamURL: upstream };
}

function send(message: unknown): void {
  process.send?.(message);
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

let closing: Promise<void> | undefined;
function closeOnce(client: ArmClient): Promise<void> {
  closing ??= client.close();
  return closing;
}

async function handle(client: ArmClient, request: WorkerRequest, expected: string): Promise<void> {
  if (request.type === 'warmup') {
    // RSS with the client built and nothing called yet: the code and set-up, before any load.
    const startRssKb = Math.round(process.memoryUsage().rss / 1024);
    const reports: WarmupReport[] = [];
    // The throughput paths first, adaptively; the one-at-a-time paths run the same code.
    for (const figure of request.figures) reports.push(await warmUp(client, figure, request.plans[figure], expected));
    send({ type: 'warmed', reports, startRssKb });
  } else if (request.type === 'slice') {
    // The process sat idle while the other arms ran: wake it (caches, JIT tiers) before measuring.
    if (request.rewarm > 0) await runSlice(client, request.figure, request.rewarm, expected);
    send({ type: 'slice', result: await runSlice(client, request.figure, request.calls, expected) });
  } else if (request.type === 'profile') {
    const result = await profiled(request.path, () => runSlice(client, request.figure, request.calls, expected));
    send({ type: 'profiled', result });
  } else {
    const serverPeakRssKb = processPeakRssKb(client.serverPid);
    await closeOnce(client);
    send({ type: 'finished', maxRssKb: process.resourceUsage().maxRSS, serverPeakRssKb });
    process.disconnect?.();
  }
}

async function main(): Promise<void> {
  const arm = armByName(armName);
  if (!arm.transports.includes(transport)) throw new Error(`arm ${armName} does not run over ${transport}`);
  const client = await arm.create(armEnv());
  const expected = answerText(chunks);
  let queue = Promise.resolve();
  process.on('message', (request: WorkerRequest) => {
    queue = queue.then(() => handle(client, request, expected)).catch((error: unknown) => send({ type: 'error', message: describe(error) }));
  });
  process.on('disconnect', () => {
    void closeOnce(client).finally(() => process.exit(0));
  });
  send({ type: 'ready', pid: process.pid });
}

main().catch((error: unknown) => {
  send({ type: 'error', message: describe(error) });
  process.exitCode = 1;
  process.disconnect?.();
});

/**
 * The interleaved part of a run: one worker process per (arm, transport), each warmed up on its own
 * until its per-call cost stops falling, then rounds in which every process runs one slice of each
 * of its figures in turn, arm order forwards in even rounds and backwards in odd ones, so drift of
 * the machine (it runs in faster and slower spells) falls on every arm alike; within a round each
 * arm's slice sits between two slices of its baseline (see sliceOrder).
 */
import { performance } from 'node:perf_hooks';
import type { ArmDefinition, Baseline, Transport } from '../arms/arm.js';
import { allArms, peerMissing } from '../arms/index.js';
import { compiledScript } from './paths.js';
import { processCpuUs } from './proc.js';
import type { BenchSettings } from './settings.js';
import { WorkerHandle } from './worker-handle.js';
import type { Figure, SliceResult, WarmupReport } from './workloads.js';

/** Everything measured for one (arm, transport) process. */
export interface ArmRun {
  key: string;
  arm: string;
  label: string;
  transport: Transport;
  baseline: Baseline;
  figures: Figure[];
  /** Slices per figure, one per round. */
  slices: Partial<Record<Figure, SliceResult[]>>;
  warmup?: WarmupReport[];
  /** RSS once the client was built, before any call. */
  startRssKb?: number;
  maxRssKb?: number;
  serverPeakRssKb?: number;
  /** Share of one core the fake upstream was busy during this arm's c50 slices. */
  upstreamBusy: number[];
  error?: string;
}

/** Arms left out, with why. */
export type Skipped = Record<string, string>;

const FIGURE_ORDER: Figure[] = ['c50', 's50', 'c1', 's1'];
const PEERS = new Set(['vercel-ai', 'langchain', 'portkey-gateway']);
const GATEWAYS = new Set(['sb-gateway', 'portkey-gateway']);

/** What a process measures: throughput and streams everywhere; one-at-a-time where it is compared. */
function figuresFor(arm: ArmDefinition, transport: Transport): Figure[] {
  if (arm.noStreams) return transport === 'loopback' ? ['c50', 'c1'] : ['c50'];
  // Streams in flight over loopback too: CPU per chunk as users run it (the transport's body path included).
  if (transport === 'loopback') return ['c50', 's50', 'c1', 's1'];
  // The canned raw client is the no-socket floor of the latency table; a cache hit is in-process.
  if (arm.name === 'raw-openai') return ['c50', 's50', 'c1', 's1'];
  if (arm.name === 'sb-cache-hit') return ['c50', 's50', 'c1'];
  return ['c50', 's50'];
}

/** The processes a run starts, and the arms it leaves out. */
export function planArmRuns(settings: BenchSettings): { runs: ArmRun[]; skipped: Skipped } {
  const skipped: Skipped = {};
  const wanted = new Set(settings.arms);
  if (wanted.size) for (const arm of allArms) if (wanted.has(arm.name)) wanted.add(arm.baseline);
  const runs: ArmRun[] = [];
  for (const arm of allArms) {
    if (wanted.size && !wanted.has(arm.name)) continue;
    if (PEERS.has(arm.name) && settings.skip.has('peers')) {
      skipped[arm.name] = 'skipped (BENCH_SKIP=peers)';
      continue;
    }
    if (GATEWAYS.has(arm.name) && settings.skip.has('gateway')) {
      skipped[arm.name] = 'skipped (BENCH_SKIP=gateway)';
      continue;
    }
    const missing = peerMissing(arm.name);
    if (missing) {
      skipped[arm.name] = missing;
      continue;
    }
    for (const transport of arm.transports) {
      if (settings.skip.has(transport)) continue;
      runs.push({ key: `${arm.name}/${transport}`, arm: arm.name, label: arm.label, transport, baseline: arm.baseline, figures: figuresFor(arm, transport), slices: {}, upstreamBusy: [] });
    }
  }
  return { runs, skipped };
}

/** Print progress on stderr (stdout carries the table). */
export function progress(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

/**
 * V8 flags of every measured process. An arm sits idle while the others run, and V8 uses idleness to
 * flush bytecode, run memory-reducing GCs and shrink the young generation; measured here, the first
 * slices after 30 s idle cost 2–4× the warmed cost (scavenges every 2 ms in a shrunken new space).
 * A server under steady traffic never idles like that and keeps its new space at the maximum (16 MB
 * semi-spaces on 64-bit), so the bench pins it there and keeps the code it warmed up.
 */
export const WORKER_EXEC_ARGV = ['--no-flush-bytecode', '--no-memory-reducer', '--min-semi-space-size=16'];

interface LiveArm {
  run: ArmRun;
  worker: WorkerHandle;
}

/** Start a worker and warm it up; on failure record the error and stop the process. */
async function startArm(run: ArmRun, settings: BenchSettings, upstreamURL: string): Promise<LiveArm | undefined> {
  const started = performance.now();
  let worker: WorkerHandle | undefined;
  try {
    worker = await WorkerHandle.start(
      run.key,
      compiledScript('worker'),
      { ...process.env, BENCH_ARM: run.arm, BENCH_TRANSPORT: run.transport, BENCH_UPSTREAM: upstreamURL, BENCH_CHUNKS: String(settings.chunks) },
      WORKER_EXEC_ARGV,
    );
    const streams = run.figures.includes('s1') || run.figures.includes('s50');
    const warmFigures: Figure[] = ['c50', ...(streams ? (['s50'] as const) : []), ...run.figures.filter((figure) => figure === 'c1' || figure === 's1')];
    const warmed = await worker.request({ type: 'warmup', figures: warmFigures, plans: settings.warmup });
    run.warmup = warmed.reports as WarmupReport[];
    run.startRssKb = warmed.startRssKb as number;
    const summary = run.warmup.map((report) => `${report.figure} ${report.calls} (${report.stopped}, last ${report.costsUs.at(-1)} µs)`).join(', ');
    progress(`${run.key}: warmed in ${((performance.now() - started) / 1000).toFixed(1)} s: ${summary}`);
    return { run, worker };
  } catch (error) {
    run.error = error instanceof Error ? error.message : String(error);
    progress(`${run.key}: FAILED: ${run.error}`);
    await worker?.stop();
    return undefined;
  }
}

/**
 * The order of one figure's slices in a round: every arm right after a slice of its baseline, and
 * the baseline once more at the end, so each arm sits between two baseline slices (B A1 B A2 B …)
 * and its ratio compares it with the baseline as measured just before and just after.
 */
function sliceOrder(arms: LiveArm[], figure: Figure): LiveArm[] {
  const participants = arms.filter((entry) => !entry.run.error && entry.run.figures.includes(figure));
  const baselineOf = (entry: LiveArm) => participants.find((other) => other.run.arm === entry.run.baseline && other.run.transport === entry.run.transport);
  const order: LiveArm[] = [];
  const closing = new Set<LiveArm>();
  for (const entry of participants) {
    const baseline = baselineOf(entry);
    if (baseline === entry) continue;
    if (baseline && order.at(-1) !== baseline) order.push(baseline);
    order.push(entry);
    if (baseline) closing.add(baseline);
  }
  for (const baseline of closing) if (order.at(-1) !== baseline) order.push(baseline);
  // Baselines whose arms all failed still get their own slice.
  for (const entry of participants) if (!order.includes(entry)) order.push(entry);
  return order;
}

/** Start, warm up, interleave and finish every planned process. */
export async function runArms(runs: ArmRun[], settings: BenchSettings, upstream: { url: string; pid: number | undefined }): Promise<void> {
  const live: LiveArm[] = [];
  for (const run of runs) {
    const entry = await startArm(run, settings, upstream.url);
    if (entry) live.push(entry);
  }
  let seq = 0;
  for (let round = 0; round < settings.rounds; round++) {
    const started = performance.now();
    const arms = round % 2 === 0 ? live : [...live].reverse();
    for (const figure of FIGURE_ORDER) {
      for (const entry of sliceOrder(arms, figure)) {
        if (entry.run.error) continue;
        try {
          const calls = settings.slice[figure];
          const upstreamBefore = processCpuUs(upstream.pid);
          const rewarm = settings.rewarm[figure];
          const answer = await entry.worker.request({ type: 'slice', figure, calls, rewarm });
          const result = { ...(answer.result as SliceResult), seq: seq++ };
          const upstreamAfter = processCpuUs(upstream.pid);
          if (entry.run.transport === 'loopback' && figure === 'c50' && upstreamBefore !== undefined && upstreamAfter !== undefined) {
            // The rewarm calls ran in the same window and keep the upstream about as busy as the slice.
            entry.run.upstreamBusy.push((upstreamAfter - upstreamBefore) / 1000 / ((result.wallMs * (calls + rewarm)) / calls));
          }
          (entry.run.slices[figure] ??= []).push(result);
        } catch (error) {
          entry.run.error = error instanceof Error ? error.message : String(error);
          progress(`${entry.run.key}: FAILED in round ${round + 1}: ${entry.run.error}`);
        }
      }
    }
    progress(`round ${round + 1}/${settings.rounds} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  for (const { run, worker } of live) {
    try {
      const finished = await worker.request({ type: 'finish' }, 30_000);
      run.maxRssKb = finished.maxRssKb as number;
      run.serverPeakRssKb = finished.serverPeakRssKb as number | undefined;
    } catch (error) {
      run.error ??= error instanceof Error ? error.message : String(error);
    }
    await worker.stop();
  }
}

/**
 * The workloads ("figures") a worker runs in slices, and the adaptive warm-up.
 * - c50: non-streaming calls, 50 in flight: CPU per call (process.cpuUsage: every thread of the
 *   process, V8's compiler and GC threads included) and calls per second.
 * - s50: streams, 50 in flight: CPU per streamed text chunk.
 * - c1: one call at a time: latency of each call (p50/p99).
 * - s1: one stream at a time: time to the first text chunk.
 * Every answer is checked against the upstream's text, so a failing arm cannot look fast.
 */
import { performance } from 'node:perf_hooks';
import type { ArmClient } from '../arms/arm.js';
import { processCpuUs } from './proc.js';

/** Names of the workloads. */
export type Figure = 'c50' | 's50' | 'c1' | 's1';

/** Concurrency of the c50/s50 workloads. */
export const CONCURRENCY = 50;

/** What one slice measured. */
export interface SliceResult {
  figure: Figure;
  /** Order of the slice in the whole run (set by the runner): pairs arms with the baseline slices around them. */
  seq?: number;
  calls: number;
  cpuUs: number;
  wallMs: number;
  /** Text chunks received (streams). */
  chunks: number;
  /** Per-call latency (c1) or time to first chunk (s1), ms. */
  samplesMs?: number[];
  /** CPU of the arm's server process over the slice (gateways). */
  serverCpuUs?: number;
}

function cpuNowUs(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

async function concurrently(total: number, concurrency: number, task: () => Promise<void>): Promise<void> {
  let started = 0;
  const lane = async () => {
    while (started < total) {
      started++;
      await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
}

/** Run one slice of `calls` calls (or streams) of `figure`. */
export async function runSlice(client: ArmClient, figure: Figure, calls: number, expected: string): Promise<SliceResult> {
  const check = (text: string) => {
    if (text !== expected) throw new Error(`wrong answer: expected ${JSON.stringify(expected.slice(0, 60))}…, got ${JSON.stringify(text.slice(0, 60))}`);
  };
  let chunks = 0;
  const onDelta = () => {
    chunks++;
  };
  const samplesMs: number[] = [];
  const serverBefore = processCpuUs(client.serverPid);
  const cpuBefore = cpuNowUs();
  const wallBefore = performance.now();
  if (figure === 'c50') {
    await concurrently(calls, CONCURRENCY, async () => check(await client.call()));
  } else if (figure === 's50') {
    await concurrently(calls, CONCURRENCY, async () => check(await client.stream(onDelta)));
  } else if (figure === 'c1') {
    for (let index = 0; index < calls; index++) {
      const started = performance.now();
      check(await client.call());
      samplesMs.push(performance.now() - started);
    }
  } else {
    for (let index = 0; index < calls; index++) {
      const started = performance.now();
      let first: number | undefined;
      check(
        await client.stream(() => {
          first ??= performance.now();
          chunks++;
        }),
      );
      samplesMs.push((first ?? performance.now()) - started);
    }
  }
  const wallMs = performance.now() - wallBefore;
  const cpuUs = cpuNowUs() - cpuBefore;
  const serverAfter = processCpuUs(client.serverPid);
  return {
    figure,
    calls,
    cpuUs,
    wallMs,
    chunks,
    ...(samplesMs.length ? { samplesMs } : {}),
    ...(serverBefore !== undefined && serverAfter !== undefined ? { serverCpuUs: serverAfter - serverBefore } : {}),
  };
}

/** Limits of the adaptive warm-up for one figure. */
export interface WarmupPlan {
  batch: number;
  minCalls: number;
  maxCalls: number;
  maxMs: number;
}

/** What the warm-up did: calls made and the CPU cost per call of each batch (µs). */
export interface WarmupReport {
  figure: Figure;
  calls: number;
  costsUs: number[];
  /** Why it stopped: the cost stopped falling, or a cap was reached. */
  stopped: 'settled' | 'max-calls' | 'max-time';
}

/** Relative improvement a batch must show to count as "still falling". */
const STILL_FALLING = 0.02;
/** Batches in a row without improvement that mean "settled". */
const FLAT_BATCHES = 3;

/**
 * Warm up until the CPU cost per call stops falling (V8 keeps optimising for thousands of calls,
 * and its compiler threads count in process CPU time): at least `minCalls`, then until
 * FLAT_BATCHES batches in a row fail to beat the best by STILL_FALLING.
 */
export async function warmUp(client: ArmClient, figure: Figure, plan: WarmupPlan, expected: string): Promise<WarmupReport> {
  const started = performance.now();
  const costsUs: number[] = [];
  let best = Number.POSITIVE_INFINITY;
  let flat = 0;
  let calls = 0;
  for (;;) {
    const slice = await runSlice(client, figure, plan.batch, expected);
    calls += plan.batch;
    const cost = slice.cpuUs / slice.calls;
    costsUs.push(Math.round(cost));
    if (cost < best * (1 - STILL_FALLING)) {
      best = cost;
      flat = 0;
    } else {
      flat++;
    }
    if (calls >= plan.minCalls && flat >= FLAT_BATCHES) return { figure, calls, costsUs, stopped: 'settled' };
    if (calls >= plan.maxCalls) return { figure, calls, costsUs, stopped: 'max-calls' };
    if (performance.now() - started > plan.maxMs) return { figure, calls, costsUs, stopped: 'max-time' };
  }
}

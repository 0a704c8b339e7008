/**
 * From slices to figures: per-round values of each measure, and ratios or differences to a baseline
 * taken slice by slice against the baseline slices run around it, summarised as median and range.
 */
import type { ArmRun } from './arm-runs.js';
import { quantile, summarize, type Summary } from './stats.js';
import type { Figure, SliceResult } from './workloads.js';

/** A measure of one slice. */
export type Measure = (slice: SliceResult) => number;

/** CPU µs per call (the arm's own process). */
export const cpuPerCall: Measure = (slice) => slice.cpuUs / slice.calls;
/** CPU µs per call of the client plus its gateway process. */
export const cpuPerCallWithServer: Measure = (slice) => (slice.cpuUs + (slice.serverCpuUs ?? 0)) / slice.calls;
/** CPU µs per call of the gateway process alone. */
export const serverCpuPerCall: Measure = (slice) => (slice.serverCpuUs === undefined ? Number.NaN : slice.serverCpuUs / slice.calls);
/** Calls (or streams) per second. */
export const callsPerSecond: Measure = (slice) => slice.calls / (slice.wallMs / 1000);
/** CPU µs per streamed text chunk (the stream's fixed cost spread over its chunks). */
export const cpuPerChunk: Measure = (slice) => (slice.chunks > 0 ? slice.cpuUs / slice.chunks : Number.NaN);
/** Median sample (latency or time to first chunk), ms. */
export const p50: Measure = (slice) => quantile(slice.samplesMs ?? [], 0.5);
/** 99th-percentile sample, ms. */
export const p99: Measure = (slice) => quantile(slice.samplesMs ?? [], 0.99);

/** Finds runs by arm and transport. */
export class RunIndex {
  private readonly byKey = new Map<string, ArmRun>();

  constructor(readonly runs: ArmRun[]) {
    for (const run of runs) this.byKey.set(run.key, run);
  }

  /** The run of `arm` over `transport`, if it ran. */
  get(arm: string, transport: string): ArmRun | undefined {
    return this.byKey.get(`${arm}/${transport}`);
  }

  /** The baseline run of `run` (same transport). */
  baselineOf(run: ArmRun): ArmRun | undefined {
    return this.get(run.baseline, run.transport);
  }
}

/** Per-round values of `measure` on `figure`. */
export function rounds(run: ArmRun | undefined, figure: Figure, measure: Measure): number[] {
  return (run?.slices[figure] ?? []).map(measure);
}

/** Median and range of `measure` over rounds. */
export function figureOf(run: ArmRun | undefined, figure: Figure, measure: Measure): Summary | undefined {
  const values = rounds(run, figure, measure);
  return values.length ? summarize(values) : undefined;
}

/**
 * `a ÷ b` (or `a − b` with `difference`) slice by slice: each slice of `a` against the mean of the
 * slices of `b` run just before and just after it (by `seq`), so a machine that speeds up or slows
 * down between slices affects both sides alike.
 */
export function paired(
  a: ArmRun | undefined,
  b: ArmRun | undefined,
  figures: { a: Figure; b: Figure },
  measures: { a: Measure; b: Measure },
  difference = false,
): Summary | undefined {
  if (!a || !b) return undefined;
  const others = b.slices[figures.b] ?? [];
  const values = (a.slices[figures.a] ?? []).map((slice) => {
    const seq = slice.seq ?? 0;
    let before: SliceResult | undefined;
    let after: SliceResult | undefined;
    for (const other of others) {
      const at = other.seq ?? 0;
      if (at < seq && (!before || at > (before.seq ?? 0))) before = other;
      if (at > seq && (!after || at < (after.seq ?? 0))) after = other;
    }
    const around = [before, after].filter((item): item is SliceResult => item !== undefined).map(measures.b);
    if (around.length === 0) return Number.NaN;
    const reference = around.reduce((sum, value) => sum + value, 0) / around.length;
    const value = measures.a(slice);
    return difference ? value - reference : value / reference;
  });
  const summary = summarize(values);
  return summary.rounds.length ? summary : undefined;
}

/** `run ÷ its baseline` on one figure and measure. */
export function ratioToBaseline(index: RunIndex, run: ArmRun, figure: Figure, measure: Measure): Summary | undefined {
  const baseline = index.baselineOf(run);
  if (!baseline || baseline === run) return undefined;
  return paired(run, baseline, { a: figure, b: figure }, { a: measure, b: measure });
}

/** `run − its baseline` on one figure and measure. */
export function addedToBaseline(index: RunIndex, run: ArmRun, figure: Figure, measure: Measure): Summary | undefined {
  const baseline = index.baselineOf(run);
  if (!baseline || baseline === run) return undefined;
  return paired(run, baseline, { a: figure, b: figure }, { a: measure, b: measure }, true);
}

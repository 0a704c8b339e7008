/**
 * The knobs of a bench run, all from environment variables (bench/README.md lists them). Defaults
 * keep `npm run bench` to a few minutes on a 2-core machine; raise BENCH_ROUNDS / BENCH_SCALE for
 * tighter ranges.
 */
import type { Figure, WarmupPlan } from './workloads.js';

/** Parts of the run that BENCH_SKIP may leave out. */
export const SKIPPABLE = ['canned', 'loopback', 'peers', 'gateway', 'sessions', 'local'] as const;
/** One of SKIPPABLE. */
export type Skippable = (typeof SKIPPABLE)[number];

/** Everything a run is configured by. */
export interface BenchSettings {
  rounds: number;
  chunks: number;
  /** Calls (or streams) per slice, per figure. */
  slice: Record<Figure, number>;
  /** Unmeasured calls before each slice, per figure (wakes a process that sat idle while others ran). */
  rewarm: Record<Figure, number>;
  /** Warm-up limits per figure. */
  warmup: Record<Figure, WarmupPlan>;
  /** Only these arms (empty: all). */
  arms: string[];
  skip: Set<Skippable>;
  /** GGUF file for the local-model figures (empty: the generated tiny model). */
  gguf: string;
  localRounds: number;
  sessions: number;
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a number > 0 (got "${raw}")`);
  return value;
}

function list(env: NodeJS.ProcessEnv, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** Read the settings from `env`. */
export function readSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const scale = positiveNumber(env, 'BENCH_SCALE', 1);
  const sized = (calls: number) => Math.max(1, Math.round(calls * scale));
  const skip = list(env, 'BENCH_SKIP');
  for (const item of skip) {
    if (!(SKIPPABLE as readonly string[]).includes(item)) throw new Error(`BENCH_SKIP: unknown part "${item}"; known: ${SKIPPABLE.join(', ')}`);
  }
  const warmupMin = positiveNumber(env, 'BENCH_WARMUP_MIN', 5_000);
  return {
    rounds: Math.round(positiveNumber(env, 'BENCH_ROUNDS', 5)),
    chunks: Math.round(positiveNumber(env, 'BENCH_CHUNKS', 32)),
    slice: { c50: sized(500), s50: sized(100), c1: sized(400), s1: sized(100) },
    rewarm: { c50: 300, s50: 50, c1: 100, s1: 30 },
    warmup: {
      c50: { batch: 500, minCalls: warmupMin, maxCalls: Math.max(warmupMin, 30_000), maxMs: 30_000 },
      s50: { batch: 100, minCalls: Math.round(warmupMin / 5), maxCalls: Math.max(Math.round(warmupMin / 5), 6_000), maxMs: 25_000 },
      c1: { batch: 200, minCalls: 200, maxCalls: 200, maxMs: 10_000 },
      s1: { batch: 100, minCalls: 100, maxCalls: 100, maxMs: 10_000 },
    },
    arms: list(env, 'BENCH_ARMS'),
    skip: new Set(skip as Skippable[]),
    gguf: env.GGUF ?? '',
    localRounds: Math.round(positiveNumber(env, 'BENCH_LOCAL_ROUNDS', 5)),
    sessions: Math.round(positiveNumber(env, 'SESSIONS', 10_000)),
  };
}

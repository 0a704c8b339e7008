/**
 * The four routing strategies as pure functions: given the healthy candidates' state (never empty)
 * and a random source in [0, 1), the index of the one to try. No clock, no I/O, no allocation: the
 * router calls one per attempt, and tests drive them with fixed snapshots and random values.
 */
import type { RoutingStrategy } from './deployment-config.js';

/** What a picker sees of one candidate deployment. */
export interface DeploymentSnapshot {
  /** Position in the provider's list (the last tie-break). */
  readonly order: number;
  readonly weight: number;
  /** Attempts in flight on it now (this process). */
  readonly inFlight: number;
  /** Share of its rpm / tpm left in the current minute, 0..1 (the smaller of the two); 1 without limits. */
  readonly headroom: number;
  /** Recent latency (EWMA of successful attempts) in ms; undefined until one was measured. */
  readonly latencyMs: number | undefined;
}

/** A picker: the index into `candidates` of the deployment to try. */
export type Picker = (candidates: readonly DeploymentSnapshot[], random: () => number, exploration: number) => number;

/** `a` goes before `b` on a tie: the heavier one, then the one listed first. */
function tieBreak(a: DeploymentSnapshot, b: DeploymentSnapshot): boolean {
  return a.weight > b.weight || (a.weight === b.weight && a.order < b.order);
}

/** Fewest attempts in flight; ties by weight, then order. */
export const pickLeastBusy: Picker = (candidates) => {
  let best = 0;
  for (let i = 1; i < candidates.length; i++) {
    const c = candidates[i]!;
    const b = candidates[best]!;
    if (c.inFlight < b.inFlight || (c.inFlight === b.inFlight && tieBreak(c, b))) best = i;
  }
  return best;
};

/** Random, in proportion to weight. */
export const pickWeighted: Picker = (candidates, random) => {
  let total = 0;
  for (const c of candidates) total += c.weight;
  let point = random() * total;
  for (let i = 0; i < candidates.length; i++) {
    point -= candidates[i]!.weight;
    if (point < 0) return i;
  }
  // Rounding left the point at the very end: the last one.
  return candidates.length - 1;
};

/** Most rpm/tpm headroom left this minute; ties by fewest in flight, then weight, then order. */
export const pickUsageBased: Picker = (candidates) => {
  let best = 0;
  for (let i = 1; i < candidates.length; i++) {
    const c = candidates[i]!;
    const b = candidates[best]!;
    if (c.headroom > b.headroom || (c.headroom === b.headroom && (c.inFlight < b.inFlight || (c.inFlight === b.inFlight && tieBreak(c, b))))) best = i;
  }
  return best;
};

/**
 * Lowest recent latency. An unmeasured deployment goes first (else it would never be measured); with
 * probability `exploration` a random candidate is tried instead, so a deployment that was slow once
 * gets measured again.
 */
export const pickLatencyBased: Picker = (candidates, random, exploration) => {
  if (candidates.length > 1 && exploration > 0 && random() < exploration) {
    return Math.min(candidates.length - 1, Math.floor(random() * candidates.length));
  }
  let best = 0;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    if (c.latencyMs === undefined) return i;
    const b = candidates[best]!;
    if (c.latencyMs < b.latencyMs! || (c.latencyMs === b.latencyMs && tieBreak(c, b))) best = i;
  }
  return best;
};

/** The picker of a strategy. */
export const PICKERS: Readonly<Record<RoutingStrategy, Picker>> = {
  'least-busy': pickLeastBusy,
  weighted: pickWeighted,
  'usage-based': pickUsageBased,
  'latency-based': pickLatencyBased,
};

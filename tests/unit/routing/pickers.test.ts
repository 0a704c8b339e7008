/** The four pure pickers on fixed snapshots and scripted random values. */
import { describe, expect, it } from '@jest/globals';
import { pickLatencyBased, pickLeastBusy, pickUsageBased, pickWeighted, type DeploymentSnapshot } from '../../../src/routing/pickers.js';

const d = (order: number, over: Partial<DeploymentSnapshot> = {}): DeploymentSnapshot => ({ order, weight: 1, inFlight: 0, headroom: 1, latencyMs: undefined, ...over });
const never = () => 0.99;

describe('pickers', () => {
  it('least-busy: fewest in flight, ties by weight then order', () => {
    expect(pickLeastBusy([d(0, { inFlight: 2 }), d(1, { inFlight: 1 }), d(2, { inFlight: 3 })], never, 0)).toBe(1);
    expect(pickLeastBusy([d(0), d(1, { weight: 2 }), d(2, { weight: 2 })], never, 0)).toBe(1);
    expect(pickLeastBusy([d(0), d(1)], never, 0)).toBe(0);
  });

  it('weighted: the random point falls into each weight band', () => {
    const list = [d(0, { weight: 1 }), d(1, { weight: 3 })];
    expect(pickWeighted(list, () => 0, 0)).toBe(0);
    expect(pickWeighted(list, () => 0.24, 0)).toBe(0);
    expect(pickWeighted(list, () => 0.26, 0)).toBe(1);
    expect(pickWeighted(list, () => 0.999999, 0)).toBe(1);
  });

  it('usage-based: most headroom, ties by in flight', () => {
    expect(pickUsageBased([d(0, { headroom: 0.2 }), d(1, { headroom: 0.9 }), d(2, { headroom: 0.5 })], never, 0)).toBe(1);
    expect(pickUsageBased([d(0, { inFlight: 1 }), d(1)], never, 0)).toBe(1);
  });

  it('latency-based: unmeasured first, then the lowest EWMA, exploration picks at random', () => {
    expect(pickLatencyBased([d(0, { latencyMs: 10 }), d(1)], never, 0.1)).toBe(1);
    expect(pickLatencyBased([d(0, { latencyMs: 50 }), d(1, { latencyMs: 20 }), d(2, { latencyMs: 30 })], never, 0.1)).toBe(1);
    const draws = [0.05, 0.9];
    expect(pickLatencyBased([d(0, { latencyMs: 50 }), d(1, { latencyMs: 20 }), d(2, { latencyMs: 30 })], () => draws.shift()!, 0.1)).toBe(2);
  });
});

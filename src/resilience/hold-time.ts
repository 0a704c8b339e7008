/**
 * How long a caller refused by one of our own slot limits (the ConcurrencyLimiter, the llama.cpp
 * call queue) should wait before coming back: a running average of how long a slot is held, times
 * the turns ahead of a newcomer. Nothing is known before the first slot is given back, and then the
 * estimate is undefined rather than a guess (the gateway then sends its minimum `retry-after`).
 */

/** Weight of the newest hold in the running average: recent calls matter most, one outlier little. */
const WEIGHT = 0.2;

/** A running average of slot hold times, and the wait it predicts. */
export class HoldTimeEstimate {
  private averageMs: number | undefined;

  /** `now`: monotonic clock in ms (injectable for tests). */
  constructor(private readonly now: () => number = () => performance.now()) {}

  /** The clock reading to pass to `released` when a slot is granted. */
  granted(): number {
    return this.now();
  }

  /** A slot granted at `grantedAt` was given back. */
  released(grantedAt: number): void {
    const held = Math.max(0, this.now() - grantedAt);
    this.averageMs = this.averageMs === undefined ? held : this.averageMs + (held - this.averageMs) * WEIGHT;
  }

  /**
   * Estimated ms until a newcomer behind `waiting` callers gets one of `slots` slots (each turn of
   * the queue frees `slots` slots after about one average hold); undefined before any slot came back.
   */
  waitMs(waiting: number, slots: number): number | undefined {
    if (this.averageMs === undefined || !(slots > 0) || !Number.isFinite(slots)) return undefined;
    return Math.ceil(Math.ceil((waiting + 1) / slots) * this.averageMs);
  }
}

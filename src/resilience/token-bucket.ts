/**
 * The token bucket behind the rate limits: holds at most one minute's allowance and refills
 * continuously at perMinute/60 000 per ms (see rate-limiter.ts for why a bucket). The level may go
 * negative (debt from under-estimated calls), at most one minute's allowance deep.
 */

/** The two limits a provider can have (config `resilience.rateLimits.<provider>`). */
export type LimitName = 'requestsPerMinute' | 'tokensPerMinute';

/** One bucket; every method takes the current time, so the owner decides the clock. */
export class TokenBucket {
  private level: number;
  private updatedAt: number;
  private readonly perMs: number;

  constructor(
    readonly name: LimitName,
    readonly perMinute: number,
    now: number,
  ) {
    this.level = perMinute;
    this.updatedAt = now;
    this.perMs = perMinute / 60_000;
  }

  /** What one request costs here: never more than a full bucket, so every request can pass. */
  cost(amount: number): number {
    return Math.min(amount, this.perMinute);
  }

  /** Ms until `amount` more than `ahead` (already promised to earlier callers) is available. */
  msUntil(amount: number, now: number, ahead = 0): number {
    this.refill(now);
    const missing = ahead + amount - this.level;
    return missing <= 0 ? 0 : missing / this.perMs;
  }

  /** Remove `amount`, whatever the level (callers check `msUntil` first). */
  take(amount: number, now: number): void {
    this.refill(now);
    this.level -= amount;
  }

  /** Give back (negative) or charge (positive) a correction; debt is capped at one minute's allowance. */
  correct(delta: number, now: number): void {
    this.refill(now);
    this.level = Math.max(-this.perMinute, Math.min(this.perMinute, this.level - delta));
  }

  private refill(now: number): void {
    if (now > this.updatedAt) {
      this.level = Math.min(this.perMinute, this.level + (now - this.updatedAt) * this.perMs);
      this.updatedAt = now;
    }
  }
}

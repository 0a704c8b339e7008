/**
 * Cost of one call from normalised usage and catalog prices (TELEMETRY.md "Cost"):
 * cost = (input - cacheRead - cacheWrite) x input price + cacheRead x cacheRead price (else input price)
 *      + cacheWrite x cacheWrite price (else input price) + output x output price, all / 1e6.
 * A model with no price costs null, never a made-up 0.
 */
import type { ModelPricing, Usage } from '../core/types.js';

/** USD for `usage` at `pricing`, or null when the model is unpriced or usage is unknown. */
export function priceUsage(usage: Usage | undefined, pricing: ModelPricing | undefined): number | null {
  if (!pricing || !usage) return null;
  const cacheRead = usage.cacheReadTokens ?? 0;
  const cacheWrite = usage.cacheWriteTokens ?? 0;
  const freshInput = Math.max(0, usage.inputTokens - cacheRead - cacheWrite);
  const micro =
    freshInput * pricing.inputPerMTok +
    cacheRead * (pricing.cacheReadPerMTok ?? pricing.inputPerMTok) +
    cacheWrite * (pricing.cacheWritePerMTok ?? pricing.inputPerMTok) +
    usage.outputTokens * pricing.outputPerMTok;
  // Round to 1e-12 USD so sums of many calls do not drift into float noise.
  return Math.round((micro / 1e6) * 1e12) / 1e12;
}

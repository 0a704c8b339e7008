/**
 * `priceUsage` against figures computed by hand (TELEMETRY.md "Cost"):
 * cost = (input − cacheRead − cacheWrite) × input + cacheRead × cacheRead price (else input)
 *      + cacheWrite × cacheWrite price (else input) + output × output, all ÷ 1e6.
 */
import { describe, expect, it } from '@jest/globals';
import { makeUsage } from '../../../src/core/usage.js';
import { priceUsage } from '../../../src/telemetry/cost.js';

describe('priceUsage', () => {
  it('prices OpenAI cached tokens (prompt_tokens already includes cached_tokens)', () => {
    // gpt-4o-mini: $0.15 in, $0.60 out, $0.075 cached. prompt_tokens 2000 of which cached 1500, completion 100.
    const usage = makeUsage({ inputTokens: 2000, outputTokens: 100, cacheReadTokens: 1500 });
    // 500 × 0.15 + 1500 × 0.075 + 100 × 0.60 = 75 + 112.5 + 60 = 247.5 µ$
    expect(priceUsage(usage, { inputPerMTok: 0.15, outputPerMTok: 0.6, cacheReadPerMTok: 0.075 })).toBe(0.0002475);
  });

  it('prices Anthropic cache reads and writes (input_tokens excludes both, so they are added first)', () => {
    // Anthropic reports input_tokens 50, cache_read_input_tokens 3000, cache_creation_input_tokens 1000, output 200.
    const usage = makeUsage({ inputTokens: 50 + 3000 + 1000, outputTokens: 200, cacheReadTokens: 3000, cacheWriteTokens: 1000 });
    expect(usage.inputTokens).toBe(4050);
    // claude-3-5-haiku: $0.80 in, $4 out, $0.08 cache read, $1 cache write.
    // 50 × 0.8 + 3000 × 0.08 + 1000 × 1 + 200 × 4 = 40 + 240 + 1000 + 800 = 2080 µ$
    expect(priceUsage(usage, { inputPerMTok: 0.8, outputPerMTok: 4, cacheReadPerMTok: 0.08, cacheWritePerMTok: 1 })).toBe(0.00208);
  });

  it('charges reasoning tokens once, as the output tokens that include them', () => {
    // o3-mini-like: $1.10 in, $4.40 out; 1000 output tokens of which 800 reasoning.
    const usage = makeUsage({ inputTokens: 100, outputTokens: 1000, reasoningTokens: 800 });
    // 100 × 1.1 + 1000 × 4.4 = 110 + 4400 = 4510 µ$
    expect(priceUsage(usage, { inputPerMTok: 1.1, outputPerMTok: 4.4 })).toBe(0.00451);
  });

  it('falls back to the input price for cache reads and writes without their own price', () => {
    const usage = makeUsage({ inputTokens: 1000, outputTokens: 0, cacheReadTokens: 400, cacheWriteTokens: 100 });
    // (500 + 400 + 100) × 2 = 2000 µ$
    expect(priceUsage(usage, { inputPerMTok: 2, outputPerMTok: 8 })).toBe(0.002);
  });

  it('is null for an unpriced model or unknown usage, never a made-up 0', () => {
    const usage = makeUsage({ inputTokens: 10, outputTokens: 10 });
    expect(priceUsage(usage, undefined)).toBeNull();
    expect(priceUsage(undefined, { inputPerMTok: 1, outputPerMTok: 1 })).toBeNull();
  });

  it('is 0 only for a priced call that used no tokens', () => {
    expect(priceUsage(makeUsage({ inputTokens: 0, outputTokens: 0 }), { inputPerMTok: 1, outputPerMTok: 1 })).toBe(0);
  });

  it('never charges negative fresh input when a provider reports more cached than total', () => {
    const usage = { inputTokens: 100, outputTokens: 0, totalTokens: 100, cacheReadTokens: 150 };
    // fresh input clamps to 0; 150 × 0.5 = 75 µ$
    expect(priceUsage(usage, { inputPerMTok: 3, outputPerMTok: 15, cacheReadPerMTok: 0.5 })).toBe(0.000075);
  });

  it('rounds to 1e-12 USD so sums do not drift', () => {
    const usage = makeUsage({ inputTokens: 1, outputTokens: 1 });
    // 1 × 0.1 + 1 × 0.2 = 0.30000000000000004 µ$ in floats
    expect(priceUsage(usage, { inputPerMTok: 0.1, outputPerMTok: 0.2 })).toBe(3e-7);
  });
});

/**
 * Usage normalisation shared by managers: build a Usage with totals filled in and optional
 * fields present only when the provider reported them.
 */
import type { Usage } from './types.js';

/** Parts of usage as a provider reports them, already normalised (input includes cache reads/writes). */
export interface UsageParts {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens?: number | null;
  cacheWriteTokens?: number | null;
  reasoningTokens?: number | null;
}

/** Build a Usage; `totalTokens` = input + output; zero-or-absent optional parts are omitted. */
export function makeUsage(parts: UsageParts): Usage {
  const usage: Usage = {
    inputTokens: parts.inputTokens,
    outputTokens: parts.outputTokens,
    totalTokens: parts.inputTokens + parts.outputTokens,
  };
  if (parts.cacheReadTokens) usage.cacheReadTokens = parts.cacheReadTokens;
  if (parts.cacheWriteTokens) usage.cacheWriteTokens = parts.cacheWriteTokens;
  if (parts.reasoningTokens) usage.reasoningTokens = parts.reasoningTokens;
  return usage;
}

/** Usage of zero tokens, for answers whose usage is unknown (cost is then null). */
export const EMPTY_USAGE: Readonly<Usage> = Object.freeze({ inputTokens: 0, outputTokens: 0, totalTokens: 0 });

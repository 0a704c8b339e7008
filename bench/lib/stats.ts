/** Small statistics for the report: medians, percentiles, ranges. */

/** The q-quantile (0..1) of `values` by nearest rank on a sorted copy; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** The median of `values`; NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Median with its range over rounds. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  /** The per-round values. */
  rounds: number[];
}

/** Median and range of per-round values (NaN-free). */
export function summarize(values: readonly number[]): Summary {
  const clean = values.filter((value) => Number.isFinite(value));
  return { median: median(clean), min: clean.length ? Math.min(...clean) : Number.NaN, max: clean.length ? Math.max(...clean) : Number.NaN, rounds: clean };
}

/** A number with a sensible count of significant digits for a table cell. */
export function formatNumber(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return '—';
  const magnitude = Math.abs(value);
  if (magnitude >= 1000) return Math.round(value).toLocaleString('en-US');
  if (magnitude === 0) return '0';
  return Number(value.toPrecision(digits)).toString();
}

/** `median [min–max]` for a cell. */
export function formatSummary(summary: Summary | undefined, digits = 3, suffix = ''): string {
  if (!summary || !Number.isFinite(summary.median)) return '—';
  if (summary.rounds.length < 2) return `${formatNumber(summary.median, digits)}${suffix}`;
  return `${formatNumber(summary.median, digits)}${suffix} [${formatNumber(summary.min, digits)}–${formatNumber(summary.max, digits)}]`;
}

/**
 * CPU time and peak RSS of another process, read from /proc (Linux): how the bench charges a gateway
 * process (ours or Portkey's) for its share of a call, and checks that the fake upstream is not the
 * bottleneck. Elsewhere these read as undefined and the columns stay empty.
 */
import { readFileSync } from 'node:fs';

const TICK_US = 1_000_000 / 100; // USER_HZ is 100 on Linux

/** User + system CPU microseconds of `pid` so far, or undefined when /proc cannot tell. */
export function processCpuUs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_US;
  } catch {
    return undefined;
  }
}

/** Peak resident set size of `pid` in kB (VmHWM), or undefined. */
export function processPeakRssKb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

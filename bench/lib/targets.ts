/**
 * The targets of issues 8, 12, 15, 17 and 18, checked against one run. Each says what was measured (median
 * [range] over rounds) and whether it is met; a target whose arms did not run is "not measured".
 * Issue 18's are about the switchboard as users run it: over loopback, on its transport, against the
 * raw SDK on its default fetch.
 */
import type { ArmRun } from './arm-runs.js';
import type { SessionsFigure } from './extras.js';
import { callsPerSecond, cpuPerCall, cpuPerChunk, figureOf, p50, p99, paired, RunIndex, serverCpuPerCall, type Measure } from './figures.js';
import { formatSummary, summarize, type Summary } from './stats.js';
import type { Figure } from './workloads.js';

/** One target's verdict. */
export interface TargetResult {
  /** The issue that set it. */
  issue: string;
  target: string;
  measured: string;
  /** undefined: not measured in this run. */
  met?: boolean;
  /** The median compared against the limit. */
  value?: number;
  limit: number;
}

/** A verdict before its issue is named. */
type Verdict = Omit<TargetResult, 'issue'>;

function verdict(target: string, summary: Summary | undefined, limit: number, better: 'lower' | 'higher', unit = '', digits = 3): Verdict {
  if (!summary || !Number.isFinite(summary.median)) return { target, measured: 'not measured', limit };
  const met = better === 'lower' ? summary.median <= limit : summary.median >= limit;
  return { target, measured: formatSummary(summary, digits, unit), met, value: summary.median, limit };
}

function ofIssue(issue: string, verdicts: Verdict[]): TargetResult[] {
  return verdicts.map((result) => ({ issue, ...result }));
}

/** a ÷ b round by round on one figure and measure. */
function ratio(a: ArmRun | undefined, b: ArmRun | undefined, figure: Figure, measure: Measure): Summary | undefined {
  return paired(a, b, { a: figure, b: figure }, { a: measure, b: measure });
}

/** a − b round by round. */
function added(a: ArmRun | undefined, b: ArmRun | undefined, figure: Figure, measure: Measure): Summary | undefined {
  return paired(a, b, { a: figure, b: figure }, { a: measure, b: measure }, true);
}

/** Every target of the three issues, each in its issue's order. */
export function checkTargets(runs: ArmRun[], sessions: SessionsFigure | undefined): TargetResult[] {
  const index = new RunIndex(runs);
  return [...ofIssue('8', issue8(index, sessions)), ...ofIssue('12', issue12(index)), ...ofIssue('15', issue15(index)), ...ofIssue('17', issue17(index)), ...ofIssue('18', issue18(index))];
}

function issue8(index: RunIndex, sessions: SessionsFigure | undefined): Verdict[] {
  const canned = (arm: string) => index.get(arm, 'canned');
  const loop = (arm: string) => index.get(arm, 'loopback');
  const sb = canned('sb-openai');
  const results: Verdict[] = [
    verdict('CPU/call, switchboard (telemetry off) ÷ raw openai ≤ 1.15×', ratio(sb, canned('raw-openai'), 'c50', cpuPerCall), 1.15, 'lower', '×'),
    verdict(
      'CPU/call, switchboard (telemetry on) ÷ raw openai + hand-made span & 3 metrics ≤ 1.15×',
      ratio(canned('sb-openai+otel'), canned('raw-openai+otel'), 'c50', cpuPerCall),
      1.15,
      'lower',
      '×',
    ),
    verdict('CPU/call, switchboard ÷ LangChain.js < 1', ratio(sb, canned('langchain'), 'c50', cpuPerCall), 1, 'lower', '×'),
    verdict('CPU/call, switchboard ÷ Vercel AI SDK < 1', ratio(sb, canned('vercel-ai'), 'c50', cpuPerCall), 1, 'lower', '×'),
    verdict('calls/s at concurrency 50 (loopback), switchboard ÷ raw ≥ 0.95×', ratio(loop('sb-openai'), loop('raw-openai'), 'c50', callsPerSecond), 0.95, 'higher', '×'),
    verdict('added time to first chunk (loopback, p50) ≤ 0.3 ms', added(loop('sb-openai'), loop('raw-openai'), 's1', p50), 0.3, 'lower', ' ms', 2),
    verdict('CPU per streamed chunk, switchboard ÷ raw ≤ 1.5×', ratio(sb, canned('raw-openai'), 's50', cpuPerChunk), 1.5, 'lower', '×'),
    verdict('CPU per streamed chunk, switchboard ÷ LangChain.js < 1', ratio(sb, canned('langchain'), 's50', cpuPerChunk), 1, 'lower', '×'),
    verdict('CPU per streamed chunk, switchboard ÷ Vercel AI SDK < 1', ratio(sb, canned('vercel-ai'), 's50', cpuPerChunk), 1, 'lower', '×'),
    verdict('response-cache hit p99 ≤ 0.5 ms', figureOf(canned('sb-cache-hit'), 'c1', p99), 0.5, 'lower', ' ms'),
    verdict(
      'response-cache hit rate ≥ 50× raw call rate (loopback, concurrency 50)',
      paired(canned('sb-cache-hit'), loop('raw-openai'), { a: 'c50', b: 'c50' }, { a: callsPerSecond, b: callsPerSecond }),
      50,
      'higher',
      '×',
    ),
    verdict('heap per idle session ≤ 1 KB', sessions?.bytesPerSession.length ? summarize(sessions.bytesPerSession) : undefined, 1024, 'lower', ' B'),
    verdict('peak RSS at concurrency 50 ≤ raw + 25 MB', rssDelta(loop('sb-openai'), loop('raw-openai')), 25, 'lower', ' MB'),
    verdict('gateway: added p50 at concurrency 1 ≤ 1 ms', added(loop('sb-gateway'), loop('raw-openai'), 'c1', p50), 1, 'lower', ' ms', 2),
    verdict('gateway: calls/s ≥ 2× the Portkey gateway', ratio(loop('sb-gateway'), loop('portkey-gateway'), 'c50', callsPerSecond), 2, 'higher', '×'),
  ];
  return results;
}

/** Issue 12: the layer's overhead, on the canned fetch (the layer alone) and over loopback (as users run it). */
function issue12(index: RunIndex): Verdict[] {
  const results: Verdict[] = [];
  for (const transport of ['canned', 'loopback'] as const) {
    const arm = (name: string) => index.get(name, transport);
    const where = transport === 'canned' ? 'canned' : 'loopback, transport';
    results.push(
      verdict(`CPU/call (${where}), switchboard telemetry off ÷ raw openai ≤ 1.25×`, ratio(arm('sb-openai'), arm('raw-openai'), 'c50', cpuPerCall), 1.25, 'lower', '×'),
      verdict(`CPU/call (${where}), switchboard telemetry on ÷ raw + hand-made span & 3 metrics ≤ 1.10×`, ratio(arm('sb-openai+otel'), arm('raw-openai+otel'), 'c50', cpuPerCall), 1.1, 'lower', '×'),
      verdict(`CPU per streamed chunk (${where}), switchboard ÷ raw ≤ 1.5×`, ratio(arm('sb-openai'), arm('raw-openai'), 's50', cpuPerChunk), 1.5, 'lower', '×'),
    );
  }
  results.push(verdict('calls/s at concurrency 50 (loopback), switchboard ÷ raw ≥ 0.9×', ratio(index.get('sb-openai', 'loopback'), index.get('raw-openai', 'loopback'), 'c50', callsPerSecond), 0.9, 'higher', '×'));
  return results;
}

/** Issue 15: bot memory; a session call carrying 20 stored turns against one carrying none (canned: the layer alone). */
function issue15(index: RunIndex): Verdict[] {
  const canned = (arm: string) => index.get(arm, 'canned');
  return [
    verdict('CPU/call, session with 20 stored turns ÷ session without memory ≤ 1.10×', ratio(canned('sb-memory'), canned('sb-session'), 'c50', cpuPerCall), 1.1, 'lower', '×'),
  ];
}

/**
 * Issue 17: the router's CPU per call, a provider with 4 deployments (at one upstream) minus the same
 * provider without any, round by round in the same run (canned: the layer alone, no sockets).
 */
function issue17(index: RunIndex): Verdict[] {
  const canned = (arm: string) => index.get(arm, 'canned');
  return [verdict('router adds ≤ 5 µs CPU per call (4 deployments − none, canned, c50)', added(canned('sb-openai+deployments'), canned('sb-openai'), 'c50', cpuPerCall), 5, 'lower', ' µs', 2)];
}

/** Issue 18: the transport; over loopback, against the raw SDK on its default fetch. */
function issue18(index: RunIndex): Verdict[] {
  const loop = (arm: string) => index.get(arm, 'loopback');
  const raw = loop('raw-openai');
  return [
    verdict('client CPU/call, switchboard (telemetry off) ÷ raw SDK (default fetch) ≤ 0.8×', ratio(loop('sb-openai'), raw, 'c50', cpuPerCall), 0.8, 'lower', '×'),
    verdict("gateway process CPU per proxied call ÷ raw SDK's CPU per call ≤ 1.0×", paired(loop('sb-gateway'), raw, { a: 'c50', b: 'c50' }, { a: serverCpuPerCall, b: cpuPerCall }), 1, 'lower', '×'),
    verdict('calls/s through the gateway ÷ direct (raw SDK) ≥ 0.8×', ratio(loop('sb-gateway'), raw, 'c50', callsPerSecond), 0.8, 'higher', '×'),
    verdict('calls/s through the gateway ÷ the Portkey gateway ≥ 2×', ratio(loop('sb-gateway'), loop('portkey-gateway'), 'c50', callsPerSecond), 2, 'higher', '×'),
    verdict('CPU per streamed chunk, switchboard ÷ raw SDK (default fetch) ≤ 1.0×', ratio(loop('sb-openai'), raw, 's50', cpuPerChunk), 1, 'lower', '×'),
  ];
}

/** Peak RSS difference in MB (one value per process, not per round). */
function rssDelta(a: ArmRun | undefined, b: ArmRun | undefined): Summary | undefined {
  if (a?.maxRssKb === undefined || b?.maxRssKb === undefined) return undefined;
  return summarize([(a.maxRssKb - b.maxRssKb) / 1024]);
}

/**
 * The Markdown report of a run: the machine, one table per kind of figure (every arm with its ratio
 * to the raw SDK of the same run), local models, idle sessions, and the issue's targets.
 * Cells read `median [min–max]` over the rounds.
 */
import type { ArmRun, Skipped } from './arm-runs.js';
import type { LocalFigure, SessionsFigure } from './extras.js';
import {
  addedToBaseline,
  callsPerSecond,
  cpuPerCall,
  cpuPerCallWithServer,
  cpuPerChunk,
  figureOf,
  p50,
  p99,
  paired,
  ratioToBaseline,
  RunIndex,
  serverCpuPerCall,
} from './figures.js';
import { formatNumber, formatSummary, summarize } from './stats.js';
import type { TargetResult } from './targets.js';

/** The machine a run ran on. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  os: string;
}

/** Everything a report is made from. */
export interface ReportInput {
  startedAt: string;
  durationS: number;
  machine: MachineInfo;
  rounds: number;
  chunks: number;
  slice: Record<string, number>;
  runs: ArmRun[];
  skipped: Skipped;
  sessions?: SessionsFigure;
  local?: LocalFigure;
  targets: TargetResult[];
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

function name(run: ArmRun): string {
  return run.error ? `${run.arm} ⚠️ failed: ${run.error.slice(0, 120)}` : run.arm;
}

function ratioCell(run: ArmRun, cell: string): string {
  return run.baseline === run.arm ? '1 (baseline)' : cell === '—' ? '—' : `${cell} (÷ ${run.baseline})`;
}

/** The whole report as Markdown. */
export function renderReport(input: ReportInput): string {
  const index = new RunIndex(input.runs);
  const canned = input.runs.filter((run) => run.transport === 'canned');
  const loopback = input.runs.filter((run) => run.transport === 'loopback');
  const out: string[] = [];
  out.push(`# llm-switchboard bench, ${input.startedAt}`);
  out.push(
    `Machine: ${input.machine.cpu}, ${input.machine.cores} cores, ${input.machine.memoryGb} GB, Node ${input.machine.node}, ${input.machine.os}. ` +
      `${input.rounds} rounds, ${input.chunks} text chunks per answer, slices: ${Object.entries(input.slice).map(([figure, calls]) => `${figure} ${calls}`).join(', ')}; run took ${Math.round(input.durationS)} s.`,
  );
  out.push('Cells: median [min–max] over slices (one per arm per round; the raw baselines run between the arms, so they have more). Ratios compare each slice with the raw SDK slices run just before and after it, same transport (1 = the raw SDK; CPU and latency: lower is better; calls/s: higher is better).');

  out.push('\n## CPU per call: canned fetch (no socket), 50 calls in flight');
  out.push(
    table(
      ['arm', 'CPU µs/call', 'ratio', 'calls/s in-process'],
      canned.map((run) => [name(run), formatSummary(figureOf(run, 'c50', cpuPerCall)), ratioCell(run, formatSummary(ratioToBaseline(index, run, 'c50', cpuPerCall))), formatSummary(figureOf(run, 'c50', callsPerSecond))]),
    ),
  );
  const otelFloor = paired(index.get('sb-openai+otel', 'canned'), index.get('raw-openai+otel', 'canned'), { a: 'c50', b: 'c50' }, { a: cpuPerCall, b: cpuPerCall });
  if (otelFloor) out.push(`\nTelemetry on: switchboard ÷ (raw openai + one hand-made span and three metric records) = ${formatSummary(otelFloor)}.`);

  out.push(`\n## Streams: canned fetch, 50 streams in flight, ${input.chunks} text chunks each`);
  out.push(
    table(
      ['arm', 'CPU µs per chunk', 'ratio', 'streams/s in-process'],
      canned
        .filter((run) => run.slices.s50)
        .map((run) => [name(run), formatSummary(figureOf(run, 's50', cpuPerChunk)), ratioCell(run, formatSummary(ratioToBaseline(index, run, 's50', cpuPerChunk))), formatSummary(figureOf(run, 's50', callsPerSecond))]),
    ),
  );

  out.push('\n## Loopback fake upstream (own process), 50 calls in flight');
  const rawRss = index.get('raw-openai', 'loopback')?.maxRssKb;
  out.push(
    table(
      ['arm', 'calls/s', 'ratio', 'client CPU µs/call', 'client CPU ratio', 'gateway CPU µs/call', 'RSS at start MB', 'peak RSS MB (gateway)', 'Δ peak RSS vs raw MB'],
      loopback.map((run) => [
        name(run),
        formatSummary(figureOf(run, 'c50', callsPerSecond)),
        ratioCell(run, formatSummary(ratioToBaseline(index, run, 'c50', callsPerSecond))),
        formatSummary(figureOf(run, 'c50', cpuPerCall)),
        ratioCell(run, formatSummary(ratioToBaseline(index, run, 'c50', cpuPerCall))),
        formatSummary(figureOf(run, 'c50', serverCpuPerCall)),
        run.startRssKb === undefined ? '—' : formatNumber(run.startRssKb / 1024),
        run.maxRssKb === undefined ? '—' : `${formatNumber(run.maxRssKb / 1024)}${run.serverPeakRssKb ? ` (${formatNumber(run.serverPeakRssKb / 1024)})` : ''}`,
        run.maxRssKb === undefined || rawRss === undefined ? '—' : formatNumber((run.maxRssKb - rawRss) / 1024),
      ]),
    ),
  );
  const busy = loopback.flatMap((run) => run.upstreamBusy);
  if (busy.length) {
    const peak = Math.max(...busy);
    out.push(`\nFake upstream busy: at most ${Math.round(peak * 100)} % of a core during any arm's slice${peak > 0.9 ? ' ⚠️ it may have limited calls/s' : ' (not the bottleneck)'}.`);
  }
  const gateways = loopback.filter((run) => run.slices.c50?.some((slice) => slice.serverCpuUs !== undefined));
  if (gateways.length) {
    out.push(`Gateways, CPU µs per call of client + gateway together: ${gateways.map((run) => `${run.arm} ${formatSummary(figureOf(run, 'c50', cpuPerCallWithServer))}`).join('; ')}.`);
    const rawLoop = index.get('raw-openai', 'loopback');
    const perProxied = gateways.map((run) => `${run.arm} ${formatSummary(paired(run, rawLoop, { a: 'c50', b: 'c50' }, { a: serverCpuPerCall, b: cpuPerCall }))}`);
    out.push(`Gateway process CPU per proxied call ÷ the raw SDK's own CPU per call (direct): ${perProxied.join('; ')}.`);
  }

  const loopStreams = loopback.filter((run) => run.slices.s50);
  if (loopStreams.length) {
    out.push(`\n## Streams over loopback, 50 in flight, ${input.chunks} text chunks each (client CPU)`);
    out.push(
      table(
        ['arm', 'CPU µs per chunk', 'ratio', 'streams/s'],
        loopStreams.map((run) => [name(run), formatSummary(figureOf(run, 's50', cpuPerChunk)), ratioCell(run, formatSummary(ratioToBaseline(index, run, 's50', cpuPerChunk))), formatSummary(figureOf(run, 's50', callsPerSecond))]),
      ),
    );
  }

  out.push('\n## One call at a time: latency and time to first chunk (loopback; the floor row is the raw SDK on the canned fetch)');
  const floor = index.get('raw-openai', 'canned');
  const latencyRows = loopback.map((run) => [
    name(run),
    formatSummary(figureOf(run, 'c1', p50)),
    formatSummary(figureOf(run, 'c1', p99)),
    formatSummary(addedToBaseline(index, run, 'c1', p50)),
    formatSummary(addedToBaseline(index, run, 'c1', p99)),
    formatSummary(figureOf(run, 's1', p50)),
    formatSummary(addedToBaseline(index, run, 's1', p50)),
  ]);
  if (floor?.slices.c1) {
    latencyRows.push(['floor: raw openai, canned fetch, no socket', formatSummary(figureOf(floor, 'c1', p50)), formatSummary(figureOf(floor, 'c1', p99)), '—', '—', formatSummary(figureOf(floor, 's1', p50)), '—']);
  }
  out.push(table(['arm', 'p50 ms', 'p99 ms', 'added p50 ms', 'added p99 ms', 'first chunk p50 ms', 'added first chunk ms'], latencyRows));

  const cache = index.get('sb-cache-hit', 'canned');
  if (cache) {
    out.push('\n## Response-cache hit (in-process, memory store)');
    const rate = paired(cache, index.get('raw-openai', 'loopback'), { a: 'c50', b: 'c50' }, { a: callsPerSecond, b: callsPerSecond });
    out.push(
      table(
        ['p50 ms', 'p99 ms', 'calls/s (50 in flight)', '÷ raw openai calls/s over loopback', 'CPU µs/call'],
        [[formatSummary(figureOf(cache, 'c1', p50)), formatSummary(figureOf(cache, 'c1', p99)), formatSummary(figureOf(cache, 'c50', callsPerSecond)), formatSummary(rate), formatSummary(figureOf(cache, 'c50', cpuPerCall))]],
      ),
    );
  }

  if (input.sessions) {
    out.push('\n## Idle sessions');
    out.push(
      input.sessions.error
        ? `Not measured: ${input.sessions.error}`
        : `Heap per idle session (${input.sessions.sessions.toLocaleString('en-US')} sessions, forced GC, memory store): ${formatSummary(summarize(input.sessions.bytesPerSession), 3, ' B')}.`,
    );
    const memory = input.sessions.bytesPerMemorySession;
    if (memory?.length) {
      out.push(
        `Heap per idle session holding 20 turns (bot memory, ${(input.sessions.memorySessions ?? 0).toLocaleString('en-US')} sessions, 40 stored messages each): ${formatSummary(summarize(memory), 3, ' B')}.`,
      );
    }
  }

  if (input.local) out.push(renderLocal(input.local));

  out.push('\n## Targets (issues 8, 12, 15, 17, 18)');
  out.push(table(['issue', 'target', 'measured', 'met'], input.targets.map((target) => [target.issue, target.target, target.measured, target.met === undefined ? '—' : target.met ? '✅' : '❌'])));
  const skipped = Object.entries(input.skipped);
  if (skipped.length) out.push(`\nNot run: ${skipped.map(([arm, why]) => `${arm} (${why})`).join('; ')}.`);
  return `${out.join('\n')}\n`;
}

function renderLocal(local: LocalFigure): string {
  const lines = [`\n## Local model: ${local.generated ? 'the generated tiny GGUF (random weights)' : local.gguf}`];
  if (local.error) lines.push(`⚠️ ${local.error}`);
  const rows = (['direct', 'switchboard'] as const).map((mode) => {
    const measured = local.rounds[mode];
    return [
      mode === 'direct' ? 'node-llama-cpp directly' : 'switchboard `llamacpp:`',
      formatSummary(summarize(measured.map((round) => round.loadMs))),
      formatSummary(summarize(measured.map((round) => round.ttftMs))),
      formatSummary(summarize(measured.map((round) => round.tokensPerS))),
      formatSummary(summarize(measured.map((round) => round.tokens))),
    ];
  });
  lines.push(table(['way', 'load ms', 'time to first token ms', 'decode tokens/s', 'tokens'], rows));
  const pair = (pick: (round: LocalFigure['rounds']['direct'][number]) => number) => {
    const count = Math.min(local.rounds.direct.length, local.rounds.switchboard.length);
    return summarize(Array.from({ length: count }, (_, round) => pick(local.rounds.switchboard[round]!) / pick(local.rounds.direct[round]!)));
  };
  if (local.rounds.direct.length && local.rounds.switchboard.length) {
    lines.push(`\nSwitchboard ÷ direct: load ${formatSummary(pair((round) => round.loadMs))}, first token ${formatSummary(pair((round) => round.ttftMs))}, tokens/s ${formatSummary(pair((round) => round.tokensPerS))}.`);
  }
  return lines.join('\n');
}

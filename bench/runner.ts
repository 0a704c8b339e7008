/**
 * `npm run bench`: starts the fake upstream, runs every arm in its own process (warm-up, then
 * interleaved rounds), measures idle sessions and local models, and prints the Markdown report.
 * The report and the raw data go to bench/results/bench-<time>.md / .json (and latest.*).
 * Knobs: bench/README.md.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { planArmRuns, progress, runArms } from './lib/arm-runs.js';
import { forkListening, stopChild } from './lib/child.js';
import { measureLocalModels, measureSessions } from './lib/extras.js';
import { compiledScript, resultsDir } from './lib/paths.js';
import { renderReport, type MachineInfo, type ReportInput } from './lib/report.js';
import { readSettings } from './lib/settings.js';
import { checkTargets } from './lib/targets.js';

function machine(): MachineInfo {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.versions.node,
    os: `${type()} ${release()}`,
  };
}

async function main(): Promise<void> {
  const settings = readSettings();
  const startedAt = new Date();
  const started = performance.now();
  const { runs, skipped } = planArmRuns(settings);
  progress(`${runs.length} arm processes, ${settings.rounds} rounds${Object.keys(skipped).length ? `; not run: ${Object.keys(skipped).join(', ')}` : ''}`);

  const upstream = await forkListening(compiledScript('fake-upstream'), { env: { ...process.env, BENCH_CHUNKS: String(settings.chunks) } });
  try {
    await runArms(runs, settings, { url: upstream.url, pid: upstream.child.pid });
  } finally {
    await stopChild(upstream.child);
  }

  const sessions = settings.skip.has('sessions') ? undefined : await measureSessions(settings);
  if (sessions) progress(`idle sessions measured${sessions.error ? `: ${sessions.error}` : ''}`);
  const local = settings.skip.has('local') ? undefined : await measureLocalModels(settings);
  if (local) progress(`local models measured${local.error ? `: ${local.error}` : ''}`);

  const input: ReportInput = {
    startedAt: startedAt.toISOString(),
    durationS: (performance.now() - started) / 1000,
    machine: machine(),
    rounds: settings.rounds,
    chunks: settings.chunks,
    slice: settings.slice,
    runs,
    skipped,
    sessions,
    local,
    targets: checkTargets(runs, sessions),
  };
  const markdown = renderReport(input);
  process.stdout.write(markdown);

  await mkdir(resultsDir, { recursive: true });
  const stamp = input.startedAt.replace(/[:.]/g, '-');
  const json = `${JSON.stringify({ ...input, settings: { ...settings, skip: [...settings.skip] } }, null, 2)}\n`;
  for (const base of [`bench-${stamp}`, 'latest']) {
    await writeFile(join(resultsDir, `${base}.md`), markdown);
    await writeFile(join(resultsDir, `${base}.json`), json);
  }
  progress(`written to ${join(resultsDir, `bench-${stamp}.md`)} and .json`);
  if (runs.some((run) => run.error)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});

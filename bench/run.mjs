#!/usr/bin/env node
/**
 * Entry point of the benchmarks (`npm run bench`, i.e. `node bench/run.mjs`).
 *
 *   node bench/run.mjs            the whole bench: every arm, the tables, bench/results/
 *   node bench/run.mjs soak       the soak (SOAK_CALLS calls with faults and a churning model cache)
 *   node bench/run.mjs profile [arm] [transport]   a CPU profile of one arm (default sb-openai canned)
 *   node bench/run.mjs router     the router's own CPU per attempt, per strategy (issue 17)
 *
 * Node 20 cannot run TypeScript, so this script first compiles bench/*.ts, together with the library
 * sources they import, into node_modules/.cache/llm-switchboard-bench (incremental tsc: a few seconds).
 * The output lives outside bench/ on purpose: there, the library and the raw SDKs resolve from the
 * project's own node_modules, never from bench/node_modules (which holds the peers and their own
 * nested copies of openai and @opentelemetry/api). The peers install into bench/node_modules with
 * `npm ci` on the first run (skip with BENCH_NO_INSTALL=1; peers not installed are reported as such).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = dirname(benchDir);
const outDir = join(repoRoot, 'node_modules', '.cache', 'llm-switchboard-bench');
const compiledBench = join(outDir, 'bench');

const commands = {
  bench: { script: 'runner.js', execArgv: ['--expose-gc'] },
  soak: { script: 'soak.js', execArgv: ['--expose-gc'] },
  profile: { script: 'profile.js', execArgv: [] },
  router: { script: 'router.js', execArgv: [] },
};
const [command = 'bench', ...rest] = process.argv.slice(2);
if (!(command in commands)) {
  process.stderr.write(`usage: node bench/run.mjs [${Object.keys(commands).join('|')}] …\n`);
  process.exit(2);
}

function installPeers() {
  if (process.env.BENCH_NO_INSTALL === '1' || existsSync(join(benchDir, 'node_modules', '.package-lock.json'))) return;
  process.stderr.write('[bench] installing the peers into bench/node_modules (npm ci) …\n');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: benchDir, stdio: 'inherit' });
  if (result.status !== 0) process.stderr.write('[bench] npm ci failed in bench/: the peer arms will be reported as not installed\n');
}

function compile() {
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc)) {
    process.stderr.write('[bench] typescript is not installed: run npm ci in the repository first\n');
    process.exit(1);
  }
  const result = spawnSync(process.execPath, [tsc, '-p', join(benchDir, 'tsconfig.json')], { cwd: repoRoot, stdio: 'inherit' });
  if (result.status !== 0) {
    if (!existsSync(join(compiledBench, commands[command].script))) process.exit(result.status ?? 1);
    // tsc still emits on type errors; a library change in progress should not stop a measurement.
    process.stderr.write('[bench] tsc reported type errors (above); running what it emitted\n');
  }
  // Under node_modules/ Node sees no package scope, so say the output is ESM.
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'package.json'), '{ "type": "module", "private": true }\n');
}

if (command !== 'profile' && command !== 'router') installPeers();
compile();
const child = spawn(process.execPath, [...commands[command].execArgv, join(compiledBench, commands[command].script), ...rest], {
  cwd: repoRoot,
  stdio: 'inherit',
  env: { ...process.env, BENCH_REPO_ROOT: repoRoot },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

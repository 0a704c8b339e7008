/**
 * Where things are. The bench's TypeScript runs compiled (bench/run.mjs compiles it, with the
 * library sources it imports, into node_modules/.cache/llm-switchboard-bench), so the compiled
 * files and the repository are in different places: the repository root comes from run.mjs
 * (BENCH_REPO_ROOT), else from walking up to the folder that holds bench/run.mjs.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The compiled bench folder (the one holding worker.js, runner.js …). */
export const compiledBenchDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function findRepoRoot(): string {
  const given = process.env.BENCH_REPO_ROOT;
  if (given) return resolve(given);
  let dir = compiledBenchDir;
  for (;;) {
    if (existsSync(join(dir, 'bench', 'run.mjs'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/** The repository root. */
export const repoRoot = findRepoRoot();

/** bench/ in the repository (peers, results, node_modules of the peers). */
export const benchSourceDir = join(repoRoot, 'bench');

/** Where runs are written (git-ignored). */
export const resultsDir = join(benchSourceDir, 'results');

/** A compiled bench script by its name without extension (`worker`, `fake-upstream` …). */
export function compiledScript(name: string): string {
  return join(compiledBenchDir, `${name}.js`);
}

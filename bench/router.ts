/**
 * The router's own CPU per attempt (issue 17: "the router adds ≤ 5 µs CPU per call"): one
 * DeploymentPool of 4 deployments per strategy, `acquire` + `succeeded` + `abandoned` (what ModelCall
 * runs around each attempt) repeated in-process, CPU per attempt as the median of ROUTER_ROUNDS rounds
 * (default 9) of ROUTER_ATTEMPTS attempts (default 200,000) after a warm-up round. An end-to-end arm pair
 * (`sb-openai+deployments` ÷ `sb-openai` in `npm run bench`) carries this too, but on this machine its
 * slice-to-slice noise (±60 µs) is far above 5 µs; this isolates what the router itself adds.
 * Run: `node bench/run.mjs router` (or `npm run bench -- router`). Exits 1 when a strategy is over 5 µs.
 */
import { DeploymentPool } from '../src/routing/deployment-pool.js';
import { ROUTING_STRATEGIES } from '../src/routing/deployment-config.js';

const attempts = Number(process.env.ROUTER_ATTEMPTS ?? 200_000);
const rounds = Number(process.env.ROUTER_ROUNDS ?? 9);
const TARGET_US = 5;
const MODEL = 'gpt-4o-mini';
const DEPLOYMENTS = ['east', 'west', 'north', 'south'].map((name, index) => ({ name, weight: index + 1, rpm: 1_000_000_000 }));

/** `count` attempts, each leased, answered and released as ModelCall does. */
async function run(pool: DeploymentPool, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const lease = await pool.acquire(MODEL, 0);
    if (!lease) throw new Error('no deployment was free: the bench set-up is wrong');
    pool.succeeded(lease, 100);
    pool.abandoned(lease);
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

let failed = false;
process.stdout.write(`# Router CPU per attempt: 4 deployments (with rpm limits), ${rounds} rounds of ${attempts} attempts\n\n| strategy | µs CPU per attempt | range | ≤ ${TARGET_US} µs |\n| --- | --- | --- | --- |\n`);
for (const strategy of ROUTING_STRATEGIES) {
  const pool = new DeploymentPool('openai', DEPLOYMENTS, { routing: { strategy, cooldownMs: 30_000, latencyExploration: 0.1 } });
  await run(pool, attempts);
  const perAttempt: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = process.cpuUsage();
    await run(pool, attempts);
    const used = process.cpuUsage(start);
    perAttempt.push((used.user + used.system) / attempts);
  }
  const value = median(perAttempt);
  const met = value <= TARGET_US;
  failed ||= !met;
  process.stdout.write(`| ${strategy} | ${value.toFixed(2)} | ${Math.min(...perAttempt).toFixed(2)}–${Math.max(...perAttempt).toFixed(2)} | ${met ? '✅' : '❌'} |\n`);
}
process.exitCode = failed ? 1 : 0;

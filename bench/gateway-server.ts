/**
 * The switchboard gateway as the gateway arm talks to it: `startGateway()` in its own process (so its
 * CPU and RSS are its own), with OpenAI pointed at the fake upstream (BENCH_UPSTREAM), no gateway keys
 * (loopback only), logs off. Sends `{ type: 'listening', url }` once it serves.
 */
import { silentLogger } from '../src/index.js';
import { startGateway } from '../src/server/index.js';
import { BENCH_API_KEY } from './arms/arm.js';
import { repoRoot } from './lib/paths.js';

const upstream = process.env.BENCH_UPSTREAM;
if (!upstream) throw new Error('BENCH_UPSTREAM must name the fake upstream (http://127.0.0.1:PORT)');

const gateway = await startGateway({
  env: {},
  // config/default.json and its catalog are read from the repository, whatever the working directory.
  cwd: repoRoot,
  logger: silentLogger,
  host: '127.0.0.1',
  port: 0,
  config: {
    providers: { openai: { apiKey: BENCH_API_KEY, baseURL: `${upstream}/v1` } },
    telemetry: { logLevel: 'silent' },
  },
});
process.send?.({ type: 'listening', url: gateway.url });

let closing = false;
const stop = () => {
  if (closing) return;
  closing = true;
  void gateway.close().finally(() => process.exit(0));
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);

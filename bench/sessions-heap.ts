/**
 * Heap per idle session: a switchboard with the bench bot, then SESSIONS (default 10,000) sessions
 * started and left idle, measured with forced full GCs around each batch (run with --expose-gc).
 * Repeated BENCH_SESSION_REPEATS times (default 3) on top of each other; sends
 * `{ type: 'sessions', sessions, bytesPerSession: number[] }` to the runner, or prints it.
 */
import { CANNED_ANTHROPIC_BASE_URL, CANNED_OPENAI_BASE_URL, cannedFetch } from './lib/canned-fetch.js';
import { BENCH_API_KEY } from './arms/arm.js';
import { BENCH_BOT, benchSwitchboard } from './arms/switchboard-arms.js';
import { BENCH_MODEL, BENCH_PROMPT } from './lib/wire.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function settledHeap(): number {
  for (let round = 0; round < 4; round++) gc!();
  return process.memoryUsage().heapUsed;
}

const sessions = Number(process.env.SESSIONS ?? 10_000);
const repeats = Number(process.env.BENCH_SESSION_REPEATS ?? 3);
const sb = await benchSwitchboard({
  transport: 'canned',
  fetch: cannedFetch(4),
  openaiBaseURL: CANNED_OPENAI_BASE_URL,
  anthropicBaseURL: CANNED_ANTHROPIC_BASE_URL,
  upstreamURL: '',
  chunks: 4,
  apiKey: BENCH_API_KEY,
  model: BENCH_MODEL,
  prompt: BENCH_PROMPT,
});

// Warm the path (and any lazily built structure) before measuring, then drop those sessions.
for (let index = 0; index < 500; index++) {
  const session = await sb.sessions.start({ bot: BENCH_BOT, userId: `warm-${index}` });
  await sb.sessions.end(session.id);
}

const bytesPerSession: number[] = [];
for (let repeat = 0; repeat < repeats; repeat++) {
  const before = settledHeap();
  const first = await sb.sessions.start({ bot: BENCH_BOT, userId: `user-${repeat}-0` });
  for (let index = 1; index < sessions; index++) await sb.sessions.start({ bot: BENCH_BOT, userId: `user-${repeat}-${index}` });
  bytesPerSession.push((settledHeap() - before) / sessions);
  // The measured sessions must still be live, or the figure would measure nothing.
  if (!(await sb.sessions.get(first.id))) throw new Error('a session started for the measurement is gone');
}
await sb.close();

const result = { type: 'sessions', sessions, repeats, bytesPerSession };
if (process.send) process.send(result);
else process.stdout.write(`${JSON.stringify(result)}\n`);

/**
 * Heap per idle session: a switchboard with the bench bot, then SESSIONS (default 10,000) sessions
 * started and left idle, measured with forced full GCs around each batch (run with --expose-gc).
 * Repeated BENCH_SESSION_REPEATS times (default 3) on top of each other. Then the same for
 * MEMORY_SESSIONS (default 1,000) sessions of the memory bot, each holding 20 stored turns (the
 * history store's share of a conversation). Sends `{ type: 'sessions', sessions, bytesPerSession,
 * memorySessions, bytesPerMemorySession }` to the runner, or prints it.
 */
import { CANNED_ANTHROPIC_BASE_URL, CANNED_OPENAI_BASE_URL, cannedFetch } from './lib/canned-fetch.js';
import { BENCH_API_KEY } from './arms/arm.js';
import { BENCH_BOT, BENCH_MEMORY_BOT, BENCH_MEMORY_TURNS, benchSwitchboard } from './arms/switchboard-arms.js';
import { BENCH_MODEL, BENCH_PROMPT } from './lib/wire.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function settledHeap(): number {
  for (let round = 0; round < 4; round++) gc!();
  return process.memoryUsage().heapUsed;
}

const sessions = Number(process.env.SESSIONS ?? 10_000);
const memorySessions = Number(process.env.MEMORY_SESSIONS ?? 1_000);
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

/** A session of the memory bot after BENCH_MEMORY_TURNS turns, left idle. */
async function conversation(userId: string): Promise<string> {
  const session = await sb.sessions.start({ bot: BENCH_MEMORY_BOT, userId });
  for (let turn = 0; turn < BENCH_MEMORY_TURNS; turn++) {
    await sb.chat({ sessionId: session.id, messages: [{ role: 'user', content: `${BENCH_PROMPT} (turn ${turn})` }] });
  }
  return session.id;
}

for (let index = 0; index < 50; index++) await sb.sessions.end(await conversation(`warm-memory-${index}`));
const bytesPerMemorySession: number[] = [];
for (let repeat = 0; repeat < repeats; repeat++) {
  const before = settledHeap();
  const first = await conversation(`memory-${repeat}-0`);
  for (let index = 1; index < memorySessions; index++) await conversation(`memory-${repeat}-${index}`);
  bytesPerMemorySession.push((settledHeap() - before) / memorySessions);
  if ((await sb.sessions.history(first)).length !== 2 * BENCH_MEMORY_TURNS) throw new Error('a measured conversation does not hold its turns');
}
await sb.close();

const result = { type: 'sessions', sessions, repeats, bytesPerSession, memorySessions, bytesPerMemorySession };
if (process.send) process.send(result);
else process.stdout.write(`${JSON.stringify(result)}\n`);

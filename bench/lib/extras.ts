/**
 * The figures that are not per-call slices: heap per idle session (its own --expose-gc process) and
 * local models (llamacpp: through the switchboard against node-llama-cpp used directly, two
 * processes measured in alternating order over rounds).
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyGguf } from '../../tests/helpers/tiny-gguf.js';
import type { LocalMeasurement } from '../local-model-worker.js';
import { compiledScript } from './paths.js';
import type { BenchSettings } from './settings.js';
import { WorkerHandle } from './worker-handle.js';

/** Heap per idle session, bytes, one value per repeat: empty sessions, and sessions holding 20 turns. */
export interface SessionsFigure {
  sessions: number;
  bytesPerSession: number[];
  /** Sessions of the memory bot measured, each with 20 stored turns. */
  memorySessions?: number;
  bytesPerMemorySession?: number[];
  error?: string;
}

/** Run bench/sessions-heap in its own process. */
export function measureSessions(settings: BenchSettings): Promise<SessionsFigure> {
  return new Promise((resolve) => {
    const child = fork(compiledScript('sessions-heap'), [], {
      execArgv: ['--expose-gc'],
      env: { ...process.env, SESSIONS: String(settings.sessions) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let answered = false;
    child.on('message', (message: { type?: string; bytesPerSession?: number[]; memorySessions?: number; bytesPerMemorySession?: number[] }) => {
      if (message.type !== 'sessions') return;
      answered = true;
      resolve({ sessions: settings.sessions, bytesPerSession: message.bytesPerSession ?? [], memorySessions: message.memorySessions, bytesPerMemorySession: message.bytesPerMemorySession });
    });
    child.on('exit', (code) => {
      if (!answered) resolve({ sessions: settings.sessions, bytesPerSession: [], error: `sessions-heap exited with code ${code}` });
    });
  });
}

/** Local-model figures for both ways. */
export interface LocalFigure {
  gguf: string;
  generated: boolean;
  rounds: Record<'switchboard' | 'direct', LocalMeasurement[]>;
  error?: string;
}

/** The GGUF to measure: GGUF=path, else the tiny model generated into the temp folder. */
async function ggufFile(settings: BenchSettings): Promise<{ path: string; generated: boolean }> {
  if (settings.gguf) {
    if (!existsSync(settings.gguf)) throw new Error(`GGUF=${settings.gguf}: no such file`);
    return { path: settings.gguf, generated: false };
  }
  const path = join(tmpdir(), 'llm-switchboard-bench', 'tiny.gguf');
  await writeTinyGguf(path);
  return { path, generated: true };
}

/** Load time, time to first token and tokens/s, switchboard vs direct, alternating over rounds. */
export async function measureLocalModels(settings: BenchSettings): Promise<LocalFigure> {
  const { path, generated } = await ggufFile(settings);
  const figure: LocalFigure = { gguf: path, generated, rounds: { switchboard: [], direct: [] } };
  const workers: Partial<Record<'switchboard' | 'direct', WorkerHandle>> = {};
  try {
    for (const mode of ['direct', 'switchboard'] as const) {
      workers[mode] = await WorkerHandle.start(`local/${mode}`, compiledScript('local-model-worker'), { ...process.env, GGUF: path, BENCH_LOCAL_MODE: mode });
      // One unmeasured round each: the first load pays for the backend and the JIT.
      await workers[mode]!.request({ type: 'measure' });
    }
    for (let round = 0; round < settings.localRounds; round++) {
      const order = round % 2 === 0 ? (['direct', 'switchboard'] as const) : (['switchboard', 'direct'] as const);
      for (const mode of order) {
        const answer = await workers[mode]!.request({ type: 'measure' });
        figure.rounds[mode].push({ loadMs: answer.loadMs as number, ttftMs: answer.ttftMs as number, tokens: answer.tokens as number, tokensPerS: answer.tokensPerS as number });
      }
    }
  } catch (error) {
    figure.error = error instanceof Error ? error.message : String(error);
  } finally {
    for (const worker of Object.values(workers)) {
      await worker.request({ type: 'finish' }, 30_000).catch(() => undefined);
      await worker.stop();
    }
  }
  return figure;
}

/**
 * Shared set-up for the RELIABILITY.md figure tests: the chaos fake servers (OpenAI and Anthropic
 * wire formats) behind a real `createSwitchboard`, a seeded random source so fault mixes repeat,
 * stream draining that keeps exactly what the caller saw, a request-arrival log for timing windows,
 * and the host process (jest's sandbox `process` never sees `unhandledRejection`).
 */
import { createSwitchboard, type CreateSwitchboardOptions } from '../../src/create-switchboard.js';
import type { DeepPartial } from '../../src/config/load-config.js';
import type { SwitchboardConfig } from '../../src/config/types.js';
import type { GenerateResult, StreamPart } from '../../src/core/types.js';
import type { Switchboard } from '../../src/switchboard.js';
import { FakeAnthropicServer, type AnthropicStep } from '../helpers/fake-anthropic-server.js';
import { FakeOpenAIServer, type OpenAIStep } from '../helpers/fake-openai-server.js';
import type { FakeStep, RecordedRequest } from '../helpers/fake-provider.js';

/** API keys the fake servers accept; random-looking so no 8-character piece occurs by chance. */
export const TEST_KEYS = { openai: 'sk-reltest-oa-7Hq2Vx9LmK4pRz8NcW3b', anthropic: 'sk-ant-reltest-5Jd8Tg2YwQ6nBv1XsF9k' } as const;

/** Both chaos servers, started together. */
export interface ChaosServers {
  openai: FakeOpenAIServer;
  anthropic: FakeAnthropicServer;
  /** Requests both servers received (every upstream attempt, whatever its fate). */
  totalRequests(): number;
  /** Requests still open on either server. */
  inFlight(): number;
  close(): Promise<void>;
}

/** Start both servers on 127.0.0.1; `keys` makes them demand those API keys (401 otherwise). */
export async function startChaosServers(keys: { openai?: string; anthropic?: string } = TEST_KEYS): Promise<ChaosServers> {
  const [openai, anthropic] = await Promise.all([FakeOpenAIServer.start({ apiKey: keys.openai }), FakeAnthropicServer.start({ apiKey: keys.anthropic })]);
  return {
    openai,
    anthropic,
    totalRequests: () => openai.requestCount + anthropic.requestCount,
    inFlight: () => openai.inFlight + anthropic.inFlight,
    close: async () => {
      await Promise.all([openai.close(), anthropic.close()]);
    },
  };
}

/** `providers` config pointing the OpenAI and Anthropic managers at the fake servers. */
export function providersFor(servers: ChaosServers, keys: { openai: string; anthropic: string } = TEST_KEYS): DeepPartial<SwitchboardConfig>['providers'] {
  return {
    openai: { apiKey: keys.openai, baseURL: servers.openai.baseURL, timeoutMs: 30_000 },
    anthropic: { apiKey: keys.anthropic, baseURL: servers.anthropic.url, timeoutMs: 30_000 },
  };
}

/** Fast, quiet resilience settings; a test overrides what its figure is about. */
export const FAST_RESILIENCE = {
  maxRetries: 2,
  retryBaseDelayMs: 5,
  retryMaxDelayMs: 20,
  maxRetryAfterMs: 60_000,
  timeoutMs: 10_000,
  firstChunkTimeoutMs: 5_000,
  idleChunkTimeoutMs: 5_000,
} as const;

/**
 * A switchboard on the chaos servers: `bots` and `config` merge over the providers, a silent log
 * and FAST_RESILIENCE. The environment is empty, so nothing on this machine leaks in.
 */
export async function chaosSwitchboard(
  servers: ChaosServers,
  config: DeepPartial<SwitchboardConfig> = {},
  options: Omit<CreateSwitchboardOptions, 'config'> = {},
): Promise<Switchboard> {
  return createSwitchboard({
    env: {},
    ...options,
    config: {
      ...config,
      providers: { ...providersFor(servers), ...config.providers },
      telemetry: { logLevel: 'silent', ...config.telemetry },
      resilience: { ...FAST_RESILIENCE, ...config.resilience },
    },
  });
}

/** mulberry32: a tiny seeded generator, so a fault mix is the same on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What a stream gave its caller: the deltas as received, then a result or an error. */
export interface StreamOutcome {
  deltas: string[];
  text: string;
  /** The finish part's result (exactly one finish part was seen). */
  result?: GenerateResult;
  error?: unknown;
  /** performance.now() at each delta, and when the stream ended or failed. */
  deltaTimes: number[];
  endedAt: number;
  /** Parts after the finish part, or finish parts beyond the first (must stay 0). */
  extraParts: number;
}

/** Read a stream to its end; never throws (the error is in the outcome). */
export async function drainStream(stream: AsyncIterable<StreamPart>): Promise<StreamOutcome> {
  const deltas: string[] = [];
  let result: GenerateResult | undefined;
  const deltaTimes: number[] = [];
  let extraParts = 0;
  try {
    for await (const part of stream) {
      if (result) extraParts++;
      else if (part.type === 'text-delta') {
        deltaTimes.push(performance.now());
        deltas.push(part.text);
      } else if (part.type === 'finish') result = part.result;
    }
    return { deltas, text: deltas.join(''), result, deltaTimes, endedAt: performance.now(), extraParts };
  } catch (error) {
    return { deltas, text: deltas.join(''), result, error, deltaTimes, endedAt: performance.now(), extraParts };
  }
}

/** A promise's outcome as a value. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Await without throwing. */
export async function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Run `work` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Poll until `condition` holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(condition: () => boolean, timeoutMs = 2_000, stepMs = 10): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
  return true;
}

/** One request as the arrival log saw it. */
export interface Arrival {
  model: string;
  at: number;
  request: RecordedRequest;
  /** The scripted step it got (undefined: the default reply). */
  step?: FakeStep<unknown>;
}

/**
 * Scripts a server through its responder and stamps every generation request's arrival time, so a
 * test can measure the gap between attempts. Steps queued here are answered in order per model;
 * an empty queue gets `fallback(request, model)`, else the server's default reply.
 */
export class ArrivalLog<TStep extends OpenAIStep | AnthropicStep> {
  readonly arrivals: Arrival[] = [];
  private readonly queues = new Map<string, TStep[]>();

  constructor(server: FakeOpenAIServer | FakeAnthropicServer, fallback?: (request: RecordedRequest, model: string) => TStep | undefined) {
    (server as FakeOpenAIServer).respondWith((request, model) => {
      const step = this.queues.get(model)?.shift() ?? fallback?.(request, model);
      this.arrivals.push({ model, at: performance.now(), request, step: step as FakeStep<unknown> | undefined });
      return step as OpenAIStep | undefined;
    });
  }

  /** Queue steps for `model`. */
  script(model: string, ...steps: TStep[]): void {
    this.queues.set(model, [...(this.queues.get(model) ?? []), ...steps]);
  }

  /** Arrival times of `model`'s requests, oldest first. */
  timesOf(model: string): number[] {
    return this.arrivals.filter((arrival) => arrival.model === model).map((arrival) => arrival.at);
  }
}

/**
 * The worker's real `process`. Jest gives each test file a copied `process` whose listeners Node
 * never calls; jest-circus keeps the real one in its state (found by the symbol's description) to
 * catch unhandled rejections itself, and a listener added there sees every one of them too.
 */
export function hostProcess(): NodeJS.Process {
  const symbol = Object.getOwnPropertySymbols(globalThis).find((candidate) => candidate.description === 'JEST_STATE_SYMBOL');
  const state = symbol ? (globalThis as Record<symbol, { parentProcess?: NodeJS.Process } | undefined>)[symbol] : undefined;
  if (!state?.parentProcess) throw new Error('jest-circus state not found: cannot listen for unhandled rejections');
  return state.parentProcess;
}

/** Count unhandled rejections on the host process until `stop()` is called. */
export function countUnhandledRejections(): { readonly count: number; readonly reasons: unknown[]; stop(): void } {
  const host = hostProcess();
  const reasons: unknown[] = [];
  const listener = (reason: unknown) => void reasons.push(reason);
  host.on('unhandledRejection', listener);
  return {
    get count() {
      return reasons.length;
    },
    reasons,
    stop: () => void host.off('unhandledRejection', listener),
  };
}

/**
 * The switchboard arms: the same chat call through `createSwitchboard()` with telemetry off (no
 * providers: the @opentelemetry/api no-ops), with telemetry on (real SDK providers, discarding
 * exporters), on Anthropic, through a bot with two adapters, as a response-cache hit, and (over
 * loopback) on Node's own fetch given in config instead of the transport, to tell the layer's cost
 * from the transport's; and with 4 deployments of openai at the same upstream, the router's cost per
 * call against `sb-openai` (issue 17).
 * Each builds the real library from the repository's config/default.json (its catalog prices the
 * model, so cost is computed as in production) with the bench's keys, base URLs and fetch (the
 * canned one; over loopback none, so the providers use the transport, as users run them).
 */
import { createSwitchboard, silentLogger, type ChatCallRequest, type Switchboard } from '../../src/index.js';
import { startDiscardingTelemetry, type DiscardingTelemetry } from '../lib/otel.js';
import { BENCH_ANTHROPIC_MODEL, BENCH_MODEL, BENCH_PROMPT } from '../lib/wire.js';
import { BENCH_API_KEY, type ArmClient, type ArmDefinition, type ArmEnv } from './arm.js';
import { repoRoot } from '../lib/paths.js';

/** The bot of the bot arm: the model and two output adapters, nothing that changes the request body. */
export const BENCH_BOT = 'bench-bot';
/** The bot of the session arm: the model alone, no memory (each session call sends its own message only). */
export const BENCH_SESSION_BOT = 'bench-session';
/** The bot of the memory arm: the model with memory of 20 turns (40 messages). */
export const BENCH_MEMORY_BOT = 'bench-memory';
/** Turns a memory session holds once it is full (the bot keeps twice as many messages). */
export const BENCH_MEMORY_TURNS = 20;
/** Sessions the session arms rotate over: one per call in flight at concurrency 50. */
const BENCH_SESSIONS = 50;

interface SwitchboardSetup {
  telemetry?: DiscardingTelemetry;
  responseCache?: boolean;
  /** A fetch in config instead of the arm's (which is none over loopback). */
  fetch?: typeof fetch;
  /** Deployments of openai, all at the bench upstream (each inherits the provider's key and fetch). */
  deployments?: number;
}

/** Deployments of the router arm: enough that the picker compares several candidates per attempt. */
const BENCH_DEPLOYMENTS = 4;

/** A switchboard for the bench: every provider pointed at the bench upstream, logs off. */
export async function benchSwitchboard(env: ArmEnv, setup: SwitchboardSetup = {}): Promise<Switchboard> {
  return createSwitchboard({
    env: {},
    // config/default.json and its catalog are read from the repository, whatever the working directory.
    cwd: repoRoot,
    logger: silentLogger,
    tracerProvider: setup.telemetry?.tracerProvider,
    meterProvider: setup.telemetry?.meterProvider,
    config: {
      providers: {
        openai: {
          apiKey: BENCH_API_KEY,
          baseURL: env.openaiBaseURL,
          fetch: setup.fetch ?? env.fetch,
          deployments: Array.from({ length: setup.deployments ?? 0 }, (_, index) => ({ name: `bench-${index}`, baseURL: env.openaiBaseURL })),
        },
        anthropic: { apiKey: BENCH_API_KEY, baseURL: env.anthropicBaseURL, fetch: setup.fetch ?? env.fetch },
      },
      bots: {
        [BENCH_BOT]: {
          model: `openai:${BENCH_MODEL}`,
          adapters: [{ name: 'pii-redact' }, { name: 'max-length', options: { maxChars: 4000 } }],
        },
        [BENCH_SESSION_BOT]: { model: `openai:${BENCH_MODEL}` },
        [BENCH_MEMORY_BOT]: { model: `openai:${BENCH_MODEL}`, memory: { maxMessages: 2 * BENCH_MEMORY_TURNS } },
      },
      responseCache: { enabled: setup.responseCache === true },
      telemetry: { logLevel: 'silent' },
    },
  });
}

/** Calls and streams of one request shape through a switchboard. */
function switchboardClient(sb: Switchboard, request: ChatCallRequest, onClose?: () => Promise<void>): ArmClient {
  return {
    async call() {
      return (await sb.chat(request)).text;
    },
    async stream(onDelta) {
      let text = '';
      for await (const part of sb.stream(request)) {
        if (part.type === 'text-delta') {
          text += part.text;
          onDelta();
        }
      }
      return text;
    },
    async close() {
      await sb.close();
      await onClose?.();
    },
  };
}

const messages = [{ role: 'user' as const, content: BENCH_PROMPT }];

const telemetryOff: ArmDefinition = {
  name: 'sb-openai',
  label: 'switchboard → openai, telemetry off',
  baseline: 'raw-openai',
  transports: ['canned', 'loopback'],
  async create(env) {
    return switchboardClient(await benchSwitchboard(env), { model: `openai:${BENCH_MODEL}`, messages });
  },
};

const deployments: ArmDefinition = {
  name: 'sb-openai+deployments',
  label: `switchboard → openai with ${BENCH_DEPLOYMENTS} deployments (least-busy, same upstream), telemetry off`,
  baseline: 'raw-openai',
  transports: ['canned', 'loopback'],
  async create(env) {
    const sb = await benchSwitchboard(env, { deployments: BENCH_DEPLOYMENTS });
    // The arm measures the router only if the calls really go through it.
    await sb.chat({ model: `openai:${BENCH_MODEL}`, messages });
    if (Object.keys(sb.stats().byDeployment).length !== BENCH_DEPLOYMENTS) throw new Error('sb-openai+deployments: the calls did not go through the deployments');
    return switchboardClient(sb, { model: `openai:${BENCH_MODEL}`, messages });
  },
};

const onNodeFetch: ArmDefinition = {
  name: 'sb-openai+nodefetch',
  label: "switchboard → openai, telemetry off, Node's fetch in config (no transport)",
  baseline: 'raw-openai',
  transports: ['loopback'],
  async create(env) {
    return switchboardClient(await benchSwitchboard(env, { fetch: globalThis.fetch }), { model: `openai:${BENCH_MODEL}`, messages });
  },
};

const telemetryOn: ArmDefinition = {
  name: 'sb-openai+otel',
  label: 'switchboard → openai, telemetry on (OTel SDK, discarding exporters)',
  baseline: 'raw-openai',
  transports: ['canned', 'loopback'],
  async create(env) {
    const telemetry = startDiscardingTelemetry();
    const sb = await benchSwitchboard(env, { telemetry });
    return switchboardClient(sb, { model: `openai:${BENCH_MODEL}`, messages }, () => telemetry.shutdown());
  },
};

const anthropic: ArmDefinition = {
  name: 'sb-anthropic',
  label: 'switchboard → anthropic, telemetry off',
  baseline: 'raw-anthropic',
  transports: ['canned', 'loopback'],
  async create(env) {
    return switchboardClient(await benchSwitchboard(env), { model: `anthropic:${BENCH_ANTHROPIC_MODEL}`, messages });
  },
};

const bot: ArmDefinition = {
  name: 'sb-bot',
  label: 'switchboard → bot with 2 adapters (pii-redact, max-length), telemetry off',
  baseline: 'raw-openai',
  transports: ['canned', 'loopback'],
  async create(env) {
    return switchboardClient(await benchSwitchboard(env), { bot: BENCH_BOT, messages });
  },
};

const cacheHit: ArmDefinition = {
  name: 'sb-cache-hit',
  label: 'switchboard response-cache hit (memory store), telemetry off',
  baseline: 'raw-openai',
  transports: ['canned'],
  async create(env) {
    const sb = await benchSwitchboard(env, { responseCache: true });
    const request = { model: `openai:${BENCH_MODEL}`, messages };
    const first = await sb.chat(request);
    const second = await sb.chat(request);
    if (first.cached || !second.cached) throw new Error('sb-cache-hit: the second identical call was not served from the response cache');
    return switchboardClient(sb, request);
  },
};

/**
 * Calls rotating over BENCH_SESSIONS sessions of `bot`; with `fillTurns`, each session first gets
 * that many turns, so every measured call carries a full history (memory keeps it at the cap).
 */
async function sessionClient(env: ArmEnv, bot: string, fillTurns: number): Promise<ArmClient> {
  const sb = await benchSwitchboard(env);
  const ids: string[] = [];
  for (let index = 0; index < BENCH_SESSIONS; index++) {
    const session = await sb.sessions.start({ bot, userId: `bench-${index}` });
    for (let turn = 0; turn < fillTurns; turn++) await sb.chat({ sessionId: session.id, messages });
    ids.push(session.id);
  }
  if (fillTurns > 0 && (await sb.sessions.history(ids[0]!)).length !== 2 * fillTurns) throw new Error(`${bot}: the filled session does not hold ${fillTurns} turns`);
  let next = 0;
  const request = (): ChatCallRequest => ({ sessionId: ids[next++ % ids.length]!, messages });
  return {
    async call() {
      return (await sb.chat(request())).text;
    },
    async stream(onDelta) {
      let text = '';
      for await (const part of sb.stream(request())) {
        if (part.type === 'text-delta') {
          text += part.text;
          onDelta();
        }
      }
      return text;
    },
    close: () => sb.close(),
  };
}

const sessionNoMemory: ArmDefinition = {
  name: 'sb-session',
  label: 'switchboard → session of a bot without memory, telemetry off',
  baseline: 'raw-openai',
  transports: ['canned'],
  create: (env) => sessionClient(env, BENCH_SESSION_BOT, 0),
};

const sessionMemory: ArmDefinition = {
  name: 'sb-memory',
  label: `switchboard → session of a bot with memory, ${BENCH_MEMORY_TURNS} stored turns, telemetry off`,
  baseline: 'raw-openai',
  transports: ['canned'],
  create: (env) => sessionClient(env, BENCH_MEMORY_BOT, BENCH_MEMORY_TURNS),
};

/** The switchboard arms. */
export const switchboardArms: ArmDefinition[] = [telemetryOff, deployments, onNodeFetch, telemetryOn, anthropic, bot, cacheHit, sessionNoMemory, sessionMemory];

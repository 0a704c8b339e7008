/**
 * The gateway arms: an application talking to a gateway with the raw `openai` SDK, the gateway in its
 * own process, forwarding to the fake upstream. Ours is `startGateway()` (bench/gateway-server.ts);
 * the peer is the Portkey gateway (`@portkey-ai/gateway`, installed in bench/ only). The worker
 * charges the gateway process's CPU and peak RSS to the arm as well as the client's.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { forkListening, freePort, stopChild, waitForHttp } from '../lib/child.js';
import { benchSourceDir, compiledScript } from '../lib/paths.js';
import { BENCH_MODEL, BENCH_PROMPT } from '../lib/wire.js';
import { BENCH_API_KEY, type ArmClient, type ArmDefinition } from './arm.js';

const messages = [{ role: 'user' as const, content: BENCH_PROMPT }];

/** The raw SDK against a gateway: the same call and stream as the raw-openai arm. */
function gatewayClient(client: OpenAI, model: string, serverPid: number | undefined, close: () => Promise<void>): ArmClient {
  return {
    serverPid,
    async call() {
      const completion = await client.chat.completions.create({ model, messages });
      return completion.choices[0]?.message.content ?? '';
    },
    async stream(onDelta) {
      let text = '';
      const stream = await client.chat.completions.create({ model, messages, stream: true, stream_options: { include_usage: true } });
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta?.content;
        if (delta) {
          text += delta;
          onDelta();
        }
      }
      return text;
    },
    close,
  };
}

const switchboardGateway: ArmDefinition = {
  name: 'sb-gateway',
  label: 'raw `openai` → switchboard gateway (own process) → upstream',
  baseline: 'raw-openai',
  transports: ['loopback'],
  async create(env) {
    // Same V8 flags as the worker (see lib/arm-runs.ts): a server idle between slices keeps its code.
    // BENCH_GATEWAY_CPU_PROF=<dir> (set by bench/profile.ts): `node --cpu-prof` on the gateway process.
    const profileDir = process.env.BENCH_GATEWAY_CPU_PROF;
    const execArgv = [...process.execArgv, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])];
    const { child, url } = await forkListening(compiledScript('gateway-server'), { env: { ...process.env, BENCH_UPSTREAM: env.upstreamURL }, execArgv });
    const client = new OpenAI({ apiKey: BENCH_API_KEY, baseURL: `${url}/v1`, maxRetries: 0 });
    return gatewayClient(client, `openai:${BENCH_MODEL}`, child.pid, () => stopChild(child));
  },
};

/** The Portkey gateway's Node entry point inside bench/node_modules. */
export const PORTKEY_ENTRY = join(benchSourceDir, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js');

const portkeyGateway: ArmDefinition = {
  name: 'portkey-gateway',
  label: 'raw `openai` → Portkey gateway 1.15.2 (own process) → upstream',
  baseline: 'raw-openai',
  transports: ['loopback'],
  noStreams:
    'Portkey 1.15.2 answers every stream with HTTP 500 on Node 20: it appends headers to the upstream fetch Response, whose headers are immutable ("TypeError: immutable")',
  async create(env) {
    if (!existsSync(PORTKEY_ENTRY)) throw new Error('@portkey-ai/gateway is not installed: cd bench && npm ci');
    const port = await freePort();
    // NODE_ENV=production and --headless: no UI routes, no log console; stdout (a spinner) is dropped.
    const child = spawn(process.execPath, [...process.execArgv, PORTKEY_ENTRY, `--port=${port}`, '--headless'], {
      cwd: benchSourceDir,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitForHttp(`${url}/`);
    } catch (error) {
      await stopChild(child);
      throw error;
    }
    const client = new OpenAI({
      apiKey: BENCH_API_KEY,
      baseURL: `${url}/v1`,
      maxRetries: 0,
      defaultHeaders: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${env.upstreamURL}/v1` },
    });
    return gatewayClient(client, BENCH_MODEL, child.pid, () => stopChild(child));
  },
};

/** The gateway arms. */
export const gatewayArms: ArmDefinition[] = [switchboardGateway, portkeyGateway];

/**
 * RELIABILITY.md "scrubber oracle": a tenant holding a valid gateway key sends several hundred
 * crafted requests whose model names, roles, session ids, parameters and stop sequences are
 * 8-character windows of the canary keys the gateway holds (provider keys, another tenant's gateway
 * key), and the same requests with look-alike windows that are no key piece. Upstream fakes quote the
 * request back in their errors, as real providers do ("The model `x` does not exist"). If any answer
 * differed between a hit and its miss (beyond the guess itself), scrubbing would be telling the
 * tenant which guesses are key pieces; it must not.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createConsoleLogger } from '../../src/core/logger.js';
import { SecretRegistry } from '../../src/core/secrets.js';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { FakeAnthropicServer } from '../helpers/fake-anthropic-server.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';
import { seededRandom } from '../helpers/seeded-random.js';

const CANARIES = {
  openai: 'sk-oracle-oa-Hq2Vx9LmK4pRz8NcW3bTy6Ud',
  anthropic: 'sk-ant-oracle-Jd8Tg2YwQ6nBv1XsF9kM4eRa',
  compatible: 'cmp-oracle-Pz5Lk8Ws2Qx7Nv4Hb1Tm9Yc',
  victimGateway: 'gw-oracle-victim-Rb6Yt3Ka8Mf1Xw5Qs2',
} as const;
const ATTACKER_KEY = 'gw-oracle-attacker-Ue4Nh7Pj2Zr9Lc6Vd';
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One request shape; `guess` is the 8-character text the tenant probes with. */
type Probe = (guess: string) => { body: Record<string, unknown>; headers?: Record<string, string> };

const PROBES: Record<string, Probe> = {
  'openai model quoted back by a 404': (g) => ({ body: { model: `openai:probe-${g}`, messages: [{ role: 'user', content: 'hi' }] } }),
  'anthropic model quoted back by a 404': (g) => ({ body: { model: `anthropic:probe-${g}`, messages: [{ role: 'user', content: 'hi' }] } }),
  'compatible-endpoint model quoted back': (g) => ({ body: { model: `vllm:probe-${g}`, messages: [{ role: 'user', content: 'hi' }] } }),
  'unknown bot': (g) => ({ body: { model: `bot:${g}`, messages: [{ role: 'user', content: 'hi' }] } }),
  'unknown provider': (g) => ({ body: { model: `${g}:model`, messages: [{ role: 'user', content: 'hi' }] } }),
  'bad role': (g) => ({ body: { model: 'bot:support', messages: [{ role: g, content: 'hi' }] } }),
  'session id': (g) => ({ body: { model: 'bot:support', messages: [{ role: 'user', content: 'hi' }] }, headers: { 'x-session-id': `s-${g}` } }),
  'string where a number belongs': (g) => ({ body: { model: 'bot:support', temperature: g, messages: [{ role: 'user', content: 'hi' }] } }),
  'stop sequence quoted back by a 400': (g) => ({ body: { model: 'openai:echo-400', stop: [g], messages: [{ role: 'user', content: 'hi' }] } }),
};

/** Windows of each canary, and for each a look-alike of the same shape that is no key piece. */
function guessPairs(perKey: number): Array<{ canary: string; hit: string; miss: string }> {
  const random = seededRandom(11);
  const pairs: Array<{ canary: string; hit: string; miss: string }> = [];
  for (const [name, key] of Object.entries(CANARIES)) {
    for (let n = 0; n < perKey; n++) {
      const at = Math.floor(random() * (key.length - 8));
      const hit = key.slice(at, at + 8);
      const miss = hit.replace(/[A-Za-z0-9]/g, () => ALPHABET[Math.floor(random() * ALPHABET.length)]!);
      pairs.push({ canary: name, hit, miss });
    }
  }
  return pairs;
}

/** The answer with what varies per request (ids, times) and the guess itself taken out. */
function normalise(answer: Answer, guess: string): string {
  const body = answer.body
    .split(guess)
    .join('<GUESS>')
    .replace(/"(id|created|latency_ms|request_id)":("[^"]*"|\d+)/g, '"$1":0');
  const headers = Object.entries(answer.headers)
    .filter(([name]) => !['date', 'x-request-id', 'content-length', 'x-session-id', 'keep-alive', 'connection'].includes(name))
    .map(([name, value]) => `${name}=${value.split(guess).join('<GUESS>')}`)
    .sort()
    .join('\n');
  return `${answer.status}\n${headers}\n${body}`;
}

describe('reliability: the scrubber is no oracle', () => {
  const logLines: string[] = [];
  const canaries = new SecretRegistry();
  for (const key of Object.values(CANARIES)) canaries.register(key);
  let openai: FakeOpenAIServer;
  let anthropic: FakeAnthropicServer;
  let compatible: FakeOpenAIServer;
  let gw: Gateway;

  beforeAll(async () => {
    [openai, anthropic, compatible] = await Promise.all([
      FakeOpenAIServer.start({ apiKey: CANARIES.openai }),
      FakeAnthropicServer.start({ apiKey: CANARIES.anthropic }),
      FakeOpenAIServer.start({ apiKey: CANARIES.compatible }),
    ]);
    // Real providers quote the request back in their errors: the model name, a bad parameter value.
    const quoteBack = (request: { body: unknown }, model: string) => {
      if (model.startsWith('probe-')) return { kind: 'status' as const, status: 404, message: `The model \`${model}\` does not exist or you do not have access to it.` };
      if (model === 'echo-400') {
        const stop = (request.body as { stop?: unknown }).stop;
        return { kind: 'status' as const, status: 400, message: `Invalid 'stop': ${JSON.stringify(stop)} is not a supported stop sequence` };
      }
      return undefined;
    };
    openai.respondWith(quoteBack);
    compatible.respondWith(quoteBack);
    anthropic.respondWith((request, model) => (model.startsWith('probe-') ? { kind: 'status', status: 404, message: `model: ${model}` } : undefined));
    gw = await startGateway({
      env: {},
      config: {
        providers: {
          openai: { apiKey: CANARIES.openai, baseURL: openai.baseURL },
          anthropic: { apiKey: CANARIES.anthropic, baseURL: anthropic.url },
          openaiCompatible: { vllm: { baseURL: compatible.baseURL, apiKey: CANARIES.compatible } },
        },
        resilience: { maxRetries: 0, circuitBreaker: { failureThreshold: 10_000, cooldownMs: 1_000 } },
        bots: { support: { model: 'openai:gpt-4o-mini' } },
        server: { apiKeys: [{ key: ATTACKER_KEY, tenant: 'attacker' }, { key: CANARIES.victimGateway, tenant: 'victim' }] },
        telemetry: { logLevel: 'debug' },
      },
      host: '127.0.0.1',
      port: 0,
      logger: createConsoleLogger('debug', (line) => logLines.push(line)),
    });
  });
  afterAll(async () => {
    await gw?.close();
    await Promise.all([openai?.close(), anthropic?.close(), compatible?.close()]);
  });

  async function send(probe: Probe, guess: string): Promise<Answer> {
    const { body, headers } = probe(guess);
    const response = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ATTACKER_KEY}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
  }

  it('several hundred crafted requests: every hit answers exactly as its miss does, and no answer holds another key piece', async () => {
    const pairs = guessPairs(6);
    const differences: string[] = [];
    const leaks: string[] = [];
    let requests = 0;
    let redacted = 0;
    for (const [kind, probe] of Object.entries(PROBES)) {
      for (const { canary, hit, miss } of pairs) {
        const [hitAnswer, missAnswer] = await Promise.all([send(probe, hit), send(probe, miss)]);
        requests += 2;
        if (normalise(hitAnswer, hit) !== normalise(missAnswer, miss)) differences.push(`${kind} / ${canary}: ${hitAnswer.status} ${hitAnswer.body.slice(0, 200)} <> ${missAnswer.status} ${missAnswer.body.slice(0, 200)}`);
        for (const answer of [hitAnswer, missAnswer]) {
          if (answer.body.includes('[REDACTED]')) redacted++;
          // The guess is the tenant's own text; anything else of a key would be a leak.
          const rest = `${answer.body.split(hit).join('')} ${JSON.stringify(answer.headers).split(hit).join('')}`;
          if (canaries.contains(rest)) leaks.push(`${kind}: ${answer.body.slice(0, 200)}`);
        }
      }
    }
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    const logs = logLines.join('\n');
    console.log(`scrubber oracle: ${requests} crafted requests (${Object.keys(PROBES).length} kinds x ${pairs.length} windows x hit/miss); ${differences.length} hit/miss differences; ${redacted} answers with [REDACTED]; ${leaks.length} leaks; /metrics ${metrics.length} bytes, key pieces in it: ${canaries.contains(metrics)}; key pieces in ${logLines.length} log lines: ${canaries.contains(logs)}`);
    expect(requests).toBeGreaterThanOrEqual(400);
    expect(differences).toEqual([]);
    expect(redacted).toBe(0);
    expect(leaks).toEqual([]);
    expect(canaries.contains(metrics)).toBe(false);
    expect(canaries.contains(logs)).toBe(false);
    // The probes really went upstream (the quoting paths were exercised), and were refused there.
    expect(openai.requestCount + anthropic.requestCount + compatible.requestCount).toBeGreaterThan(pairs.length * 4);
  }, 120_000);

  it('a key inside an upstream model or id field never reaches x_switchboard, headers or /metrics, and long fields are cut', async () => {
    openai.script('gpt-4o-mini', { text: 'ok', model: `gpt-4o-mini-${CANARIES.openai}`, id: `chatcmpl-${CANARIES.anthropic}` });
    openai.script('gpt-4o-mini', { text: 'ok', model: 'm'.repeat(5_000) });
    const leaking = await send(() => ({ body: { model: 'bot:support', messages: [{ role: 'user', content: 'hi' }] } }), 'unused');
    const long = await send(() => ({ body: { model: 'bot:support', messages: [{ role: 'user', content: 'hi' }] } }), 'unused');
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    const extension = (JSON.parse(leaking.body) as { x_switchboard: { response_model: string } }).x_switchboard;
    const longModel = (JSON.parse(long.body) as { x_switchboard: { response_model: string } }).x_switchboard.response_model;
    console.log(`upstream fields: response_model ${JSON.stringify(extension.response_model)}; a 5000-character model became ${longModel.length} characters`);
    expect(leaking.status).toBe(200);
    expect(canaries.contains(leaking.body + JSON.stringify(leaking.headers))).toBe(false);
    expect(extension.response_model).toContain('[REDACTED]');
    expect(canaries.contains(metrics)).toBe(false);
    expect(longModel.length).toBeLessThanOrEqual(257);
  });
});

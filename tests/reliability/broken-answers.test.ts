/**
 * RELIABILITY.md row "upstream 200 with HTML / `{"choices":[]}` / non-string content / a 100 MB
 * body -> the fallback answers; nothing cached; RSS growth < 50 MB", plus a gzip bomb, on both wire
 * formats (OpenAI and Anthropic), chat and stream, with the response cache on. Through
 * createSwitchboard, the real SDKs and the chaos fake servers on 127.0.0.1.
 *
 * Per case: a bot whose primary answers broken gets the healthy fallback's answer; the primary called
 * alone fails with a ProviderError (retryable for a malformed answer, not for a bound); and the same
 * call once the primary is healthy again reaches the provider (not a cache hit) and gets text, so no
 * broken answer was cached, not even as an empty one. The 100 MB stream is one event: a stream of
 * ordinary deltas past its bound has already delivered text, which makes it an interruption.
 *
 * Memory: the cases run twice. The figure is the RSS growth over the second pass (after gc), so it
 * shows what broken answers leave behind, not the allocator settling at its working size; the peak
 * over both passes, above the baseline of healthy calls only, shows that no 100 MB or inflated body
 * was ever held whole (each is cut at its 16 MiB / 4 MiB bound).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ProviderError } from '../../src/core/errors.js';
import type { GenerateResult } from '../../src/core/types.js';
import type { Switchboard } from '../../src/switchboard.js';
import type { FakeFault } from '../helpers/fake-provider.js';
import { garbageCollector } from '../helpers/gc.js';
import { chaosSwitchboard, drainStream, settle, startChaosServers, type ChaosServers } from './helpers.js';

const MIB = 1024 * 1024;
const RSS_GROWTH_LIMIT = 50 * MIB;
/**
 * A 100 MB body held whole costs at least 200 MB (its chunks, then their concatenation and text);
 * bounded ones peak near 60-75 MB here, so this is a generous line between the two.
 */
const RSS_PEAK_LIMIT = 150 * MIB;
type Wire = 'openai' | 'anthropic';

interface Case {
  name: string;
  fault: FakeFault;
  /** A malformed answer is retried; a passed bound is not. */
  retryable: boolean;
}

const CASES: Case[] = [
  { name: 'HTML page', fault: { kind: 'html' }, retryable: true },
  { name: 'no answer ({"choices":[]} / content not a list)', fault: { kind: 'no-answer' }, retryable: true },
  { name: 'non-string content', fault: { kind: 'non-text-content' }, retryable: true },
  { name: '100 MB body', fault: { kind: 'huge', bytes: 100 * MIB, singleEvent: true }, retryable: false },
  { name: 'gzip bomb (512 MiB inflated)', fault: { kind: 'gzip-bomb' }, retryable: false },
];

const PRIMARY: Record<Wire, { server: Wire; model: string }> = { openai: { server: 'openai', model: 'gpt-broken' }, anthropic: { server: 'anthropic', model: 'claude-broken' } };
const FALLBACK: Record<Wire, { server: Wire; model: string }> = { openai: { server: 'anthropic', model: 'claude-healthy' }, anthropic: { server: 'openai', model: 'gpt-healthy' } };

/** Collect garbage and let released sockets and bodies go (they are freed a tick after a call ends). */
async function settleMemory(gc: (() => void) | undefined): Promise<number> {
  gc?.();
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc?.();
  return process.memoryUsage().rss;
}

describe('reliability: broken 200s', () => {
  let servers: ChaosServers;
  let sb: Switchboard;
  /** The fault each wire's primary answers with right now (undefined: healthy). */
  const faults: Partial<Record<Wire, FakeFault>> = {};
  const gc = garbageCollector();
  let peakRss = 0;
  let sampler: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    servers = await startChaosServers();
    for (const wire of ['openai', 'anthropic'] as const) {
      servers[wire].respondWith((_request, model) => (model === PRIMARY[wire].model ? faults[wire] : undefined));
    }
    sb = await chaosSwitchboard(servers, {
      bots: {
        'openai-bot': { model: `openai:${PRIMARY.openai.model}`, fallbacks: [`anthropic:${FALLBACK.openai.model}`] },
        'anthropic-bot': { model: `anthropic:${PRIMARY.anthropic.model}`, fallbacks: [`openai:${FALLBACK.anthropic.model}`] },
      },
      responseCache: { enabled: true },
    });
  });

  afterAll(async () => {
    clearInterval(sampler);
    await sb?.close();
    await servers?.close();
  });

  async function call(target: { bot: string } | { model: string }, content: string, stream: boolean): Promise<{ result?: GenerateResult; error?: unknown }> {
    const request = { ...target, messages: [{ role: 'user' as const, content }] };
    if (!stream) {
      const settled = await settle(sb.chat(request));
      return settled.ok ? { result: settled.value } : { error: settled.error };
    }
    const outcome = await drainStream(sb.stream(request));
    return { result: outcome.result, error: outcome.error };
  }

  const requestsFor = (wire: Wire, model: string) => servers[wire].requests.filter((request) => (request.body as { model?: string } | undefined)?.model === model).length;

  /** Every case on both wire formats, chat and stream; returns what went wrong, in words. */
  async function runPass(pass: number): Promise<{ problems: string[]; checked: number }> {
    const problems: string[] = [];
    let checked = 0;
    for (const testCase of CASES) {
      for (const wire of ['openai', 'anthropic'] as const) {
        for (const stream of [false, true]) {
          const label = `${testCase.name} on ${wire} (${stream ? 'stream' : 'chat'})`;
          const prompt = `pass ${pass}, case ${checked++}: ${label}`;
          const primary = PRIMARY[wire];
          const fallback = FALLBACK[wire];
          faults[wire] = testCase.fault;

          const primaryBefore = requestsFor(primary.server, primary.model);
          const viaBot = await call({ bot: `${wire}-bot` }, prompt, stream);
          const attempts = requestsFor(primary.server, primary.model) - primaryBefore;
          if (viaBot.error) problems.push(`${label}: the bot failed: ${String(viaBot.error)}`);
          else if (viaBot.result?.model !== `${fallback.server}:${fallback.model}`) problems.push(`${label}: answered by ${viaBot.result?.model}`);
          else if (!viaBot.result.text.startsWith('echo: ')) problems.push(`${label}: the fallback's answer is ${JSON.stringify(viaBot.result.text.slice(0, 40))}`);
          // maxRetries 2: three attempts at a malformed answer, one at a passed bound.
          if (attempts !== (testCase.retryable ? 3 : 1)) problems.push(`${label}: ${attempts} attempts on the primary`);

          const alone = await call({ model: `${wire}:${primary.model}` }, prompt, stream);
          const error = alone.error as ProviderError | undefined;
          if (!(error instanceof ProviderError)) problems.push(`${label}: the primary alone gave ${alone.result ? 'an answer' : String(error)}`);
          else if (error.retryable !== testCase.retryable) problems.push(`${label}: retryable ${error.retryable}`);

          faults[wire] = undefined;
          const before = requestsFor(primary.server, primary.model);
          const healthy = await call({ model: `${wire}:${primary.model}` }, prompt, stream);
          if (healthy.result?.cached !== false || requestsFor(primary.server, primary.model) !== before + 1) problems.push(`${label}: a broken answer was cached`);
          if (!healthy.result?.text) problems.push(`${label}: no text once healthy`);
        }
      }
    }
    return { problems, checked };
  }

  it('upstream 200 with HTML / {"choices":[]} / non-string content / a 100 MB body / a gzip bomb -> the fallback answers; nothing cached; RSS growth < 50 MB', async () => {
    // Warm-up: SDK clients, sockets, the cache and the JIT, so the figures measure the broken answers.
    for (const wire of ['openai', 'anthropic'] as const) {
      for (const stream of [false, true]) {
        await call({ bot: `${wire}-bot` }, `warm-up ${wire} ${stream}`, stream);
        await call({ model: `${wire}:${PRIMARY[wire].model}` }, `warm-up direct ${wire} ${stream}`, stream);
      }
    }
    const rssHealthy = await settleMemory(gc);
    peakRss = rssHealthy;
    sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 5);
    const first = await runPass(1);
    const rssBefore = await settleMemory(gc);
    const second = await runPass(2);
    clearInterval(sampler);
    const rssAfter = await settleMemory(gc);
    const growth = rssAfter - rssBefore;
    const peak = peakRss - rssHealthy;
    const mb = (bytes: number) => (bytes / MIB).toFixed(1);
    console.log(
      `broken 200s: ${first.checked + second.checked} cases (${CASES.length} faults x 2 wire formats x chat/stream, twice), ` +
        `${first.problems.length + second.problems.length} problems; upstream requests ${servers.totalRequests()}; ` +
        `RSS over the second pass ${mb(rssBefore)} -> ${mb(rssAfter)} MiB (growth ${mb(growth)} MiB), ` +
        `peak ${mb(peak)} MiB above healthy calls only${gc ? '' : ' (no gc available)'}`,
    );
    expect([...first.problems, ...second.problems]).toEqual([]);
    expect(growth).toBeLessThan(RSS_GROWTH_LIMIT);
    expect(peak).toBeLessThan(RSS_PEAK_LIMIT);
    // Room for a slow, shared machine: about 10 s of loopback traffic here; no timing is asserted.
  }, 120_000);
});

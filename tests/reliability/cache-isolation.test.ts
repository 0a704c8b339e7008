/**
 * RELIABILITY.md row "cache isolation: 1,000 tenants, same prompt": 0 cross-tenant hits. Each
 * tenant's first call is a miss that reaches the provider, whose every answer is unique; its second
 * call (from another session of the same tenant, half of them streamed) is a hit returning that
 * tenant's own answer. Through createSwitchboard and the real OpenAI SDK.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Switchboard } from '../../src/switchboard.js';
import { chaosSwitchboard, drainStream, mapConcurrent, startChaosServers, type ChaosServers } from './helpers.js';

const TENANTS = 1_000;
const PROMPT = 'What is the balance on my account?';

describe('reliability: response cache isolation', () => {
  let servers: ChaosServers;
  let sb: Switchboard;

  beforeAll(async () => {
    servers = await startChaosServers();
    let answers = 0;
    // Every provider answer is different, so a hit from another tenant's entry would show.
    servers.openai.setDefaultReply(() => ({ text: `balance statement number ${++answers}` }));
    sb = await chaosSwitchboard(servers, {
      bots: { bank: { model: 'openai:gpt-bank', system: 'Answer about balances.' } },
      responseCache: { enabled: true, max: 10_000 },
      // Isolation is measured here, not speed: a loaded machine must not turn a slow call into a failure.
      resilience: { timeoutMs: 120_000, firstChunkTimeoutMs: 60_000, idleChunkTimeoutMs: 60_000 },
    });
  });

  afterAll(async () => {
    await sb?.close();
    await servers?.close();
  });

  it('cache isolation: 1,000 tenants, same prompt -> 0 cross-tenant hits (first call a miss, second a hit)', async () => {
    const problems: string[] = [];
    const firstAnswers = new Map<string, string>();
    let hits = 0;
    await mapConcurrent(
      Array.from({ length: TENANTS }, (_, i) => `tenant-${i}`),
      50,
      async (tenantId, i) => {
        const messages = [{ role: 'user' as const, content: PROMPT }];
        const first = await sb.chat({ sessionId: (await sb.sessions.start({ bot: 'bank', tenantId })).id, messages });
        if (first.cached) problems.push(`${tenantId}: first call was a hit (${first.text})`);
        firstAnswers.set(tenantId, first.text);
        // A second session of the same tenant: the cache is scoped by tenant, not by session.
        const sessionId = (await sb.sessions.start({ bot: 'bank', tenantId })).id;
        const second =
          i % 2 === 0
            ? await sb.chat({ sessionId, messages })
            : await drainStream(sb.stream({ sessionId, messages })).then((outcome) => {
                if (outcome.error) throw outcome.error;
                return outcome.result!;
              });
        if (!second.cached) problems.push(`${tenantId}: second call was a miss`);
        else hits++;
        if (second.text !== first.text) problems.push(`${tenantId}: second answer ${JSON.stringify(second.text)} is not its own ${JSON.stringify(first.text)}`);
      },
    );
    const distinct = new Set(firstAnswers.values()).size;
    console.log(`cache isolation: ${TENANTS} tenants, ${servers.openai.requestCount} provider requests, ${hits} hits, ${distinct} distinct first answers, ${problems.length} cross-tenant hits or misses`);
    expect(problems).toEqual([]);
    // Exactly one provider request per tenant, each with its own answer.
    expect(servers.openai.requestCount).toBe(TENANTS);
    expect(distinct).toBe(TENANTS);
    expect(hits).toBe(TENANTS);
  });
});

/**
 * RELIABILITY.md row "non-retryable 400/401/404/quota": exactly 1 attempt on that candidate (with
 * retries configured), then the fallback where the rules say so: auth (401, 403), not found (404),
 * context length and quota exhaustion move on; invalid requests (400, 413, 422) reach the caller.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AuthenticationError,
  ContextLengthError,
  InvalidRequestError,
  NoSuchModelError,
  RateLimitError,
  type LLMError,
} from '../../src/core/errors.js';
import type { Switchboard } from '../../src/switchboard.js';
import type { FakeFault } from '../helpers/fake-provider.js';
import { chaosSwitchboard, drainStream, startChaosServers, type ChaosServers } from './helpers.js';

interface Case {
  name: string;
  fault: FakeFault;
  error: abstract new (...args: never[]) => LLMError;
  fallsBack: boolean;
  /** Wire formats the case exists in (OpenAI's quota error has no Anthropic twin). */
  providers: Array<'openai' | 'anthropic'>;
}

const BOTH: Case['providers'] = ['openai', 'anthropic'];

const CASES: Case[] = [
  { name: '400 invalid request', fault: { kind: 'status', status: 400 }, error: InvalidRequestError, fallsBack: false, providers: BOTH },
  { name: '413 too large', fault: { kind: 'status', status: 413 }, error: InvalidRequestError, fallsBack: false, providers: BOTH },
  { name: '422 unprocessable', fault: { kind: 'status', status: 422 }, error: InvalidRequestError, fallsBack: false, providers: BOTH },
  { name: '401 bad key', fault: { kind: 'status', status: 401 }, error: AuthenticationError, fallsBack: true, providers: BOTH },
  { name: '403 forbidden', fault: { kind: 'status', status: 403 }, error: AuthenticationError, fallsBack: true, providers: BOTH },
  { name: '404 no such model', fault: { kind: 'status', status: 404 }, error: NoSuchModelError, fallsBack: true, providers: BOTH },
  {
    name: '400 context length',
    fault: { kind: 'status', status: 400, message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.", code: 'context_length_exceeded' },
    error: ContextLengthError,
    fallsBack: true,
    providers: BOTH,
  },
  { name: '429 insufficient_quota', fault: { kind: 'status', status: 429, code: 'insufficient_quota' }, error: RateLimitError, fallsBack: true, providers: ['openai'] },
];

describe('reliability: non-retryable failures', () => {
  let servers: ChaosServers;
  let sb: Switchboard;

  beforeAll(async () => {
    servers = await startChaosServers();
    sb = await chaosSwitchboard(servers, {
      bots: {
        'openai-bot': { model: 'openai:gpt-main', fallbacks: ['anthropic:claude-next'] },
        'anthropic-bot': { model: 'anthropic:claude-main', fallbacks: ['openai:gpt-next'] },
      },
      // Retries are on, so a second attempt would show if the failure were wrongly retried.
      resilience: { maxRetries: 3 },
    });
  });

  afterAll(async () => {
    await sb?.close();
    await servers?.close();
  });

  function requestsFor(server: 'openai' | 'anthropic', model: string): number {
    return servers[server].requests.filter((request) => (request.body as { model?: string } | undefined)?.model === model).length;
  }

  const table = CASES.flatMap((c) => c.providers.flatMap((provider) => (['chat', 'stream'] as const).map((kind) => [c.name, provider, kind, c] as const)));

  it.each(table)('non-retryable %s on %s (%s) -> exactly 1 attempt on that candidate', async (_name, provider, kind, testCase) => {
    const primary = provider === 'openai' ? { server: 'openai' as const, model: 'gpt-main' } : { server: 'anthropic' as const, model: 'claude-main' };
    const next = provider === 'openai' ? { server: 'anthropic' as const, model: 'claude-next' } : { server: 'openai' as const, model: 'gpt-next' };
    const primaryBefore = requestsFor(primary.server, primary.model);
    const nextBefore = requestsFor(next.server, next.model);
    servers[primary.server].script(primary.model, testCase.fault);

    const request = { bot: `${provider}-bot`, messages: [{ role: 'user' as const, content: 'hello there' }] };
    let result: { model: string; attempts: number } | undefined;
    let error: unknown;
    if (kind === 'chat') {
      result = await sb.chat(request).catch((thrown: unknown) => {
        error = thrown;
        return undefined;
      });
    } else {
      const outcome = await drainStream(sb.stream(request));
      result = outcome.result;
      error = outcome.error;
    }

    expect(requestsFor(primary.server, primary.model) - primaryBefore).toBe(1);
    if (testCase.fallsBack) {
      expect(error).toBeUndefined();
      expect(result!.model).toBe(`${next.server}:${next.model}`);
      expect(result!.attempts).toBe(2);
      expect(requestsFor(next.server, next.model) - nextBefore).toBe(1);
    } else {
      expect(error).toBeInstanceOf(testCase.error);
      expect(requestsFor(next.server, next.model) - nextBefore).toBe(0);
    }
  });

  it('maps each case to its error class when there is no fallback', async () => {
    // The same faults on a model target (no fallback) show the class each one maps to.
    for (const testCase of CASES) {
      servers.openai.script('gpt-alone', testCase.fault);
      const before = requestsFor('openai', 'gpt-alone');
      const error = await sb.chat({ model: 'openai:gpt-alone', messages: [{ role: 'user', content: 'hello' }] }).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(testCase.error);
      expect((error as LLMError).retryable).toBe(false);
      expect(requestsFor('openai', 'gpt-alone') - before).toBe(1);
    }
  });
});

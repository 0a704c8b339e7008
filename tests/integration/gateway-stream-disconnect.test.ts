/**
 * A caller that disconnects while a huge upstream stream is still arriving: the gateway must stop
 * reading and close the upstream request at once, not drain it to its end. Measured by counting, never
 * by timing: a pass-through adapter counts the deltas the gateway pulls from upstream, and the fake
 * OpenAI server records how many deltas it wrote before its connection closed. The kernel buffers
 * several MB between the fake and the gateway, so "written" runs ahead of "read"; the stream is far
 * longer than those buffers, so a stream that was read to its end would show `complete`.
 *
 * Two upstreams: the built-in openai manager (the real SDK, whose read rejects on abort), and a
 * custom provider whose read does not see the abort (a plain `fetch` without the signal, as a user's
 * manager may be written); the gateway must close both after the same few deltas.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AdapterFactory } from '../../src/adapters/adapter.js';
import { InvalidRequestError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import type { CallContext, ProviderRequest, ProviderResult, ProviderStreamPart } from '../../src/core/types.js';
import { BaseLLMManager } from '../../src/managers/base-llm-manager.js';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';

/** Deltas in the upstream stream, and their size: ~40 MB, far more than the sockets buffer. */
const DELTAS = 40_000;
const DELTA_BYTES = 1024;
/** Deltas the gateway may still pull after its client has gone (the ones already in flight). */
const MAX_PULLED_AFTER_GONE = 32;

/** A custom provider that streams OpenAI SSE with a plain fetch that never sees the call's signal. */
class SignalBlindProvider extends BaseLLMManager<string> {
  readonly provider = 'blind';

  constructor(private readonly baseURL: string) {
    super();
  }

  protected async loadModel(modelId: string): Promise<string> {
    return modelId;
  }

  protected async doGenerate(): Promise<ProviderResult> {
    throw new InvalidRequestError('blind: streams only');
  }

  protected override async *doStream(model: string, request: ProviderRequest, _context: CallContext): AsyncIterable<ProviderStreamPart> {
    const response = await fetch(`${this.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream: true, messages: request.messages }),
    });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffered += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const frame = buffered.slice(0, end).replace(/^data: /, '');
          buffered = buffered.slice(end + 2);
          if (frame === '[DONE]') {
            yield { type: 'finish', finishReason: 'stop' };
            return;
          }
          const text = (JSON.parse(frame) as { choices: Array<{ delta?: { content?: string } }> }).choices[0]?.delta?.content;
          if (text) yield { type: 'text-delta', text };
        }
      }
    } finally {
      // Closed early (the consumer returned): cancelling the body closes the upstream connection.
      await reader.cancel().catch(() => undefined);
    }
  }
}

/** Counts the deltas that pass through a bot's stream: what the gateway pulled from upstream. */
function countingAdapter(counter: { pulled: number }): AdapterFactory {
  return () => ({
    name: 'count-deltas',
    createStreamTransformer: () => ({
      push(delta: string) {
        counter.pulled++;
        return delta;
      },
      flush: () => '',
    }),
  });
}

/** Stream `model` through the gateway, read the first bytes, then drop the connection. Returns the pulled count then. */
function readFirstChunkThenDisconnect(gw: Gateway, model: string, counter: { pulled: number }): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (response) => {
      if (response.statusCode !== 200) reject(new Error(`status ${response.statusCode}`));
      response.once('data', () => {
        const pulled = counter.pulled;
        request.destroy();
        resolve(pulled);
      });
    });
    request.on('error', () => undefined);
    request.end(JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'a long answer please' }] }));
  });
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('gateway: a caller that disconnects mid-stream closes the upstream at once', () => {
  const counter = { pulled: 0 };
  let upstream: FakeOpenAIServer;
  let gw: Gateway;
  const chunks = Array.from({ length: DELTAS }, (_, index) => `${String(index).padStart(6, '0')}${'x'.repeat(DELTA_BYTES - 6)}`);

  beforeAll(async () => {
    upstream = await FakeOpenAIServer.start();
    gw = await startGateway({
      config: {
        providers: { openai: { apiKey: 'sk-disconnect-test-4Rk8Qz2Lm7', baseURL: upstream.baseURL } },
        resilience: { maxRetries: 0 },
        bots: {
          viaSdk: { model: 'openai:gpt-4o-mini', adapters: [{ name: 'count-deltas' }] },
          viaBlind: { model: 'blind:gpt-4o-mini', adapters: [{ name: 'count-deltas' }] },
        },
        telemetry: { logLevel: 'silent' },
      },
      env: {},
      managers: [new SignalBlindProvider(upstream.baseURL)],
      adapters: { 'count-deltas': countingAdapter(counter) },
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
    });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });
  beforeEach(() => {
    upstream.reset();
    counter.pulled = 0;
  });

  it.each([
    ['the openai SDK (its read rejects on abort)', 'bot:viaSdk'],
    ['a custom provider whose read ignores the abort', 'bot:viaBlind'],
  ])('through %s', async (_name, model) => {
    upstream.script('gpt-4o-mini', { chunks });
    const pulledAtDisconnect = await readFirstChunkThenDisconnect(gw, model, counter);
    await until(() => upstream.inFlight === 0);
    await until(() => gw.switchboard.stats().active === 0);
    const [stream] = upstream.streams;
    expect(stream).toMatchObject({ deltas: DELTAS, outcome: 'client-closed' });
    expect(stream!.deltasWritten).toBeLessThan(DELTAS);
    expect(counter.pulled - pulledAtDisconnect).toBeLessThanOrEqual(MAX_PULLED_AFTER_GONE);
    console.log(
      `disconnect via ${model}: ${pulledAtDisconnect} deltas pulled when the client left, ${counter.pulled} when upstream closed; ` +
        `upstream wrote ${stream!.deltasWritten} of ${DELTAS}`,
    );
  });
});

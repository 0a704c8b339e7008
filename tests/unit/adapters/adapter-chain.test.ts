import { describe, expect, it } from '@jest/globals';
import type { Adapter, StreamTransformer } from '../../../src/adapters/adapter.js';
import { AdapterChain } from '../../../src/adapters/adapter-chain.js';
import { AdapterManager } from '../../../src/adapters/adapter-manager.js';
import { AdapterError, LLMError } from '../../../src/core/errors.js';
import type { ChatRequest } from '../../../src/core/types.js';

const context = { metadata: {}, model: 'openai:gpt-4o-mini' };
const request: ChatRequest = { messages: [{ role: 'user', content: 'hi' }], params: {}, operation: 'chat' };

function chainOf(...adapters: Adapter[]): AdapterChain {
  return new AdapterChain(adapters.map((adapter) => ({ name: adapter.name, options: {}, adapter })));
}

/** Upper-cases chunk by chunk and counts how many deltas reached it. */
function upperAdapter(seen: string[] = []): Adapter {
  const transformer = (): StreamTransformer => ({
    push: (delta) => {
      seen.push(delta);
      return delta.toUpperCase();
    },
    flush: () => '',
  });
  return { name: 'upper', transformOutput: (text) => text.toUpperCase(), createStreamTransformer: transformer };
}

/** Whole-text only, asynchronous. */
const reverseWords: Adapter = {
  name: 'reverse-words',
  transformOutput: async (text) => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    return text.split(' ').reverse().join(' ');
  },
};

async function streamThrough(chain: AdapterChain, deltas: string[]): Promise<{ released: string[]; final: string }> {
  const pipeline = chain.createStreamPipeline(context);
  const released = deltas.map((delta) => pipeline.push(delta));
  return { released, final: await pipeline.flush() };
}

async function failure(run: () => unknown): Promise<AdapterError> {
  try {
    await run();
  } catch (error) {
    expect(LLMError.isInstance(error)).toBe(true);
    expect(error).toBeInstanceOf(AdapterError);
    return error as AdapterError;
  }
  throw new Error('expected an AdapterError');
}

describe('AdapterChain', () => {
  it('streams chunk by chunk when every adapter has a stream transformer', async () => {
    const manager = new AdapterManager();
    manager.register('upper', () => upperAdapter());
    manager.setBotAdapters('bot', [{ name: 'pii-redact' }, { name: 'upper' }, { name: 'prefix-suffix', options: { prefix: '> ' } }]);
    const { released, final } = await streamThrough(manager.chainFor({ bot: 'bot' }), ['write to ', 'ann@exa', 'mple.com today ', 'please']);
    expect(released).toEqual(['> WRITE TO ', '', '[EMAIL] TODAY ', '']);
    expect(final).toBe('PLEASE');
  });

  it('buffers from a whole-text-only adapter to the end of the stream, then applies the rest', async () => {
    const seen: string[] = [];
    const chain = chainOf(upperAdapter(seen), reverseWords, upperAdapter());
    const { released, final } = await streamThrough(chain, ['one ', 'two ', 'three']);
    expect(released).toEqual(['', '', '']);
    expect(seen).toEqual(['one ', 'two ', 'three']);
    expect(final).toBe('THREE TWO ONE');
    expect(final).toBe(await chain.transformOutput('one two three', context));
  });

  it('applies async transformOutput in order on whole texts', async () => {
    const chain = chainOf(reverseWords, { name: 'exclaim', transformOutput: async (text) => `${text}!` });
    expect(await chain.transformOutput('a b c', context)).toBe('c b a!');
    expect(chain.names).toEqual(['reverse-words', 'exclaim']);
  });

  it('uses the stream transformer on whole texts when an adapter has no transformOutput', async () => {
    const onlyStream: Adapter = { name: 'dash', createStreamTransformer: () => ({ push: (d) => d.replace(/ /g, '-'), flush: () => '.' }) };
    expect(await chainOf(onlyStream).transformOutput('a b', context)).toBe('a-b.');
  });

  it('transforms requests in order without touching the caller objects', async () => {
    const mark = (name: string): Adapter => ({
      name,
      transformRequest: (req) => {
        req.messages[0]!.content += `+${name}`;
        return req;
      },
    });
    const chain = chainOf(mark('a'), mark('b'));
    const out = await chain.transformRequest(request, context);
    expect(out.messages[0]!.content).toBe('hi+a+b');
    expect(request.messages[0]!.content).toBe('hi');
  });

  it('describes request-changing adapters in requestKey, and only those', () => {
    expect(chainOf(upperAdapter()).requestKey).toBe('');
    const manager = new AdapterManager();
    manager.activateForBot('bot', 'system-prompt', { text: 'Be kind.' });
    manager.activateForBot('bot', 'pii-redact');
    const key = manager.chainFor({ bot: 'bot' }).requestKey;
    expect(key).toContain('system-prompt');
    expect(key).not.toContain('pii-redact');
    manager.activateForBot('bot', 'system-prompt', { text: 'Be brief.' });
    expect(manager.chainFor({ bot: 'bot' }).requestKey).not.toBe(key);
    const quiet: Adapter = { name: 'log-only', changesRequest: false, transformRequest: (req) => req };
    const loud: Adapter = { name: 'no-flag', transformRequest: (req) => req };
    expect(chainOf(quiet).requestKey).toBe('');
    expect(chainOf(loud).requestKey).toBe('[["no-flag","{}"]]');
  });
});

describe('AdapterChain errors', () => {
  const boom = (): never => {
    throw new Error('kaboom');
  };

  it('names the adapter whose transformOutput throws or rejects', async () => {
    const sync = await failure(() => chainOf(upperAdapter(), { name: 'thrower', transformOutput: boom }).transformOutput('x', context));
    expect(sync.adapter).toBe('thrower');
    expect(sync.message).toBe('Adapter "thrower" failed: transformOutput threw: kaboom');
    const rejecting = await failure(() => chainOf({ name: 'rejecter', transformOutput: async () => boom() }).transformOutput('x', context));
    expect(rejecting.adapter).toBe('rejecter');
    const wrongType = await failure(() => chainOf({ name: 'numbers', transformOutput: () => 42 as never }).transformOutput('x', context));
    expect(wrongType.message).toMatch(/numbers.*must return a string, got number/);
  });

  it('names the adapter whose transformRequest throws or returns junk', async () => {
    const thrown = await failure(() => chainOf({ name: 'req-thrower', transformRequest: boom }).transformRequest(request, context));
    expect(thrown.adapter).toBe('req-thrower');
    const junk = await failure(() => chainOf({ name: 'req-junk', transformRequest: () => ({}) as never }).transformRequest(request, context));
    expect(junk.message).toMatch(/req-junk.*must return a request/);
  });

  it('names the adapter whose stream transformer throws, in push, flush or creation', async () => {
    const inPush: Adapter = { name: 'bad-push', createStreamTransformer: () => ({ push: boom, flush: () => '' }) };
    const inFlush: Adapter = { name: 'bad-flush', createStreamTransformer: () => ({ push: (d) => d, flush: boom }) };
    const inCreate: Adapter = { name: 'bad-create', createStreamTransformer: boom };
    expect((await failure(() => chainOf(upperAdapter(), inPush).createStreamPipeline(context).push('x'))).adapter).toBe('bad-push');
    const pipeline = chainOf(inFlush).createStreamPipeline(context);
    expect(pipeline.push('x')).toBe('x');
    expect((await failure(() => pipeline.flush())).adapter).toBe('bad-flush');
    expect((await failure(() => chainOf(inCreate).createStreamPipeline(context))).adapter).toBe('bad-create');
    const lateWhole = chainOf(upperAdapter(), { name: 'late', transformOutput: boom }).createStreamPipeline(context);
    lateWhole.push('x');
    expect((await failure(() => lateWhole.flush())).adapter).toBe('late');
  });
});

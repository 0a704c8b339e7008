/**
 * `sb.events`: typed payloads from the call reports, on/off, a bounded listener list, and
 * listeners that cannot break the emitter.
 */
import { describe, expect, it } from '@jest/globals';
import { AuthenticationError, RateLimitError } from '../../../src/core/errors.js';
import { makeUsage } from '../../../src/core/usage.js';
import { SwitchboardEvents, type SwitchboardEventMap } from '../../../src/telemetry/events.js';
import { createTelemetry } from '../../../src/telemetry/telemetry.js';
import { chatRequest, recordingLogger } from './otel-harness.js';

describe('events from the call path', () => {
  it('emits call.finished, call.failed, retry, fallback and cache.hit with their payloads', () => {
    const { observer, events } = createTelemetry();
    const seen: Array<[keyof SwitchboardEventMap, unknown]> = [];
    for (const name of ['call.finished', 'call.failed', 'retry', 'fallback', 'cache.hit'] as const) {
      events.on(name, (event) => {
        seen.push([name, event]);
      });
    }
    const usage = makeUsage({ inputTokens: 10, outputTokens: 3 });
    const call = observer.startCall({ operation: 'chat', stream: false, bot: 'support', sessionId: 's-1', model: 'openai:gpt-4o-mini', messages: [], params: {} });
    const inference = observer.startInference({ operation: 'chat', provider: 'openai', model: 'gpt-4o-mini', request: chatRequest('gpt-4o-mini'), stream: false, inProcess: false, bot: 'support' });
    inference.retry(1, new RateLimitError('busy'), 250);
    inference.fail(new RateLimitError('busy'));
    call.fallback('openai:gpt-4o-mini', 'anthropic:claude-3-5-haiku-latest', new RateLimitError('busy'));
    call.end({ id: 'r', text: 'ok', model: 'anthropic:claude-3-5-haiku-latest', usage, costUsd: 0.001, cached: false, attempts: 3, adapters: ['pii-redact'], latencyMs: 99, finishReason: 'stop' });
    const cachedCall = observer.startCall({ operation: 'chat', stream: false, bot: 'support', sessionId: 's-1', model: 'openai:gpt-4o-mini', messages: [], params: {} });
    cachedCall.cacheLookup(true);
    const failed = observer.startCall({ operation: 'chat', stream: false, model: 'openai:gpt-4o-mini', messages: [], params: {} });
    failed.fail(new AuthenticationError('Missing key'), 1);

    const busy = { name: 'RateLimitError', code: 'rate_limit', message: 'busy' };
    expect(seen).toEqual([
      ['retry', { provider: 'openai', model: 'gpt-4o-mini', bot: 'support', attempt: 1, delayMs: 250, error: busy }],
      ['fallback', { bot: 'support', from: 'openai:gpt-4o-mini', to: 'anthropic:claude-3-5-haiku-latest', error: busy }],
      [
        'call.finished',
        {
          bot: 'support',
          sessionId: 's-1',
          model: 'anthropic:claude-3-5-haiku-latest',
          usage,
          costUsd: 0.001,
          latencyMs: 99,
          cached: false,
          attempts: 3,
          adapters: ['pii-redact'],
          finishReason: 'stop',
        },
      ],
      ['cache.hit', { bot: 'support', sessionId: 's-1', model: 'openai:gpt-4o-mini' }],
      ['call.failed', { bot: undefined, sessionId: undefined, model: 'openai:gpt-4o-mini', error: { name: 'AuthenticationError', code: 'authentication', message: 'Missing key' }, attempts: 1 }],
    ]);
  });
});

describe('SwitchboardEvents', () => {
  it('builds no event payload when nobody listens (the call path pays only for what is used)', () => {
    const { observer, events } = createTelemetry();
    let reads = 0;
    const counted = () => {
      const error = new RateLimitError('busy');
      Object.defineProperty(error, 'message', {
        get: () => {
          reads++;
          return 'busy';
        },
      });
      return error;
    };
    const outcome = { id: 'r', text: 'ok', model: 'openai:gpt-4o-mini', usage: makeUsage({ inputTokens: 1, outputTokens: 1 }), costUsd: null, cached: false, attempts: 1, latencyMs: 1, finishReason: 'stop' };
    let adapterReads = 0;
    Object.defineProperty(outcome, 'adapters', {
      enumerable: true,
      get: () => {
        adapterReads++;
        return [];
      },
    });
    const run = () => {
      const inference = observer.startInference({ operation: 'chat', provider: 'openai', model: 'gpt-4o-mini', request: chatRequest('gpt-4o-mini'), stream: false, inProcess: false });
      inference.retry(1, counted(), 10);
      const call = observer.startCall({ operation: 'chat', stream: false, model: 'openai:gpt-4o-mini', messages: [], params: {} });
      call.fallback('openai:gpt-4o-mini', 'openai:gpt-4o', counted());
      call.end(outcome as never);
      observer.startCall({ operation: 'chat', stream: false, model: 'openai:gpt-4o-mini', messages: [], params: {} }).fail(counted(), 1);
    };
    run();
    expect({ reads, adapterReads }).toEqual({ reads: 0, adapterReads: 0 });
    for (const name of ['call.finished', 'call.failed', 'retry', 'fallback'] as const) events.on(name, () => undefined);
    run();
    expect(reads).toBeGreaterThan(0);
    expect(adapterReads).toBe(1);
  });

  it('adds a listener once, removes it with off or the returned function', () => {
    const events = new SwitchboardEvents();
    const calls: string[] = [];
    const listener = () => {
      calls.push('x');
    };
    events.on('cache.hit', listener);
    events.on('cache.hit', listener);
    expect(events.listenerCount('cache.hit')).toBe(1);
    events.emit('cache.hit', { model: 'p:m' });
    events.off('cache.hit', listener);
    events.emit('cache.hit', { model: 'p:m' });
    const remove = events.on('cache.hit', listener);
    remove();
    events.emit('cache.hit', { model: 'p:m' });
    expect(calls).toEqual(['x']);
  });

  it('delivers to every listener even when one throws or removes itself', () => {
    const logger = recordingLogger();
    const events = new SwitchboardEvents(logger);
    const order: string[] = [];
    const selfRemoving = () => {
      order.push('self');
      events.off('cache.hit', selfRemoving);
    };
    events.on('cache.hit', () => {
      throw new Error('boom sk-abcdefghijklmnopqrstu');
    });
    events.on('cache.hit', selfRemoving);
    events.on('cache.hit', () => {
      order.push('last');
    });
    expect(() => events.emit('cache.hit', { model: 'p:m' })).not.toThrow();
    events.emit('cache.hit', { model: 'p:m' });
    expect(order).toEqual(['self', 'last', 'last']);
    expect(logger.lines.filter((l) => l.message === 'event listener failed')).toHaveLength(2);
    expect(JSON.stringify(logger.lines)).not.toContain('sk-abcdefghijklmnopqrstu');
  });

  it('refuses listeners past the cap with a warning', () => {
    const logger = recordingLogger();
    const events = new SwitchboardEvents(logger, 3);
    for (let i = 0; i < 5; i++) events.on('retry', () => undefined);
    expect(events.listenerCount('retry')).toBe(3);
    expect(logger.lines.filter((l) => l.level === 'warn' && l.message.includes('too many listeners'))).toHaveLength(2);
    expect(events.hasListeners('fallback')).toBe(false);
  });
});

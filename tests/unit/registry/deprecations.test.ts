/** DeprecationRouter: one warning and one event per deprecated model, redirects when configured. */
import { describe, expect, it } from '@jest/globals';
import type { Logger } from '../../../src/core/logger.js';
import type { ModelInfo } from '../../../src/core/types.js';
import { DeprecationRouter } from '../../../src/registry/deprecations.js';
import type { ModelDeprecatedEvent } from '../../../src/telemetry/events.js';

const DEPRECATED: Record<string, ModelInfo['deprecated']> = {
  'openai:old': { since: '2025-01-01', replacement: 'new' },
  'openai:older': { replacement: 'openai:old' },
  'anthropic:cross': { replacement: 'openai:new' },
  'fake:none': {},
  'fake:loop-a': { replacement: 'loop-b' },
  'fake:loop-b': { replacement: 'loop-a' },
  'ollama:llama3:8b': { replacement: 'llama3.1:8b' },
};

function router(redirect: boolean, catalogSize = 100) {
  const warnings: Array<{ message: string; fields?: Record<string, unknown> }> = [];
  const events: ModelDeprecatedEvent[] = [];
  const logger: Logger = { debug() {}, info() {}, error() {}, warn: (message, fields) => warnings.push({ message, fields }) };
  const lookups: string[] = [];
  const routerUnderTest = new DeprecationRouter({
    lookup: (id) => {
      lookups.push(id);
      return DEPRECATED[id];
    },
    hasProvider: (provider) => ['openai', 'anthropic', 'fake', 'ollama'].includes(provider),
    redirect,
    logger,
    emit: (event) => events.push(event),
    catalogSize: () => catalogSize,
  });
  return { router: routerUnderTest, warnings, events, lookups };
}

describe('DeprecationRouter', () => {
  it('returns the very same array when no candidate is deprecated (one look-up each, no copy)', () => {
    const { router: r, lookups, warnings } = router(true);
    const candidates = ['openai:new', 'anthropic:fine'];
    expect(r.route(candidates)).toBe(candidates);
    expect(lookups).toEqual(['openai:new', 'anthropic:fine']);
    expect(warnings).toEqual([]);
  });

  it('warns once per model per router, naming the replacement, and emits one event; calls go as named without redirect', () => {
    const { router: r, warnings, events } = router(false);
    const candidates = ['openai:old', 'openai:new'];
    for (let i = 0; i < 5; i++) expect(r.route(candidates)).toBe(candidates);
    expect(warnings).toEqual([{ message: 'openai:old is deprecated since 2025-01-01; use openai:new, or set redirectDeprecated: true', fields: { model: 'openai:old', since: '2025-01-01', replacement: 'openai:new', redirected: false } }]);
    expect(events).toEqual([{ model: 'openai:old', since: '2025-01-01', replacement: 'openai:new', redirected: false }]);
  });

  it('redirects to the replacement, keeping the order and dropping repeats', () => {
    const { router: r, events } = router(true);
    expect(r.route(['openai:old', 'openai:new', 'anthropic:fine'])).toEqual(['openai:new', 'anthropic:fine']);
    expect(r.route(['anthropic:fine', 'openai:old'])).toEqual(['anthropic:fine', 'openai:new']);
    expect(events).toEqual([{ model: 'openai:old', since: '2025-01-01', replacement: 'openai:new', redirected: true }]);
  });

  it('reads a replacement with a known provider prefix as an id, any other as a model of the same provider', () => {
    const { router: r } = router(true);
    expect(r.route(['anthropic:cross'])).toEqual(['openai:new']);
    // "llama3.1" is no provider: the replacement is an ollama model whose name has a colon.
    expect(r.route(['ollama:llama3:8b'])).toEqual(['ollama:llama3.1:8b']);
  });

  it('follows a replacement that is deprecated too, warning for each, and stops on a cycle', () => {
    const { router: r, events } = router(true);
    expect(r.route(['openai:older'])).toEqual(['openai:new']);
    expect(events.map((event) => event.model)).toEqual(['openai:older', 'openai:old']);
    expect(r.route(['fake:loop-a'])).toEqual(['fake:loop-b']);
  });

  it('warns without redirecting when the catalog names no replacement', () => {
    const { router: r, warnings } = router(true);
    expect(r.route(['fake:none'])).toEqual(['fake:none']);
    expect(warnings[0]!.message).toBe('fake:none is deprecated; the catalog names no replacement');
  });

  it('keeps the warned set within the catalog size (64 at least)', () => {
    const many: string[] = Array.from({ length: 100 }, (_, i) => `fake:m${i}`);
    const warnings: string[] = [];
    const r = new DeprecationRouter({
      lookup: () => ({ replacement: 'fine' }),
      hasProvider: () => true,
      redirect: false,
      logger: { debug() {}, info() {}, error() {}, warn: (message) => warnings.push(message) },
      emit: () => undefined,
      catalogSize: () => 10,
    });
    for (const id of many) r.route([id]);
    for (const id of many) r.route([id]);
    expect(warnings).toHaveLength(64);
  });

  it('a throwing logger does not break routing', () => {
    const r = new DeprecationRouter({
      lookup: (id) => DEPRECATED[id],
      hasProvider: () => true,
      redirect: true,
      logger: {
        debug() {},
        info() {},
        error() {},
        warn: () => {
          throw new Error('logger down');
        },
      },
      emit: () => undefined,
      catalogSize: () => 10,
    });
    expect(r.route(['openai:old'])).toEqual(['openai:new']);
  });
});

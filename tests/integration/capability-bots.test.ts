/**
 * Bots whose model is chosen by capability (API.md "Bots"): the cheapest ready, non-deprecated,
 * priced chat model of the catalog with every capability asked for, the next cheapest as fallbacks
 * unless the bot lists its own, resolved at start-up and again on `registry.refreshModels()`.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { createSwitchboard, type CreateSwitchboardOptions } from '../../src/create-switchboard.js';
import { loadConfig, type DeepPartial, type SwitchboardConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/core/errors.js';
import type { Switchboard } from '../../src/switchboard.js';
import { FakeProvider } from '../../src/testing/index.js';
import { recordingLogger } from '../unit/telemetry/otel-harness.js';

const all = { tools: true, vision: true, json: true };
/** Input + output per million tokens: cheap 1+1, mid 2+2, pricey 5+5, dear 9+9. */
const CATALOG = {
  'fake:pricey': { capabilities: all, pricing: { inputPerMTok: 5, outputPerMTok: 5 } },
  'fake:cheap': { capabilities: all, pricing: { inputPerMTok: 1, outputPerMTok: 1 } },
  'other:mid': { capabilities: all, pricing: { inputPerMTok: 2, outputPerMTok: 2 } },
  'fake:dear': { capabilities: all, pricing: { inputPerMTok: 9, outputPerMTok: 9 } },
  'fake:dearest': { capabilities: all, pricing: { inputPerMTok: 20, outputPerMTok: 20 } },
  'fake:textonly': { capabilities: { tools: true }, pricing: { inputPerMTok: 0.1, outputPerMTok: 0.1 } },
  'fake:retired': { capabilities: all, pricing: { inputPerMTok: 0.1, outputPerMTok: 0.1 }, deprecated: { replacement: 'cheap' } },
  'fake:unpriced': { capabilities: all },
  'fake:vectors': { kind: 'embedding', capabilities: all, pricing: { inputPerMTok: 0.01, outputPerMTok: 0 } },
  'offline:free': { capabilities: all, pricing: { inputPerMTok: 0, outputPerMTok: 0 } },
  'late:cheapest': { capabilities: all, pricing: { inputPerMTok: 0.5, outputPerMTok: 0.5 } },
};

const opened: Switchboard[] = [];
afterAll(async () => {
  await Promise.all(opened.map((sb) => sb.close()));
});

async function start(bots: Record<string, unknown>, options: Partial<CreateSwitchboardOptions> = {}): Promise<Switchboard> {
  const sb = await createSwitchboard({
    configFile: [],
    env: {},
    config: { models: CATALOG, bots } as DeepPartial<SwitchboardConfig>,
    managers: [new FakeProvider(), new FakeProvider({ provider: 'other' }), new FakeProvider({ provider: 'offline', notReady: 'set OFFLINE_KEY' })],
    ...options,
  });
  opened.push(sb);
  return sb;
}

async function startFails(bots: Record<string, unknown>): Promise<ConfigError> {
  const error = await start(bots).catch((e: unknown) => e);
  expect(ConfigError.isInstance(error)).toBe(true);
  return error as ConfigError;
}

describe('a bot model chosen by capability', () => {
  it('resolves to the cheapest ready, non-deprecated, priced chat model; the next three cheapest are the fallbacks', async () => {
    const sb = await start({ vision: { model: { capabilities: ['tools', 'vision'] }, system: 'You see.' } });
    expect(sb.bots.get('vision')).toEqual({
      model: 'fake:cheap',
      fallbacks: ['other:mid', 'fake:pricey', 'fake:dear'],
      modelChoice: { capabilities: ['tools', 'vision'] },
      system: 'You see.',
    });
    const answer = await sb.chat({ bot: 'vision', messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.model).toBe('fake:cheap');
    // The chosen ids are known models, so they label metrics and stats.
    expect(sb.bots.usesModel('fake:cheap')).toBe(true);
  });

  it('narrows by providers and by maxInputPerMTok', async () => {
    const sb = await start({
      mine: { model: { capabilities: ['json'], providers: ['other'] } },
      thrifty: { model: { capabilities: ['json'], maxInputPerMTok: 2 } },
    });
    expect(sb.bots.get('mine')).toMatchObject({ model: 'other:mid' });
    expect(sb.bots.get('mine')!.fallbacks).toBeUndefined();
    expect(sb.bots.get('thrifty')).toMatchObject({ model: 'fake:cheap', fallbacks: ['other:mid'] });
  });

  it('keeps explicit fallbacks as written (dropping the chosen primary from them)', async () => {
    const sb = await start({ pinned: { model: { capabilities: ['tools'] }, fallbacks: ['fake:cheap', 'fake:dear'] } });
    // fake:textonly (0.1 + 0.1) has tools: it is the cheapest for this requirement.
    expect(sb.bots.get('pinned')).toMatchObject({ model: 'fake:textonly', fallbacks: ['fake:cheap', 'fake:dear'] });
    const dropped = await start({ pinned: { model: { capabilities: ['tools'] }, fallbacks: ['fake:textonly'] } });
    expect(dropped.bots.get('pinned')!.fallbacks).toBeUndefined();
  });

  it('no match is a ConfigError at start-up naming the bot and the requirement', async () => {
    const error = await startFails({ seer: { model: { capabilities: ['reasoning', 'vision'], providers: ['fake'], maxInputPerMTok: 3 } } });
    expect(error.problems).toEqual([
      {
        key: 'bots.seer.model',
        message: 'no ready, non-deprecated, priced catalog model has the capabilities reasoning, vision from fake, input at most $3/MTok; add one to the catalog (with pricing), set its provider\'s credentials, or ask for less',
      },
    ]);
    // A provider that is not ready is never chosen, however cheap.
    const offline = await startFails({ free: { model: { capabilities: ['tools'], providers: ['offline'] } } });
    expect(offline.problems[0]!.key).toBe('bots.free.model');
  });

  it('checks the shape with key paths, in config and in sb.bots.define', async () => {
    const bad = {
      a: { model: { capabilities: [] } },
      b: { model: { capabilities: ['tools', 'telepathy', 'tools'], providers: ['nowhere'], maxInputPerMTok: -1, cheap: true } },
    };
    const error = await loadConfig({ configFile: [], env: {}, config: { bots: bad } as DeepPartial<SwitchboardConfig> }).catch((e: unknown) => e as ConfigError);
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as ConfigError).problems).toEqual([
      { key: 'bots.a.model.capabilities', message: expect.stringMatching(/^must be a non-empty list of capabilities \(streaming, tools, vision, json, reasoning\)/) },
      { key: 'bots.b.model.cheap', message: expect.stringMatching(/^unknown key/) },
      { key: 'bots.b.model.capabilities[1]', message: expect.stringMatching(/^unknown capability/) },
      { key: 'bots.b.model.capabilities[2]', message: 'is listed twice' },
      { key: 'bots.b.model.providers[0]', message: expect.stringMatching(/^unknown provider "nowhere"/) },
      { key: 'bots.b.model.maxInputPerMTok', message: expect.stringMatching(/^must be a finite number of at least 0/) },
    ]);
    const sb = await start({});
    expect(() => sb.bots.define('c', { model: { capabilities: ['vision'], providers: ['ghost'] } })).toThrow(/bots\.c\.model\.providers\[0\]: unknown provider "ghost"/);
    expect(() => sb.bots.define('d', { model: { capabilities: ['vision'], maxInputPerMTok: 0.5 } })).toThrow(/bots\.d\.model: no ready, non-deprecated, priced catalog model has the capabilities vision, input at most \$0\.5\/MTok/);
    expect(sb.bots.define('e', { model: { capabilities: ['vision'] } })).toMatchObject({ model: 'fake:cheap' });
  });

  it('chooses again after registry.refreshModels(); a bot nothing matches any more keeps its models and a warning says so', async () => {
    const logger = recordingLogger();
    const sb = await start({ vision: { model: { capabilities: ['vision'] } }, fixed: { model: 'fake:dear' } }, { logger });
    expect(sb.bots.get('vision')!.model).toBe('fake:cheap');
    sb.registry.register(new FakeProvider({ provider: 'late' }));
    await sb.registry.refreshModels();
    expect(sb.bots.get('vision')).toMatchObject({ model: 'late:cheapest', fallbacks: ['fake:cheap', 'other:mid', 'fake:pricey'] });
    expect(sb.bots.usesModel('late:cheapest')).toBe(true);
    expect(sb.bots.get('fixed')).toEqual({ model: 'fake:dear' });

    // Every provider goes not ready: nothing matches, the bot keeps what it had.
    for (const provider of ['fake', 'other', 'late']) sb.registry.register(new FakeProvider({ provider, notReady: 'keys revoked' }));
    await sb.registry.refreshModels();
    expect(sb.bots.get('vision')).toMatchObject({ model: 'late:cheapest' });
    expect(logger.lines.filter((line) => line.level === 'warn').map((line) => line.message)).toEqual([
      expect.stringMatching(/^bot model not re-chosen after the refresh; it keeps its models: no ready, non-deprecated, priced catalog model has the capabilities vision/),
    ]);
  });
});

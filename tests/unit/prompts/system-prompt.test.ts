import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createSwitchboard, InvalidRequestError, type Switchboard } from '../../../src/index.js';
import { FakeProvider } from '../../../src/testing/index.js';
import { systemTemplateOf } from '../../../src/prompts/system-prompt.js';

// A bot's system prompt naming session metadata fields, through the whole call path to a FakeProvider.
describe('bot system prompts with session metadata variables', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-system-'));
  const fake = new FakeProvider({ defaultReply: { text: 'ok' } });
  let sb: Switchboard;

  beforeAll(async () => {
    sb = await createSwitchboard({
      config: {
        models: {},
        resilience: { maxRetries: 0 },
        telemetry: { logLevel: 'silent' },
        bots: {
          support: { model: 'fake:echo', system: 'You help {customer} customers in {region}. Reply as {"ok": true, "meta": {"tier": 1}}.' },
          plain: { model: 'fake:echo', system: 'Reply as {"ok": true, "meta": {"tier": 1}}; keep {{braces}} and { spaced } as written.' },
          remembering: { model: 'fake:echo', system: 'Concierge for {guest}.', memory: { maxMessages: 10 } },
        },
      },
      managers: [fake],
      env: {},
      cwd: dir,
    });
  });
  beforeEach(() => fake.reset());
  afterAll(async () => {
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ask = [{ role: 'user' as const, content: 'hi' }];

  it('renders the system prompt per call from each session\'s metadata, JSON braces as written', async () => {
    const gold = await sb.sessions.start({ bot: 'support', metadata: { customer: 'gold', region: 'EU' } });
    const basic = await sb.sessions.start({ bot: 'support', metadata: { customer: 'basic', region: 7 } });
    await sb.chat({ sessionId: gold.id, messages: ask });
    for await (const part of sb.stream({ sessionId: basic.id, messages: ask })) void part;
    expect(fake.calls.map((call) => call.messages[0])).toEqual([
      { role: 'system', content: 'You help gold customers in EU. Reply as {"ok": true, "meta": {"tier": 1}}.' },
      { role: 'system', content: 'You help basic customers in 7. Reply as {"ok": true, "meta": {"tier": 1}}.' },
    ]);
  });

  it('sends a system prompt without variables exactly as written, with or without a session', async () => {
    await sb.chat({ bot: 'plain', messages: ask });
    const session = await sb.sessions.start({ bot: 'plain', metadata: { braces: 'no' } });
    await sb.chat({ sessionId: session.id, messages: ask });
    const written = 'Reply as {"ok": true, "meta": {"tier": 1}}; keep {{braces}} and { spaced } as written.';
    expect(fake.calls.map((call) => call.messages[0]!.content)).toEqual([written, written]);
    // Parsed once when the bot was defined: no template to render per call.
    expect(systemTemplateOf(sb.bots.get('plain')!)).toBeUndefined();
    expect(systemTemplateOf(sb.bots.get('support')!)).toBe(systemTemplateOf(sb.bots.get('support')!));
    expect(systemTemplateOf(sb.bots.get('support')!)!.variables).toEqual(['customer', 'region']);
  });

  it('refuses a call without a session, naming the variables, before any provider call', async () => {
    const error = await sb.chat({ bot: 'support', messages: ask }).catch((e: unknown) => e);
    expect(InvalidRequestError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe(
      'The system prompt of bot "support" uses session metadata (the variables "customer", "region"): call it with a sessionId from sb.sessions.start({ bot, metadata })',
    );
    await expect(async () => {
      for await (const part of sb.stream({ bot: 'support', prompt: 'hi' })) void part;
    }).rejects.toThrow(/uses session metadata/);
    expect(fake.calls).toHaveLength(0);
  });

  it('refuses a session whose metadata lacks a field, or holds a value that is not text, naming it and never the value', async () => {
    const partial = await sb.sessions.start({ bot: 'support', metadata: { customer: 'gold' } });
    await expect(sb.chat({ sessionId: partial.id, messages: ask })).rejects.toThrow(
      'The system prompt of bot "support" uses the variable "region", missing from this session\'s metadata; start the session with metadata that has it',
    );
    const odd = await sb.sessions.start({ bot: 'support', metadata: { customer: { token: 'sk-live-0123456789abcdef' }, region: 'EU' } });
    const error = await sb.chat({ sessionId: odd.id, messages: ask }).catch((e: unknown) => e as Error);
    expect(InvalidRequestError.isInstance(error)).toBe(true);
    expect(error.message).toBe('The system prompt of bot "support": session metadata: the variable "customer" must be a string or a finite number, not an object');
    expect(error.message).not.toContain('sk-live');
    expect(fake.calls).toHaveLength(0);
  });

  it('puts the rendered system prompt before the stored history of a memory bot', async () => {
    const visit = await sb.sessions.start({ bot: 'remembering', metadata: { guest: 'Grace' } });
    await sb.chat({ sessionId: visit.id, messages: [{ role: 'user', content: 'first' }] });
    await sb.chat({ sessionId: visit.id, messages: [{ role: 'user', content: 'second' }] });
    expect(fake.calls[1]!.messages).toEqual([
      { role: 'system', content: 'Concierge for Grace.' },
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: 'second' },
    ]);
    // The rendered prompt is sent with each call, never stored as history.
    expect((await sb.sessions.history(visit.id)).map((message) => message.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
  });

  it('parses a redefined bot\'s new system prompt', async () => {
    sb.bots.define('later', { model: 'fake:echo', system: 'Plain.' });
    expect(systemTemplateOf(sb.bots.get('later')!)).toBeUndefined();
    sb.bots.define('later', { model: 'fake:echo', system: 'For {who}.' });
    const session = await sb.sessions.start({ bot: 'later', metadata: { who: 'you' } });
    await sb.chat({ sessionId: session.id, messages: ask });
    expect(fake.calls[0]!.messages[0]!.content).toBe('For you.');
  });
});

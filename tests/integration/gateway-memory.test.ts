/**
 * Conversation memory through the gateway (API.md "Sessions", docs/gateway.md "Sessions and memory"):
 * with `X-Session-Id` and a memory bot, a client sends only its newest message and the upstream gets
 * the whole conversation; a client that resends the conversation (as OpenAI-style clients do) is not
 * duplicated; streamed turns are remembered too.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { silentLogger } from '../../src/core/logger.js';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { FakeProvider } from '../../src/testing/index.js';

const KEY = 'gw-memory-Pz73Kd19Wq42Lx';

describe('gateway: session memory', () => {
  const fake = new FakeProvider();
  let gw: Gateway;
  const client = (sessionId: string) => new OpenAI({ apiKey: KEY, baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-session-id': sessionId } });
  const sent = () => fake.calls.at(-1)!.messages.map((message) => `${message.role}: ${typeof message.content === 'string' ? message.content : ''}`);

  beforeAll(async () => {
    gw = await startGateway({
      config: {
        resilience: { maxRetries: 0 },
        server: { apiKeys: [{ key: KEY, tenant: 'mem' }] },
        bots: { concierge: { model: 'fake:m', system: 'You are the concierge.', memory: { maxMessages: 20 } } },
      },
      env: { NODE_ENV: 'test' },
      managers: [fake],
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
    });
  });
  afterAll(async () => {
    await gw.close();
  });
  beforeEach(() => fake.reset());

  it('newest message only: the upstream gets the system prompt, the history and the new turn, in order', async () => {
    const openai = client('memory-session-1');
    fake.reply('m', { text: 'Welcome, Grace.' });
    await openai.chat.completions.create({ model: 'bot:concierge', messages: [{ role: 'user', content: 'I am Grace.' }] });
    fake.reply('m', { chunks: ['You are ', 'Grace.'] });
    const stream = await openai.chat.completions.create({ model: 'bot:concierge', stream: true, messages: [{ role: 'user', content: 'Who am I?' }] });
    let streamed = '';
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? '';
    expect(streamed).toBe('You are Grace.');
    fake.reply('m', { text: 'Bye.' });
    await openai.chat.completions.create({ model: 'bot:concierge', messages: [{ role: 'user', content: 'Bye.' }] });
    expect(sent()).toEqual(['system: You are the concierge.', 'user: I am Grace.', 'assistant: Welcome, Grace.', 'user: Who am I?', 'assistant: You are Grace.', 'user: Bye.']);
  });

  it('a client that resends the whole conversation is not duplicated', async () => {
    const openai = client('memory-session-2');
    const conversation: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Book a table.' }];
    fake.reply('m', { text: 'For how many?' });
    const first = await openai.chat.completions.create({ model: 'bot:concierge', messages: conversation });
    conversation.push(first.choices[0]!.message as OpenAI.ChatCompletionMessageParam, { role: 'user', content: 'Four.' });
    fake.reply('m', { text: 'Booked for four.' });
    await openai.chat.completions.create({ model: 'bot:concierge', messages: conversation });
    expect(sent()).toEqual(['system: You are the concierge.', 'user: Book a table.', 'assistant: For how many?', 'user: Four.']);
    const repeat = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'x-session-id': 'memory-session-2' },
      body: JSON.stringify({ model: 'bot:concierge', messages: [...conversation, { role: 'assistant', content: 'Booked for four.' }] }),
    });
    // The conversation again with nothing new: there is no turn to answer.
    expect(repeat.status).toBe(400);
    expect(((await repeat.json()) as { error: { message: string } }).error.message).toContain('add no new message');
  });
});

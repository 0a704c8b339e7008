/**
 * SseDoneTracker on real web streams: whether an SSE body ended on `data: [DONE]`, however the
 * bytes were split, with the bytes passed through unchanged and cancellation and errors reaching
 * the upstream body.
 */
import { describe, expect, it } from '@jest/globals';
import { SseDoneTracker } from '../../../src/managers/openai/sse-done-tracker.js';

const encoder = new TextEncoder();

function sseResponse(parts: string[], source: { cancelled?: unknown; failAfter?: number } = {}): Response {
  let index = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (source.failAfter !== undefined && index === source.failAfter) {
        controller.error(new TypeError('terminated'));
        return;
      }
      if (index < parts.length) controller.enqueue(encoder.encode(parts[index++]!));
      else controller.close();
    },
    cancel(reason) {
      source.cancelled = reason ?? 'cancelled';
    },
  });
  return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
}

async function readAll(parts: string[]): Promise<{ done: boolean; text: string }> {
  const tracker = new SseDoneTracker();
  const response = await tracker.wrap(async () => sseResponse(parts))('http://127.0.0.1/x');
  const text = await response.text();
  return { done: tracker.sawDone(response), text };
}

const chunk = (content: string) => `data: {"choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}}}]}\n\n`;

describe('SseDoneTracker', () => {
  it('sees [DONE] at the end however the bytes are split, and passes every byte through', async () => {
    const whole = chunk('a') + chunk('b') + 'data: [DONE]\n\n';
    for (const size of [1, 2, 3, 7, 13, 64, 1000]) {
      const parts: string[] = [];
      for (let i = 0; i < whole.length; i += size) parts.push(whole.slice(i, i + size));
      const { done, text } = await readAll(parts);
      expect(text).toBe(whole);
      expect(done).toBe(true);
    }
  });

  it('accepts a marker on the first line, without the space, and with CRLF line ends', async () => {
    expect((await readAll(['data: [DONE]\n\n'])).done).toBe(true);
    expect((await readAll([chunk('x'), 'data:[DONE]\n\n'])).done).toBe(true);
    expect((await readAll([chunk('x').replace(/\n/g, '\r\n'), 'data: [DONE]\r\n\r\n'])).done).toBe(true);
    expect((await readAll([chunk('x'.repeat(500)), 'data: [DONE]', '\n', '\n'])).done).toBe(true);
  });

  it('a body cut short is not done, even when the text it carried said [DONE]', async () => {
    expect((await readAll([chunk('a'), chunk('b')])).done).toBe(false);
    expect((await readAll([chunk('data: [DONE]'), chunk('more')])).done).toBe(false);
    expect((await readAll([chunk('x'), 'data: [DO'])).done).toBe(false);
    expect((await readAll([])).done).toBe(false);
  });

  it('hands cancellation to the upstream body and upstream errors to the reader', async () => {
    const tracker = new SseDoneTracker();
    const source: { cancelled?: unknown } = {};
    const response = await tracker.wrap(async () => sseResponse([chunk('a'), chunk('b'), 'data: [DONE]\n\n'], source))('http://127.0.0.1/x');
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel(new Error('consumer left'));
    expect(source.cancelled).toBeInstanceOf(Error);
    expect(tracker.sawDone(response)).toBe(false);

    const failing = await tracker.wrap(async () => sseResponse([chunk('a'), chunk('b')], { failAfter: 1 }))('http://127.0.0.1/x');
    await expect(failing.text()).rejects.toThrow('terminated');
    expect(tracker.sawDone(failing)).toBe(false);
  });

  it('leaves other responses untouched', async () => {
    const tracker = new SseDoneTracker();
    const json = new Response('{"ok":true}', { headers: { 'content-type': 'application/json' } });
    expect(await tracker.wrap(async () => json)('http://127.0.0.1/x')).toBe(json);
  });
});

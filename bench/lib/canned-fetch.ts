/**
 * The no-socket floor: a `fetch` that answers every OpenAI or Anthropic request at once with the
 * canned bytes of lib/wire.ts, so a client runs its whole code path (request building, response
 * parsing, SSE decoding) without the network. Handed to each SDK through its `fetch` option.
 */
import { asksForStream, encodeAnswers } from './wire.js';

const JSON_HEADERS = { 'content-type': 'application/json', 'x-request-id': 'req_bench' };
const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'x-request-id': 'req_bench' };

function urlOf(input: string | URL | Request): string {
  if (typeof input === 'string') return input;
  return input instanceof URL ? input.href : input.url;
}

/** A body that yields each SSE frame as its own chunk, as a paced server's reads would. */
function frameStream(frames: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const frame of frames) controller.enqueue(frame);
      controller.close();
    },
  });
}

/** A canned `fetch` for answers of `chunks` text chunks (routes on `/messages` for Anthropic). */
export function cannedFetch(chunks: number): typeof fetch {
  const answers = encodeAnswers(chunks);
  const canned = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const anthropic = urlOf(input).endsWith('/messages');
    if (asksForStream(init?.body)) return new Response(frameStream(anthropic ? answers.anthropicFrames : answers.openAIFrames), { status: 200, headers: SSE_HEADERS });
    return new Response(anthropic ? answers.anthropicJson : answers.openAIJson, { status: 200, headers: JSON_HEADERS });
  };
  return canned as typeof fetch;
}

/** Base URLs handed to clients in canned mode: never contacted (port 9 is discard). */
export const CANNED_OPENAI_BASE_URL = 'http://127.0.0.1:9/v1';
/** See CANNED_OPENAI_BASE_URL. */
export const CANNED_ANTHROPIC_BASE_URL = 'http://127.0.0.1:9';

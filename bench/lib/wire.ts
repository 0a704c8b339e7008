/**
 * The answers every bench upstream gives, in OpenAI's and Anthropic's real wire formats: one JSON body
 * and one SSE frame sequence per vendor, built once and encoded to bytes, so the fake server and the
 * canned `fetch` spend (almost) nothing per call and the figures measure the clients.
 */

/** Words of the answer; a stream sends one word per text chunk (cycling when more chunks are asked for). */
const WORDS = ['Sure', 'thing,', 'here', 'is', 'a', 'short', 'answer', 'about', 'your', 'order:', 'it', 'ships', 'today', 'and', 'arrives', 'soon.'];

/** The model name the upstreams report. */
export const BENCH_MODEL = 'gpt-4o-mini';
/** The Anthropic model name the upstreams report. */
export const BENCH_ANTHROPIC_MODEL = 'claude-3-5-haiku-latest';
/** The prompt every arm sends. */
export const BENCH_PROMPT = 'Where is my order?';

/** The answer split into `chunks` text chunks (each but the first starts with a space). */
export function answerChunks(chunks: number): string[] {
  return Array.from({ length: chunks }, (_, index) => (index === 0 ? '' : ' ') + WORDS[index % WORDS.length]);
}

/** The whole answer text for `chunks` chunks. */
export function answerText(chunks: number): string {
  return answerChunks(chunks).join('');
}

const CREATED = 1_700_000_000;
const PROMPT_TOKENS = 12;

/** OpenAI's usage object for an answer of `outputTokens` tokens. */
function openAIUsage(outputTokens: number): Record<string, unknown> {
  return {
    prompt_tokens: PROMPT_TOKENS,
    completion_tokens: outputTokens,
    total_tokens: PROMPT_TOKENS + outputTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

/** A chat completion (non-streaming) as api.openai.com returns it. */
export function openAIJson(chunks: number): string {
  return JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: CREATED,
    model: BENCH_MODEL,
    system_fingerprint: 'fp_bench',
    choices: [{ index: 0, message: { role: 'assistant', content: answerText(chunks), refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: openAIUsage(chunks),
    service_tier: 'default',
  });
}

/** The SSE frames of a streamed chat completion: role chunk, text chunks, finish chunk, usage chunk, [DONE]. */
export function openAISseFrames(chunks: number): string[] {
  const frame = (choices: unknown[], usage: unknown = null) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: CREATED, model: BENCH_MODEL, system_fingerprint: 'fp_bench', choices, usage })}\n\n`;
  return [
    frame([{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }]),
    ...answerChunks(chunks).map((text) => frame([{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }])),
    frame([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]),
    frame([], openAIUsage(chunks)),
    'data: [DONE]\n\n',
  ];
}

/** An Anthropic message (non-streaming). */
export function anthropicJson(chunks: number): string {
  return JSON.stringify({
    id: 'msg_bench',
    type: 'message',
    role: 'assistant',
    model: BENCH_ANTHROPIC_MODEL,
    content: [{ type: 'text', text: answerText(chunks) }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: PROMPT_TOKENS, output_tokens: chunks, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  });
}

/** The SSE sequence of a streamed Anthropic message. */
export function anthropicSseFrames(chunks: number): string[] {
  const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
  const message = {
    id: 'msg_bench',
    type: 'message',
    role: 'assistant',
    model: BENCH_ANTHROPIC_MODEL,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: PROMPT_TOKENS, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  };
  return [
    event('message_start', { type: 'message_start', message }),
    event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    event('ping', { type: 'ping' }),
    ...answerChunks(chunks).map((text) => event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } })),
    event('content_block_stop', { type: 'content_block_stop', index: 0 }),
    event('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: chunks } }),
    event('message_stop', { type: 'message_stop' }),
  ];
}

/** OpenAI's error body for the statuses the chaos mode sends. */
export function openAIErrorJson(status: number): string {
  const rateLimited = status === 429;
  return JSON.stringify({
    error: {
      message: rateLimited ? 'Rate limit reached for requests. Please try again later.' : 'The server had an error while processing your request. Sorry about that!',
      type: rateLimited ? 'requests' : 'server_error',
      param: null,
      code: rateLimited ? 'rate_limit_exceeded' : null,
    },
  });
}

/** Anthropic's error body for the statuses the chaos mode sends. */
export function anthropicErrorJson(status: number): string {
  const rateLimited = status === 429;
  return JSON.stringify({ type: 'error', error: { type: rateLimited ? 'rate_limit_error' : 'api_error', message: rateLimited ? 'Number of requests has exceeded your rate limit' : 'Internal server error' } });
}

/** Pre-encoded bodies for one chunk count. */
export interface EncodedAnswers {
  openAIJson: Uint8Array;
  openAIFrames: Uint8Array[];
  anthropicJson: Uint8Array;
  anthropicFrames: Uint8Array[];
}

/** Every answer for `chunks` text chunks, encoded once. */
export function encodeAnswers(chunks: number): EncodedAnswers {
  const encoder = new TextEncoder();
  return {
    openAIJson: encoder.encode(openAIJson(chunks)),
    openAIFrames: openAISseFrames(chunks).map((frame) => encoder.encode(frame)),
    anthropicJson: encoder.encode(anthropicJson(chunks)),
    anthropicFrames: anthropicSseFrames(chunks).map((frame) => encoder.encode(frame)),
  };
}

/** True when a request body (as the SDKs serialise it) asks for a stream. */
export function asksForStream(body: unknown): boolean {
  return typeof body === 'string' && body.includes('"stream":true');
}

/**
 * A `/v1/completions` body (OpenAI's legacy text completion: one `prompt`) checked and turned into
 * the switchboard's call shape. It carries text only: the rich chat fields (tools, response formats,
 * reasoning, images) are refused by name, so a client that sends them to the wrong endpoint hears so.
 */
import { anyValue, asBody, checkFields, invalid, parseCommon, type ParsedCommon, type RefusedField } from './body-fields.js';

/** A checked text completion request. */
export interface ParsedCompletionBody extends ParsedCommon {
  prompt: string;
}

/** Fields the endpoint honours. */
const HONOURED = new Set(['model', 'prompt', 'frequency_penalty', 'max_tokens', 'presence_penalty', 'seed', 'stop', 'stream', 'stream_options', 'temperature', 'top_p', 'user']);

const CHAT_ONLY = 'a text completion carries a prompt and its text only; send it to /v1/chat/completions';

/** Chat completion fields a client may send here by mistake: refused, naming the endpoint that takes them. */
const CHAT_FIELDS = ['messages', 'tools', 'tool_choice', 'parallel_tool_calls', 'functions', 'function_call', 'response_format', 'reasoning_effort', 'max_completion_tokens', 'modalities', 'audio', 'prediction'];

/** Fields OpenAI's completions define that the gateway does not honour, and chat fields sent here. */
const REFUSED: Record<string, RefusedField> = {
  n: { asks: (value) => value !== 1, why: 'the gateway returns one choice per request; send 1 or leave it out' },
  best_of: { asks: (value) => value !== 1, why: 'the gateway returns one choice per request; send 1 or leave it out' },
  echo: { asks: (value) => value !== false, why: 'the answer never repeats the prompt' },
  suffix: { asks: anyValue, why: 'insertion (a text after the completion) is not offered' },
  logprobs: { asks: (value) => value !== false && value !== 0, why: 'log probabilities are not returned' },
  logit_bias: { asks: anyValue, why: 'token biases are provider-specific token ids, which the gateway does not carry' },
  ...Object.fromEntries(CHAT_FIELDS.map((field) => [field, { asks: anyValue, why: CHAT_ONLY }])),
};

/** Check a `/v1/completions` body: `prompt` is a string (or an array holding exactly one). */
export function parseCompletionBody(raw: unknown): ParsedCompletionBody {
  const body = asBody(raw);
  checkFields(body, HONOURED, REFUSED, '/v1/completions');
  const common = parseCommon(body);
  let prompt = body.prompt;
  if (Array.isArray(prompt)) {
    if (prompt.length !== 1) throw invalid('prompt must be one string (or an array of exactly one string): the gateway answers one prompt per request', 'prompt');
    prompt = prompt[0];
  }
  if (typeof prompt !== 'string' || prompt === '') throw invalid('prompt must be a non-empty string', 'prompt');
  return { ...common, prompt };
}

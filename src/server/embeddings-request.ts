/**
 * A `POST /v1/embeddings` body (OpenAI's create-embedding request) checked and turned into `sb.embed`'s
 * call shape. Every field OpenAI defines is honoured: `input` (a string or a list of strings, checked by
 * the library's own rules, pipeline/embed-request.ts), `model` (`provider:model`), `dimensions`,
 * `encoding_format` (`float` or `base64`) and `user`. Token arrays in `input` are refused by name
 * (400 `unsupported_parameter`): no provider behind the gateway shares OpenAI's token ids. Any other
 * field is a 400 naming it (body-fields.ts). Messages never repeat what was sent.
 */
import { checkDimensions, checkEmbedInput, MAX_EMBED_USER_CHARS } from '../pipeline/embed-request.js';
import { asBody, checkFields, given, invalid, unsupported } from './body-fields.js';

/** A checked embeddings request. */
export interface ParsedEmbeddingsBody {
  /** `provider:model`, as sent. */
  model: string;
  input: string[];
  dimensions?: number;
  encodingFormat: 'float' | 'base64';
  user?: string;
}

/** Fields the endpoint honours: every field of OpenAI's create-embedding request. */
const HONOURED = new Set(['model', 'input', 'dimensions', 'encoding_format', 'user']);

/** A list of token ids (or a list of them): what OpenAI also takes as `input`. */
function isTokenInput(input: unknown): boolean {
  if (!Array.isArray(input) || input.length === 0) return false;
  return input.every((item) => typeof item === 'number') || input.every((item) => Array.isArray(item) && item.every((token) => typeof token === 'number'));
}

/** Check a `/v1/embeddings` body; `maxInputChars` is config `limits.maxInputChars`. */
export function parseEmbeddingsBody(raw: unknown, maxInputChars: number): ParsedEmbeddingsBody {
  const body = asBody(raw);
  checkFields(body, HONOURED, {}, '/v1/embeddings');
  const model = given(body, 'model');
  if (typeof model !== 'string' || model.trim() === '') throw invalid('model is required: "provider:model" such as "openai:text-embedding-3-small"', 'model');
  if (model.trim().startsWith('bot:')) throw invalid('embeddings take a model ("provider:model"), not a bot: a bot wires chat models', 'model');
  const input = given(body, 'input');
  if (input === undefined) throw invalid('input is required: a string or an array of strings', 'input');
  if (isTokenInput(input)) throw unsupported('input', 'token arrays are not taken (token ids differ between the models behind the gateway); send the texts');
  const texts = checkEmbedInput(input, maxInputChars);
  if (texts.problem) throw invalid(`${texts.problem.path} ${texts.problem.message}`, texts.problem.path);
  const parsed: ParsedEmbeddingsBody = { model: model.trim(), input: texts.value, encodingFormat: 'float' };
  const dimensions = given(body, 'dimensions');
  if (dimensions !== undefined) {
    const checked = checkDimensions(dimensions);
    if (checked.problem) throw invalid(`dimensions ${checked.problem.message}`, 'dimensions');
    parsed.dimensions = checked.value;
  }
  const format = given(body, 'encoding_format');
  if (format !== undefined) {
    if (format !== 'float' && format !== 'base64') throw invalid('encoding_format must be "float" or "base64"', 'encoding_format');
    parsed.encodingFormat = format;
  }
  const user = given(body, 'user');
  if (user !== undefined && (typeof user !== 'string' || user.length > MAX_EMBED_USER_CHARS)) throw invalid(`user must be a string of at most ${MAX_EMBED_USER_CHARS} characters`, 'user');
  if (typeof user === 'string' && user !== '') parsed.user = user;
  return parsed;
}

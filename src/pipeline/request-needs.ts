/**
 * The check of a JSON answer (`responseFormat` json / json_schema; API.md "Messages, tools,
 * structured output"), which makes an answer that does not parse or validate a failed attempt of its
 * candidate.
 */
import { InvalidOutputError } from '../core/errors.js';
import { compileSchema, schemaErrorText } from '../core/json-schema.js';
import type { ResponseFormat } from '../core/types.js';

/** A JSON answer some models wrap in a Markdown fence anyway: the fence is not part of the JSON. */
const FENCED = /^```(?:json)?\s*\n([\s\S]*?)\n?```$/;

/**
 * The parsed answer for a `json` / `json_schema` response format (`json_schema`: validated), or
 * undefined for text and for an answer that calls tools (the JSON answer comes after the tool results).
 * Throws InvalidOutputError (carrying the text) when it is not JSON or not valid.
 */
export function parsedOutput(format: ResponseFormat | undefined, answer: { text: string; model: string; toolCalls?: readonly unknown[] }): unknown {
  if (!format || format.type === 'text') return undefined;
  if (answer.toolCalls && answer.toolCalls.length > 0) return undefined;
  const { text, model } = answer;
  const trimmed = text.trim();
  const fenced = FENCED.exec(trimmed);
  let object: unknown;
  try {
    object = JSON.parse(fenced ? fenced[1]! : trimmed);
  } catch {
    throw new InvalidOutputError(`${model} answered text that is not JSON, though responseFormat asked for ${format.type}`, { text });
  }
  if (format.type === 'json') return object;
  const compiled = compileSchema(format.schema);
  // The schema compiled when the request was checked; a cache eviction just compiles it again.
  if ('problem' in compiled) throw new InvalidOutputError(`responseFormat.schema ${compiled.problem}`, { text });
  if (!compiled.validate(object)) {
    throw new InvalidOutputError(`${model} answered JSON that does not match responseFormat.schema (${schemaErrorText(compiled.validate)})`, { text });
  }
  return object;
}

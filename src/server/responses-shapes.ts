/**
 * `/v1/responses` answers: the `response` object as JSON (responses-object.ts), or its typed SSE
 * events (`event: <type>` + `data:`, no `[DONE]`; responses-stream.ts). Failures keep OpenAI's error
 * body, with `param` named as the Responses API names the field (`input`, `text.format`,
 * `reasoning.effort`, `max_output_tokens`) where the shared error table (errors.ts) names chat's.
 */
import type { HttpFailure } from './errors.js';
import type { WireFormat } from './response-shapes.js';
import { outputItems, responseObject, resultStatus, type ResponsesMeta } from './responses-object.js';
import { ResponsesStream } from './responses-stream.js';

/** Chat completion fields errors.ts names -> the Responses API's (the others are spelled alike). */
const RESPONSES_PARAM: Readonly<Record<string, string>> = {
  messages: 'input',
  response_format: 'text.format',
  reasoning_effort: 'reasoning.effort',
  max_tokens: 'max_output_tokens',
  max_completion_tokens: 'max_output_tokens',
};

/** `failure` with its `param` in the Responses API's words (the same object when it already is). */
export function responsesFailure(failure: HttpFailure): HttpFailure {
  const param = failure.body.error.param;
  if (param === null || !Object.prototype.hasOwnProperty.call(RESPONSES_PARAM, param)) return failure;
  return { ...failure, body: { error: { ...failure.body.error, param: RESPONSES_PARAM[param]! } } };
}

/**
 * `/v1/responses`: the `response` object, and its typed event stream. `onOutput` receives a finished
 * answer's output items before the client does (the gateway keeps them for item references).
 */
export function responsesWire(meta: ResponsesMeta, onOutput?: (output: Array<Record<string, unknown>>) => void): WireFormat {
  return {
    framing: 'typed',
    json: (result) => {
      const output = outputItems(result);
      onOutput?.(output);
      return responseObject(meta, { status: resultStatus(result).status, output, result });
    },
    stream: () => {
      const stream = new ResponsesStream(meta, onOutput);
      return {
        opening: () => stream.opening(),
        delta: (text) => stream.delta(text),
        rich: (part) => stream.rich(part),
        finish: (result) => stream.finish(result),
        failure: (failure) => stream.failure(responsesFailure(failure)),
      };
    },
  };
}

/**
 * The text a request carries, for `SecretRegistry.scrubUpstream` (secrets.ts): an upstream that quotes
 * the request back must not carry a caller's text through the secret registry's scrubbing. One place
 * lists every field that holds caller text, so a new field is added here once.
 */
import { messageText, type ProviderRequest } from './types.js';

/** Every caller-written string of `request`: model id, message texts, tool calls and results, tools, stop sequences. */
export function* requestTexts(request: ProviderRequest): Generator<string> {
  yield request.modelId;
  for (const message of request.messages) {
    yield messageText(message);
    if (message.role === 'assistant') {
      for (const call of message.toolCalls ?? []) {
        yield call.name;
        yield call.arguments;
      }
    } else if (message.role === 'tool') {
      yield message.toolCallId;
    }
  }
  for (const tool of request.tools ?? []) {
    yield tool.name;
    if (tool.description) yield tool.description;
    yield JSON.stringify(tool.parameters);
  }
  if (request.responseFormat?.type === 'json_schema') yield JSON.stringify(request.responseFormat.schema);
  const stop = request.params.stop;
  if (typeof stop === 'string') yield stop;
  else if (Array.isArray(stop)) yield* stop;
}

/**
 * The text a request carries, for `SecretRegistry.scrubUpstream` (secrets.ts): an upstream that quotes the request
 * back must not carry a caller's text through the secret registry's scrubbing. One place lists every
 * field that holds caller text, so a new field is added here once.
 */
import type { ProviderRequest } from './types.js';

/** Every caller-written string of `request`: model id, message texts, stop sequences. */
export function* requestTexts(request: ProviderRequest): Generator<string> {
  yield request.modelId;
  for (const message of request.messages) yield message.content;
  const stop = request.params.stop;
  if (typeof stop === 'string') yield stop;
  else if (Array.isArray(stop)) yield* stop;
}

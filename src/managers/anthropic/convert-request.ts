/**
 * Our ProviderRequest -> the body of an Anthropic Messages request. System messages become the
 * top-level `system` field; `max_tokens` is required by the API, so it falls back to the
 * provider's `defaultMaxTokens`; `stop` becomes `stop_sequences`.
 *
 * Not sent, so that a bot's shared params never break a call to Claude:
 * - `temperature` and `topP`: API version 2026-10-21, which @anthropic-ai/sdk 1.x sends, answers 400
 *   ("Extra inputs are not permitted") to any sampling parameter, even at its default value;
 * - `frequencyPenalty`, `presencePenalty`, `seed`: Anthropic has no such parameters.
 */
import type { MessageCreateParamsBase, MessageParam } from '@anthropic-ai/sdk/resources/messages';
import { InvalidRequestError } from '../../core/errors.js';
import type { ProviderRequest } from '../../core/types.js';
import { messageText } from '../../core/messages.js';

/** The request body without `stream`, which the caller adds. */
export type MessagesBody = Omit<MessageCreateParamsBase, 'stream'>;

/** Map messages and parameters; throws InvalidRequestError for a conversation Anthropic cannot take. */
export function toMessagesBody(request: ProviderRequest, defaultMaxTokens: number): MessagesBody {
  const system = request.messages.filter((message) => message.role === 'system').map((message) => messageText(message));
  const turns = request.messages
    .filter((message) => message.role !== 'system')
    .map((message): MessageParam => ({ role: message.role as 'user' | 'assistant', content: messageText(message) }));
  if (turns.length === 0) {
    throw new InvalidRequestError('Anthropic needs at least one user message besides the system prompt: add a user message', { provider: 'anthropic', model: request.modelId });
  }
  const { params } = request;
  const body: MessagesBody = { model: request.modelId, max_tokens: params.maxTokens ?? defaultMaxTokens, messages: turns };
  if (system.length > 0) body.system = system.join('\n\n');
  if (params.stop !== undefined) body.stop_sequences = Array.isArray(params.stop) ? [...params.stop] : [params.stop];
  return body;
}

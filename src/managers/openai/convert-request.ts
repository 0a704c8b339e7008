/**
 * Our ProviderRequest -> the body of an OpenAI chat completion. Both operations use chat
 * completions (a `generate` arrives as messages already: the pipeline made the prompt a user turn).
 */
import type { ChatCompletionCreateParamsBase, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { ProviderRequest } from '../../core/types.js';
import { messageText } from '../../core/messages.js';

/** The request body without `stream`/`stream_options`, which the caller adds. */
export type ChatCompletionBody = Omit<ChatCompletionCreateParamsBase, 'stream' | 'stream_options'>;

/**
 * Reasoning models (o1, o3, o4-mini, gpt-5 ...) reject `max_tokens` and want `max_completion_tokens`,
 * which also bounds their hidden reasoning tokens.
 */
export function usesMaxCompletionTokens(modelId: string): boolean {
  return /^(o\d|gpt-5)/i.test(modelId);
}

/** Map messages and parameters; parameters the caller did not set stay off the wire. */
export function toChatCompletionBody(request: ProviderRequest): ChatCompletionBody {
  const { params } = request;
  const body: ChatCompletionBody = {
    model: request.modelId,
    messages: request.messages.map((message): ChatCompletionMessageParam => ({ role: message.role, content: messageText(message) }) as ChatCompletionMessageParam),
  };
  if (params.temperature !== undefined) body.temperature = params.temperature;
  if (params.maxTokens !== undefined) {
    if (usesMaxCompletionTokens(request.modelId)) body.max_completion_tokens = params.maxTokens;
    else body.max_tokens = params.maxTokens;
  }
  if (params.topP !== undefined) body.top_p = params.topP;
  if (params.frequencyPenalty !== undefined) body.frequency_penalty = params.frequencyPenalty;
  if (params.presencePenalty !== undefined) body.presence_penalty = params.presencePenalty;
  if (params.stop !== undefined) body.stop = params.stop;
  if (params.seed !== undefined) body.seed = params.seed;
  return body;
}

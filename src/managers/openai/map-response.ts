/**
 * OpenAI chat completion -> our ProviderResult: text, normalised finish reason and usage.
 * OpenAI's `prompt_tokens` already includes cached tokens and `completion_tokens` already includes
 * reasoning tokens, which is exactly our normalised form; the details become the optional parts.
 */
import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import type { FinishReason, ProviderResult, Usage } from '../../core/types.js';
import { makeUsage } from '../../core/usage.js';

/** OpenAI finish_reason -> ours. */
export function mapFinishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'content_filter':
      return 'content-filter';
    case 'tool_calls':
    case 'function_call':
      return 'tool-calls';
    default:
      return 'other';
  }
}

/** OpenAI usage -> ours; undefined when the server sent none. */
export function mapUsage(usage: CompletionUsage | null | undefined): Usage | undefined {
  if (!usage) return undefined;
  return makeUsage({
    inputTokens: usage.prompt_tokens ?? 0,
    outputTokens: usage.completion_tokens ?? 0,
    cacheReadTokens: usage.prompt_tokens_details?.cached_tokens,
    reasoningTokens: usage.completion_tokens_details?.reasoning_tokens,
  });
}

/** A complete chat completion -> ProviderResult (the first choice; a refusal counts as the text). */
export function mapChatCompletion(completion: ChatCompletion): ProviderResult {
  const choice = completion.choices?.[0];
  const message = choice?.message;
  const result: ProviderResult = {
    id: completion.id,
    text: message?.content ?? message?.refusal ?? '',
    finishReason: mapFinishReason(choice?.finish_reason),
    responseModel: completion.model,
  };
  const usage = mapUsage(completion.usage);
  if (usage) result.usage = usage;
  return result;
}

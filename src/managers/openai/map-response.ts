/**
 * OpenAI chat completion -> our ProviderResult: text, normalised finish reason and usage.
 * OpenAI's `prompt_tokens` already includes cached tokens and `completion_tokens` already includes
 * reasoning tokens, which is exactly our normalised form; the details become the optional parts.
 */
import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import { malformedAnswer, type AnswerOrigin } from '../../core/answer-errors.js';
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

/** The first choice of an OpenAI-shaped chat completion and its text, checked to be an answer. */
export interface CheckedChoice {
  completion: ChatCompletion;
  choice: ChatCompletion['choices'][number];
  text: string;
}

/**
 * Check that `body` is an OpenAI-shaped chat completion with a first choice whose content (or
 * refusal) is text or absent, and return them; anything else is a malformed answer. The openai SDK
 * hands back a string, not an object, when a 200 is not JSON (an HTML page from a proxy), and
 * OpenAI-compatible servers send all sorts: typeof checks only, this runs on every call.
 */
export function checkChatCompletion(body: unknown, origin: AnswerOrigin): CheckedChoice {
  if (typeof body !== 'object' || body === null) throw malformedAnswer(origin, 'the body is not a JSON object');
  const completion = body as ChatCompletion;
  const choices: unknown = completion.choices;
  if (!Array.isArray(choices) || choices.length === 0) throw malformedAnswer(origin, 'it has no choices');
  const choice = choices[0] as ChatCompletion['choices'][number] | null;
  const message: unknown = choice?.message;
  if (typeof message !== 'object' || message === null) throw malformedAnswer(origin, 'its first choice has no message');
  const { content, refusal } = message as { content?: unknown; refusal?: unknown };
  const text = content ?? refusal ?? '';
  if (typeof text !== 'string') throw malformedAnswer(origin, 'the message content is not text');
  return { completion, choice: choice!, text };
}

/**
 * A complete chat completion -> ProviderResult (the first choice; a refusal counts as the text).
 * `completion` is what the SDK returned, which is not always a completion (checkChatCompletion).
 */
export function mapChatCompletion(body: unknown, origin: AnswerOrigin): ProviderResult {
  const { completion, choice, text } = checkChatCompletion(body, origin);
  const result: ProviderResult = {
    id: completion.id,
    text,
    finishReason: mapFinishReason(choice.finish_reason),
    responseModel: completion.model,
  };
  const usage = mapUsage(completion.usage);
  if (usage) result.usage = usage;
  return result;
}

/**
 * OpenAI chat completion -> our ProviderResult: text, tool calls, reasoning, normalised finish reason
 * and usage.
 * OpenAI's `prompt_tokens` already includes cached tokens and `completion_tokens` already includes
 * reasoning tokens, which is exactly our normalised form; the details become the optional parts.
 */
import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import { malformedAnswer, type AnswerOrigin } from '../../core/answer-errors.js';
import type { FinishReason, ProviderResult, Usage } from '../../core/types.js';
import { makeUsage } from '../../core/usage.js';
import { readAnswerMessage, settleFinishReason, type AnswerMessage } from './read-answer.js';

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

/** The first choice of an OpenAI-shaped chat completion and what its message says. */
export interface CheckedChoice {
  completion: ChatCompletion;
  choice: ChatCompletion['choices'][number];
  /** Text, refusal, tool calls and reasoning of the message (read-answer.ts). */
  answer: AnswerMessage;
}

/**
 * Check that `body` is an OpenAI-shaped chat completion with a first choice whose message has text
 * (or a refusal), tool calls, or neither (an assistant message with `tool_calls` and `content: null`
 * is an answer), and read it; anything else is a malformed answer. The openai SDK hands back a
 * string, not an object, when a 200 is not JSON (an HTML page from a proxy), and OpenAI-compatible
 * servers send all sorts: typeof checks only, this runs on every call.
 */
export function checkChatCompletion(body: unknown, origin: AnswerOrigin): CheckedChoice {
  if (typeof body !== 'object' || body === null) throw malformedAnswer(origin, 'the body is not a JSON object');
  const completion = body as ChatCompletion;
  const choices: unknown = completion.choices;
  if (!Array.isArray(choices) || choices.length === 0) throw malformedAnswer(origin, 'it has no choices');
  const choice = choices[0] as ChatCompletion['choices'][number] | null;
  const message: unknown = choice?.message;
  if (typeof message !== 'object' || message === null) throw malformedAnswer(origin, 'its first choice has no message');
  return { completion, choice: choice!, answer: readAnswerMessage(message, origin) };
}

/** The answer's fields of a ProviderResult: text, the settled finish reason, tool calls, reasoning. */
export function answerResult(answer: AnswerMessage, reason: FinishReason): ProviderResult {
  const result: ProviderResult = { text: answer.text, finishReason: settleFinishReason(reason, answer.refused, answer.toolCalls?.length ?? 0) };
  if (answer.toolCalls) result.toolCalls = answer.toolCalls;
  if (answer.reasoning) result.reasoning = answer.reasoning;
  return result;
}

/**
 * A complete chat completion -> ProviderResult (the first choice; a refusal is the text, see
 * read-answer.ts). `body` is what the SDK returned, which is not always a completion (checkChatCompletion).
 */
export function mapChatCompletion(body: unknown, origin: AnswerOrigin): ProviderResult {
  const { completion, choice, answer } = checkChatCompletion(body, origin);
  const result = answerResult(answer, mapFinishReason(choice.finish_reason));
  result.id = completion.id;
  result.responseModel = completion.model;
  const usage = mapUsage(completion.usage);
  if (usage) result.usage = usage;
  return result;
}

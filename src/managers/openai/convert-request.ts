/**
 * Our ProviderRequest -> the body of an OpenAI chat completion. Both operations use chat
 * completions (a `generate` arrives as messages already: the pipeline made the prompt a user turn).
 * Messages: convert-messages.ts; tools, tool choice and response format: convert-tools.ts; reasoning
 * and the parameters here; then `providerOptions[provider]` on top (src/managers/provider-options.ts).
 */
import type { ChatCompletionCreateParamsBase } from 'openai/resources/chat/completions';
import { InvalidRequestError, UnsupportedCapabilityError } from '../../core/errors.js';
import type { ProviderRequest } from '../../core/types.js';
import { mergeProviderOptions } from '../provider-options.js';
import { toOpenAIMessages } from './convert-messages.js';
import { toResponseFormat, toToolFields } from './convert-tools.js';

/** The request body without `stream`/`stream_options`, which the caller adds. */
export type ChatCompletionBody = Omit<ChatCompletionCreateParamsBase, 'stream' | 'stream_options'>;

/**
 * Body fields this layer sets (or may set) itself: providerOptions cannot replace them, whether or not
 * this request uses them, so an option's fate never depends on the rest of the request.
 */
export const OPENAI_RESERVED_FIELDS: readonly string[] = [
  'model',
  'messages',
  'stream',
  'stream_options',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'reasoning_effort',
  'temperature',
  'max_tokens',
  'max_completion_tokens',
  'top_p',
  'frequency_penalty',
  'presence_penalty',
  'stop',
  'seed',
  // The deprecated spellings of tools: a request carrying both would be ambiguous upstream.
  'functions',
  'function_call',
];

/**
 * Reasoning models (o1, o3, o4-mini, gpt-5 ...) reject `max_tokens` and want `max_completion_tokens`,
 * which also bounds their hidden reasoning tokens.
 */
export function usesMaxCompletionTokens(modelId: string): boolean {
  return /^(o\d|gpt-5)/i.test(modelId);
}

/**
 * `params.topK`: chat completions have no top-k parameter, so it is refused (UnsupportedCapabilityError:
 * the pipeline skips to a candidate that can) rather than dropped. A server that takes a vendor `top_k`
 * (vLLM, TGI) gets it through `providerOptions.<provider>.top_k`. HuggingFace's wire is the same.
 */
export function refuseTopK(request: ProviderRequest, provider: string): void {
  if (request.params.topK === undefined) return;
  throw new UnsupportedCapabilityError(
    'params.topK',
    `Provider "${provider}" cannot carry params.topK: its chat completions have no top-k parameter; send the request without it or to a model whose provider can (ollama, llamacpp), or set providerOptions.${provider}.top_k for a server that takes one`,
    { provider, model: request.modelId },
  );
}

/**
 * What chat completions cannot carry, refused before any request: `params.topK` (refuseTopK) and a
 * thinking budget (`params.reasoning.maxTokens`). OpenAI takes an effort (`reasoning_effort`) only; a
 * budget sent as an effort would be a guess, and dropping it would be silent. `provider` names the
 * provider in the error.
 */
export function assertChatCompletionCarries(request: ProviderRequest, provider: string): void {
  refuseTopK(request, provider);
  if (request.params.reasoning?.maxTokens !== undefined) {
    throw new InvalidRequestError(
      `params.reasoning.maxTokens (a thinking budget) cannot be sent to ${provider}: its chat completions take an effort only; use params.reasoning.effort (params.maxTokens bounds reasoning and answer together)`,
      { provider, model: request.modelId },
    );
  }
}

/** Map messages, tools and parameters; what the caller did not set stays off the wire. */
export function toChatCompletionBody(request: ProviderRequest, provider: string): ChatCompletionBody {
  const { params } = request;
  const body: ChatCompletionBody = { model: request.modelId, messages: toOpenAIMessages(request.messages) };
  if (request.tools !== undefined || request.toolChoice !== undefined || request.parallelToolCalls !== undefined) Object.assign(body, toToolFields(request));
  const format = toResponseFormat(request.responseFormat);
  if (format) body.response_format = format;
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
  if (params.reasoning?.effort !== undefined) body.reasoning_effort = params.reasoning.effort;
  if (request.providerOptions) mergeProviderOptions(body, request, provider, OPENAI_RESERVED_FIELDS);
  return body;
}

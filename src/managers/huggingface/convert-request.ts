/**
 * Our ProviderRequest as `@huggingface/inference` arguments: OpenAI-shaped chat completion input,
 * and text-generation input whose `parameters` the library (4.13, `hf-inference` / endpointUrl)
 * spreads into an OpenAI `/v1/completions` body (`max_new_tokens` becomes `max_tokens`).
 *
 * Chat completion speaks OpenAI's wire (TGI's Messages API, Inference Providers' router), so the
 * messages, tools, tool choice and response format are the openai converters' (one rule each):
 * the library's ChatCompletionInput types the same shapes (`image_url` parts, `tool_calls`,
 * `response_format` `json_object` / `json_schema`). A text completion carries a prompt only, so a
 * `generate` with tools, images or a JSON format goes to chat completion instead (`needsChat`).
 */
import type { InferenceClient } from '@huggingface/inference';
import type { CallParams, ProviderRequest } from '../../core/types.js';
import { messageText } from '../../core/messages.js';
import { toOpenAIMessages } from '../openai/convert-messages.js';
import { refuseTopK } from '../openai/convert-request.js';
import { toResponseFormat, toToolFields } from '../openai/convert-tools.js';
import { mergeProviderOptions } from '../provider-options.js';
import { HUGGINGFACE_ID } from './huggingface-config.js';

/** The library's own argument types (its @huggingface/tasks dependency is not ours to import). */
type ChatArgs = Parameters<InferenceClient['chatCompletion']>[0];
type TextGenerationArgs = Parameters<InferenceClient['textGeneration']>[0];

/**
 * Arguments the layer sets, and those the library reads itself (`endpointUrl`, `accessToken` and
 * `provider` choose where the request and the token go): providerOptions cannot set them.
 */
const LIBRARY_ARGS = ['model', 'endpointUrl', 'accessToken', 'provider', 'stream', 'stream_options'];
/** The parameters set from `params` (in both bodies: the library spreads text-generation parameters to the top). */
const PARAM_FIELDS = ['temperature', 'max_tokens', 'top_p', 'frequency_penalty', 'presence_penalty', 'stop', 'seed'];
const CHAT_RESERVED = [...LIBRARY_ARGS, ...PARAM_FIELDS, 'messages', 'tools', 'tool_choice', 'parallel_tool_calls', 'response_format'];
const TEXT_GENERATION_RESERVED = [...LIBRARY_ARGS, ...PARAM_FIELDS, 'inputs', 'parameters', 'prompt', 'max_new_tokens'];

function stopList(stop: CallParams['stop']): string[] | undefined {
  if (stop === undefined) return undefined;
  return Array.isArray(stop) ? [...stop] : [stop];
}

/** Copy only the parameters that are set: an absent one must stay off the wire (server default). */
function defined<T extends Record<string, unknown>>(record: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, value] of Object.entries(record)) if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  return out;
}

/**
 * Whether a `text_completion` must go to chat completion: it carries tools, a JSON format, or
 * messages that are more than text (images, tool calls, tool results), none of which a prompt holds.
 */
export function needsChat(request: ProviderRequest): boolean {
  if (request.tools !== undefined || request.toolChoice !== undefined || request.parallelToolCalls !== undefined) return true;
  if (request.responseFormat !== undefined && request.responseFormat.type !== 'text') return true;
  return request.messages.some((message) => typeof message.content !== 'string' || message.role === 'tool' || (message.role === 'assistant' && message.toolCalls !== undefined));
}

/**
 * Arguments for `chatCompletion` / `chatCompletionStream`. `params.topK` is refused before any request:
 * the library's ChatCompletionInput has no top_k (OpenAI's wire); providerOptions may send a vendor one.
 */
export function toChatArgs(request: ProviderRequest, stream: boolean): ChatArgs & { model: string } {
  refuseTopK(request, HUGGINGFACE_ID);
  const { params } = request;
  const args: ChatArgs & { model: string } = {
    model: request.modelId,
    // The same wire as OpenAI's; the library's type has no `content: null` (TGI and the router take it).
    messages: toOpenAIMessages(request.messages) as ChatArgs['messages'],
    ...defined({
      temperature: params.temperature,
      max_tokens: params.maxTokens,
      top_p: params.topP,
      frequency_penalty: params.frequencyPenalty,
      presence_penalty: params.presencePenalty,
      stop: stopList(params.stop),
      seed: params.seed,
    }),
    // Without it an OpenAI-shaped server sends no usage in a stream, and cost would be unknown.
    ...(stream ? { stream_options: { include_usage: true } } : {}),
  };
  if (request.tools !== undefined || request.toolChoice !== undefined || request.parallelToolCalls !== undefined) Object.assign(args, toToolFields(request));
  const format = toResponseFormat(request.responseFormat);
  // The library types OpenAI's shapes with an index signature OpenAI's own types lack.
  if (format) args.response_format = format as ChatArgs['response_format'];
  if (request.providerOptions) mergeProviderOptions(args, request, HUGGINGFACE_ID, CHAT_RESERVED);
  return args;
}

/** The prompt for a text completion: system text first, then the other messages, blank-line separated. */
export function toPrompt(request: ProviderRequest): string {
  const system = request.messages.filter((message) => message.role === 'system').map(messageText);
  const rest = request.messages.filter((message) => message.role !== 'system').map(messageText);
  return [...system, ...rest].join('\n\n');
}

/**
 * Arguments for `textGeneration` / `textGenerationStream` (a plain-text request: see needsChat).
 * `params.topK` is refused as for chat: the library sends these to OpenAI's `/v1/completions` wire.
 */
export function toTextGenerationArgs(request: ProviderRequest, stream: boolean): TextGenerationArgs & { model: string } {
  refuseTopK(request, HUGGINGFACE_ID);
  const { params } = request;
  const args: TextGenerationArgs & { model: string } = {
    model: request.modelId,
    inputs: toPrompt(request),
    parameters: defined({
      temperature: params.temperature,
      max_new_tokens: params.maxTokens,
      top_p: params.topP,
      frequency_penalty: params.frequencyPenalty,
      presence_penalty: params.presencePenalty,
      stop: stopList(params.stop),
      seed: params.seed,
    }),
    ...(stream ? { stream_options: { include_usage: true } } : {}),
  };
  // The library spreads top-level arguments into the /v1/completions body.
  if (request.providerOptions) mergeProviderOptions(args, request, HUGGINGFACE_ID, TEXT_GENERATION_RESERVED);
  return args;
}

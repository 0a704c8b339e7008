/**
 * Our ProviderRequest as `@huggingface/inference` arguments: OpenAI-shaped chat completion input,
 * and text-generation input whose `parameters` the library (4.13, `hf-inference` / endpointUrl)
 * spreads into an OpenAI `/v1/completions` body (`max_new_tokens` becomes `max_tokens`).
 */
import type { InferenceClient } from '@huggingface/inference';
import type { CallParams, ProviderRequest } from '../../core/types.js';
import { messageText } from '../../core/messages.js';

/** The library's own argument types (its @huggingface/tasks dependency is not ours to import). */
type ChatArgs = Parameters<InferenceClient['chatCompletion']>[0];
type TextGenerationArgs = Parameters<InferenceClient['textGeneration']>[0];

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

/** Arguments for `chatCompletion` / `chatCompletionStream`. */
export function toChatArgs(request: ProviderRequest, stream: boolean): ChatArgs & { model: string } {
  const { params } = request;
  return {
    model: request.modelId,
    messages: request.messages.map((message) => ({ role: message.role, content: messageText(message) })),
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
}

/** The prompt for a text completion: system text first, then the other messages, blank-line separated. */
export function toPrompt(request: ProviderRequest): string {
  const system = request.messages.filter((message) => message.role === 'system').map((message) => message.content);
  const rest = request.messages.filter((message) => message.role !== 'system').map((message) => message.content);
  return [...system, ...rest].join('\n\n');
}

/** Arguments for `textGeneration` / `textGenerationStream`. */
export function toTextGenerationArgs(request: ProviderRequest, stream: boolean): TextGenerationArgs & { model: string } {
  const { params } = request;
  return {
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
}

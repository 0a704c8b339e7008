/**
 * OpenAI chat completion chunks -> our provider stream parts. The `finish` part is yielded only
 * when the stream demonstrably completed: `data: [DONE]` arrived, or a chunk carried a
 * finish_reason and the usage chunk (requested with `include_usage`) followed. A stream that just
 * stops yields no finish, which BaseLLMManager reports as an interruption.
 */
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { abortReason } from '../../core/abort.js';
import type { ProviderStreamPart, Usage } from '../../core/types.js';
import { mapFinishReason, mapUsage } from './map-response.js';

/** Translate `chunks`; `sawDone()` is asked once the SDK's iterator has ended. */
export async function* chatChunksToParts(
  chunks: AsyncIterable<ChatCompletionChunk>,
  sawDone: () => boolean,
  signal: AbortSignal,
): AsyncGenerator<ProviderStreamPart> {
  let id: string | undefined;
  let responseModel: string | undefined;
  let finishReason: string | undefined;
  let usage: Usage | undefined;
  for await (const chunk of chunks) {
    id ??= chunk.id || undefined;
    if (chunk.model) responseModel = chunk.model;
    if (chunk.usage) usage = mapUsage(chunk.usage);
    const choice = chunk.choices?.find((candidate) => candidate.index === 0) ?? chunk.choices?.[0];
    if (!choice) continue;
    const text = choice.delta?.content;
    if (text) yield { type: 'text-delta', text };
    if (choice.finish_reason) finishReason = choice.finish_reason;
  }
  // The SDK ends its iterator quietly after an abort; that is the caller's (or our timeout's) doing.
  if (signal.aborted) throw abortReason(signal);
  const completed = sawDone() || (finishReason !== undefined && usage !== undefined);
  if (!completed) return;
  yield { type: 'finish', finishReason: mapFinishReason(finishReason), usage, id, responseModel };
}

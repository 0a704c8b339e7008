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

/** An opened OpenAI stream: its chunks, and whether `data: [DONE]` arrived (asked once they end). */
export interface OpenedChatStream {
  chunks: AsyncIterable<ChatCompletionChunk>;
  sawDone: () => boolean;
}

/** Open the stream with `open()` (on the first `next()`), then translate its chunks. */
export async function* chatChunksToParts(open: () => Promise<OpenedChatStream>, signal: AbortSignal): AsyncGenerator<ProviderStreamPart> {
  const { chunks, sawDone } = await open();
  let id: string | undefined;
  let responseModel: string | undefined;
  let finishReason: string | undefined;
  let usage: Usage | undefined;
  for await (const chunk of chunks) {
    id ??= chunk.id || undefined;
    if (chunk.model) responseModel = chunk.model;
    if (chunk.usage) usage = mapUsage(chunk.usage);
    const choice = firstChoice(chunk.choices);
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

/** The choice with index 0 (the usual first entry; searched without a closure, once per chunk). */
function firstChoice(choices: ChatCompletionChunk['choices'] | undefined): ChatCompletionChunk['choices'][number] | undefined {
  if (!choices || choices.length === 0) return undefined;
  if (choices[0].index === 0) return choices[0];
  for (const choice of choices) if (choice.index === 0) return choice;
  return choices[0];
}

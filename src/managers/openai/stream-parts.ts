/**
 * OpenAI chat completion chunks -> our provider stream parts: text deltas, and through AnswerDeltas
 * (read-answer.ts) reasoning deltas, refusal text and tool-call deltas, whose joined calls the finish
 * part carries. The `finish` part is yielded only
 * when the stream demonstrably completed: `data: [DONE]` arrived, or a chunk carried a
 * finish_reason and the usage chunk (requested with `include_usage`) followed. A stream that just
 * stops yields no finish, which BaseLLMManager reports as an interruption. A chunk that is not a
 * chunk (not an object, `choices` not a list, content that is not text), or a stream that finished
 * without ever carrying a choice, is a malformed answer; a stream of tool calls and no text is an answer.
 */
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { abortReason } from '../../core/abort.js';
import { malformedAnswer, type AnswerOrigin } from '../../core/answer-errors.js';
import type { ProviderStreamPart, Usage } from '../../core/types.js';
import { mapFinishReason, mapUsage } from './map-response.js';
import { AnswerDeltas, textField } from './read-answer.js';

/** An opened OpenAI stream: its chunks, and whether `data: [DONE]` arrived (asked once they end). */
export interface OpenedChatStream {
  chunks: AsyncIterable<ChatCompletionChunk>;
  sawDone: () => boolean;
}

/**
 * Open the stream with `open()` (on the first `next()`), then translate its chunks. `origin` names
 * the model in a malformed-answer error.
 */
export async function* chatChunksToParts(open: () => Promise<OpenedChatStream>, signal: AbortSignal, origin: AnswerOrigin): AsyncGenerator<ProviderStreamPart> {
  const { chunks, sawDone } = await open();
  let id: string | undefined;
  let responseModel: string | undefined;
  let finishReason: string | undefined;
  let usage: Usage | undefined;
  let sawChoice = false;
  // Made on the first delta that is more than text: a plain text stream never pays for it.
  let rich: AnswerDeltas | undefined;
  for await (const chunk of chunks) {
    // The SDK yields whatever each `data:` line parsed to: a string or a number is not a chunk.
    if (typeof chunk !== 'object' || chunk === null) throw malformedAnswer(origin, 'a stream chunk is not a JSON object');
    id ??= chunk.id || undefined;
    if (chunk.model) responseModel = chunk.model;
    if (chunk.usage) usage = mapUsage(chunk.usage);
    const choice = firstChoice(chunk.choices, origin);
    if (!choice) continue;
    sawChoice = true;
    const delta = choice.delta;
    if (delta != null) {
      if (AnswerDeltas.isRich(delta)) yield* (rich ??= new AnswerDeltas(origin)).parts(delta);
      else {
        const text = textField(delta.content, origin, 'a stream delta content');
        if (text) yield { type: 'text-delta', text };
      }
    }
    if (choice.finish_reason) finishReason = choice.finish_reason;
  }
  // The SDK ends its iterator quietly after an abort; that is the caller's (or our timeout's) doing.
  if (signal.aborted) throw abortReason(signal);
  const completed = sawDone() || (finishReason !== undefined && usage !== undefined);
  if (!completed) return;
  // `[DONE]` after nothing but empty `choices` is no answer, not an empty one.
  if (!sawChoice) throw malformedAnswer(origin, 'the stream carried no choices');
  const { finishReason: reason, toolCalls, reasoning } = rich ? rich.finish(mapFinishReason(finishReason)) : { finishReason: mapFinishReason(finishReason) };
  yield { type: 'finish', finishReason: reason, usage, id, responseModel, toolCalls, reasoning };
}

/** The choice with index 0 (the usual first entry; searched without a closure, once per chunk). */
function firstChoice(choices: ChatCompletionChunk['choices'] | undefined, origin: AnswerOrigin): ChatCompletionChunk['choices'][number] | undefined {
  if (choices == null) return undefined;
  if (!Array.isArray(choices)) throw malformedAnswer(origin, 'the choices of a stream chunk are not a list');
  if (choices.length === 0) return undefined;
  const first: unknown = choices[0];
  if (typeof first !== 'object' || first === null) throw malformedAnswer(origin, 'a stream choice is not an object');
  if (choices[0].index === 0) return choices[0];
  for (const choice of choices) if (choice?.index === 0) return choice;
  return choices[0];
}

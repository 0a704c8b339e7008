/**
 * Anthropic stream events -> our provider stream parts. Text comes from `text_delta`s; the stop
 * reason and final usage from `message_delta`; `finish` is yielded only after `message_stop` was
 * seen and the SDK's iterator has ended (it ends quietly when the connection closes early, which
 * must read as an interruption, not a finish). An event that is not an object, a message_start
 * without its message, a text delta that is not text, or a message_stop with no message_start before
 * it is a malformed answer.
 */
import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import { abortReason } from '../../core/abort.js';
import { malformedAnswer, type AnswerOrigin } from '../../core/answer-errors.js';
import type { ProviderStreamPart } from '../../core/types.js';
import { mapStopReason, mergeStreamUsage, type AnthropicUsageFields } from './map-response.js';

/** Translate `events` into deltas and one final finish; `origin` names the model in errors. */
export async function* messageEventsToParts(events: AsyncIterable<RawMessageStreamEvent>, signal: AbortSignal, origin: AnswerOrigin): AsyncGenerator<ProviderStreamPart> {
  let id: string | undefined;
  let responseModel: string | undefined;
  let startUsage: AnthropicUsageFields | undefined;
  let deltaUsage: AnthropicUsageFields | undefined;
  let stopReason: string | null | undefined;
  let started = false;
  let stopped = false;
  for await (const event of events) {
    if (typeof event !== 'object' || event === null) throw malformedAnswer(origin, 'a stream event is not a JSON object');
    switch (event.type) {
      case 'message_start': {
        const message: unknown = event.message;
        if (typeof message !== 'object' || message === null) throw malformedAnswer(origin, 'its message_start carries no message');
        started = true;
        id = event.message.id;
        responseModel = event.message.model;
        startUsage = event.message.usage ?? undefined;
        break;
      }
      case 'content_block_delta': {
        const delta = event.delta as { type?: unknown; text?: unknown } | null | undefined;
        if (delta?.type !== 'text_delta') break;
        if (typeof delta.text !== 'string') throw malformedAnswer(origin, 'a text delta does not hold text');
        if (delta.text) yield { type: 'text-delta', text: delta.text };
        break;
      }
      case 'message_delta':
        stopReason = event.delta?.stop_reason ?? stopReason;
        if (event.usage) deltaUsage = event.usage;
        break;
      case 'message_stop':
        stopped = true;
        break;
      default:
        break;
    }
  }
  if (signal.aborted) throw abortReason(signal);
  if (!stopped) return;
  if (!started) throw malformedAnswer(origin, 'its stream ended without a message_start');
  yield { type: 'finish', finishReason: mapStopReason(stopReason), usage: mergeStreamUsage(startUsage, deltaUsage), id, responseModel };
}

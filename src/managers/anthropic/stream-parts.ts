/**
 * Anthropic stream events -> our provider stream parts. Text comes from `text_delta`s; the stop
 * reason and final usage from `message_delta`; `finish` is yielded only after `message_stop` was
 * seen and the SDK's iterator has ended (it ends quietly when the connection closes early, which
 * must read as an interruption, not a finish).
 */
import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import { abortReason } from '../../core/abort.js';
import type { ProviderStreamPart } from '../../core/types.js';
import { mapStopReason, mergeStreamUsage, type AnthropicUsageFields } from './map-response.js';

/** Translate `events` into deltas and one final finish. */
export async function* messageEventsToParts(events: AsyncIterable<RawMessageStreamEvent>, signal: AbortSignal): AsyncGenerator<ProviderStreamPart> {
  let id: string | undefined;
  let responseModel: string | undefined;
  let startUsage: AnthropicUsageFields | undefined;
  let deltaUsage: AnthropicUsageFields | undefined;
  let stopReason: string | null | undefined;
  let stopped = false;
  for await (const event of events) {
    switch (event.type) {
      case 'message_start':
        id = event.message.id;
        responseModel = event.message.model;
        startUsage = event.message.usage ?? undefined;
        break;
      case 'content_block_delta':
        if (event.delta.type === 'text_delta' && event.delta.text) yield { type: 'text-delta', text: event.delta.text };
        break;
      case 'message_delta':
        stopReason = event.delta.stop_reason ?? stopReason;
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
  yield { type: 'finish', finishReason: mapStopReason(stopReason), usage: mergeStreamUsage(startUsage, deltaUsage), id, responseModel };
}

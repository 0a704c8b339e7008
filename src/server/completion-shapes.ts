/**
 * `/v1/completions` answers: `text_completion` objects, streamed as `text_completion` chunks too (as
 * OpenAI does). A text completion has no place for reasoning, which is left out (the caller asked for
 * text); tool calls cannot happen here, since the route refuses tools (completion-request.ts, and a
 * bot that offers tools in completions.ts).
 */
import { openAIFinishReason, openAIUsage, switchboardExtension, type OpenAIFinishReason, type ResponseMeta, type WireFormat } from './response-shapes.js';

/** `/v1/completions`: `text_completion` objects and chunks. */
export function completionWire(meta: ResponseMeta, includeUsage: boolean): WireFormat {
  const head = { id: meta.id, object: 'text_completion', created: meta.created, model: meta.model };
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({ ...head, choices, ...(includeUsage ? { usage: null } : {}), ...extra });
  const choice = (text: string, finish: OpenAIFinishReason | null) => ({ text, index: 0, logprobs: null, finish_reason: finish });
  return {
    json: (result) => ({
      ...head,
      choices: [choice(result.text, openAIFinishReason(result.finishReason))],
      usage: openAIUsage(result.usage),
      x_switchboard: switchboardExtension(result, meta.sessionId),
    }),
    stream: () => ({
      opening: () => [],
      delta: (text) => chunk([choice(text, null)]),
      rich: () => [],
      finish: (result) => [chunk([choice('', openAIFinishReason(result.finishReason))], { x_switchboard: switchboardExtension(result, meta.sessionId) })],
      usage: (result) => ({ ...head, choices: [], usage: openAIUsage(result.usage) }),
    }),
  };
}

/**
 * A provider's answer as the pipeline receives it: a ProviderResult turned into the ManagedResult of
 * one candidate (upstream fields bounded, usage defaulted, cost priced), or replayed as stream parts
 * for a provider that cannot stream.
 */
import type { ManagedResult, ModelInfo, ProviderResult, ProviderStreamPart } from '../core/types.js';
import { EMPTY_USAGE } from '../core/usage.js';
import { priceUsage } from '../telemetry/cost.js';

/** Bounds and cleans an `id` / `model` an upstream answered with, for the request it answered. */
export type UpstreamField<R> = (value: unknown, request: R) => string | undefined;

/**
 * The ManagedResult of `value` from `model` (`provider:model`) after `attempts` attempts. Positional
 * and closure-free: it runs once per call.
 */
export function managedResult<R>(model: string, value: ProviderResult, attempts: number, latencyMs: number, info: ModelInfo, request: R, field: UpstreamField<R>): ManagedResult {
  // Fields listed one by one: a spread of provider results (whose shapes vary) is a slow path in V8.
  return {
    id: field(value.id, request),
    text: value.text,
    finishReason: value.finishReason,
    responseModel: field(value.responseModel, request),
    model,
    toolCalls: value.toolCalls ?? [],
    reasoning: value.reasoning,
    stopSequence: value.stopSequence,
    usage: value.usage ?? { ...EMPTY_USAGE },
    usageReported: value.usage !== undefined,
    costUsd: priceUsage(value.usage, info.pricing),
    attempts,
    latencyMs,
  };
}

/** A whole answer as a stream: its text as one delta (when there is any), then the finish. */
export function* resultAsParts(result: ProviderResult): Iterable<ProviderStreamPart> {
  if (result.text) yield { type: 'text-delta', text: result.text };
  yield { type: 'finish', finishReason: result.finishReason, usage: result.usage, id: result.id, responseModel: result.responseModel, toolCalls: result.toolCalls, reasoning: result.reasoning, stopSequence: result.stopSequence };
}

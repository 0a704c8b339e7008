/**
 * `providerOptions[provider]` (API.md "Messages, tools, structured output"): extra fields merged into
 * that provider's request body only. Fields the layer itself owns (the model, the messages, streaming,
 * the tools ...) cannot be replaced this way: a stream turned off under a streaming call, or messages
 * swapped behind the telemetry and the cache key, would break promises silently. Every manager merges here.
 */
import { InvalidRequestError } from '../core/errors.js';
import type { ProviderRequest } from '../core/types.js';

/**
 * Merge the request's options for `provider` into `body` (in place; returns it). `reserved` are the
 * body fields this manager sets itself; an option naming one is refused by name.
 */
export function mergeProviderOptions<T extends object>(body: T, request: ProviderRequest, provider: string, reserved: readonly string[]): T {
  const options = request.providerOptions?.[provider];
  if (!options) return body;
  for (const [key, value] of Object.entries(options)) {
    if (reserved.includes(key)) {
      throw new InvalidRequestError(`providerOptions.${provider}.${key} is set by the request itself; use the request's own field instead`, { provider, model: request.modelId });
    }
    (body as Record<string, unknown>)[key] = value;
  }
  return body;
}

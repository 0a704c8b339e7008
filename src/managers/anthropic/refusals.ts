/**
 * What an Anthropic request can never carry, refused before any span or request with
 * UnsupportedCapabilityError naming the field, so the pipeline skips this candidate (with the reason
 * in its fallback event) instead of a field being dropped:
 * - sampling parameters: API version 2026-10-21, which @anthropic-ai/sdk 1.12 speaks, has none
 *   (temperature, top_p and top_k are "Extra inputs are not permitted"), and Anthropic never had
 *   frequency/presence penalties or a seed;
 * - a forced tool choice (`required`, `{ name }`) while thinking: Anthropic allows only auto/none then;
 * - a structured answer through the answer tool (structured-output.ts) together with thinking (the
 *   tool is forced) or with tools of the caller's own (they could never be called).
 */
import { UnsupportedCapabilityError } from '../../core/errors.js';
import type { CallParams, ProviderRequest } from '../../core/types.js';
import { ANTHROPIC_ID } from './anthropic-config.js';
import { thinkingRequested } from './convert-thinking.js';
import { answersThroughTool } from './structured-output.js';

/** Parameters this API has no field for, with their paths and why. */
const NO_SUCH_PARAMS: ReadonlyArray<[keyof CallParams, string, string]> = [
  ['temperature', 'params.temperature', 'API version 2026-10-21 takes no sampling parameters'],
  ['topP', 'params.topP', 'API version 2026-10-21 takes no sampling parameters'],
  ['topK', 'params.topK', 'API version 2026-10-21 takes no sampling parameters'],
  ['frequencyPenalty', 'params.frequencyPenalty', 'Anthropic has no frequency penalty'],
  ['presencePenalty', 'params.presencePenalty', 'Anthropic has no presence penalty'],
  ['seed', 'params.seed', 'Anthropic has no seed'],
];

/** Throw UnsupportedCapabilityError for the first field of `request` Anthropic cannot carry. */
export function refuseUncarried(request: ProviderRequest): void {
  const origin = { provider: ANTHROPIC_ID, model: request.modelId };
  const refuse = (feature: string, why: string): never => {
    throw new UnsupportedCapabilityError(feature, `Provider "anthropic" cannot carry ${feature}: ${why}; send the request without it or to another model`, origin);
  };
  for (const [key, path, why] of NO_SUCH_PARAMS) if (request.params[key] !== undefined) refuse(path, why);
  const thinking = thinkingRequested(request.params);
  const choice = request.toolChoice;
  const offersTools = request.tools !== undefined && request.tools.length > 0;
  if (thinking && offersTools && (choice === 'required' || typeof choice === 'object')) refuse('toolChoice', 'Anthropic forces no tool while thinking (params.reasoning), only auto or none');
  if (!answersThroughTool(request)) return;
  const how = request.responseFormat?.type === 'json' ? 'a JSON answer without a schema' : 'a JSON-schema answer on a model without structured outputs';
  if (thinking) refuse('responseFormat', `${how} comes through a forced tool, which thinking (params.reasoning) does not allow`);
  if (offersTools) refuse('responseFormat', `${how} comes through a forced tool, which leaves the request's own tools uncallable`);
}

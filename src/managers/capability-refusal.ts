/**
 * The refusal of a request whose needs (tools, images, JSON, reasoning) a provider's wire format cannot
 * carry: before any network call, naming the request field, so the pipeline moves to a candidate that can.
 */
import { UnsupportedCapabilityError, type RequiredCapability } from '../core/errors.js';
import { requiredCapabilities } from '../core/request-capabilities.js';
import type { ProviderRequest } from '../core/types.js';
import type { ProviderSupport } from './manager-deps.js';

/** The request field behind each capability, for the refusal message. */
const CAPABILITY_FIELDS: Record<RequiredCapability, string> = {
  tools: 'tools',
  vision: 'image parts (messages[].content)',
  json: 'responseFormat',
  reasoning: 'params.reasoning',
};

/** Throw UnsupportedCapabilityError for the first need of `request` that `supports` lacks. */
export function refuseUnsupported(request: ProviderRequest, supports: ProviderSupport, provider: string): void {
  for (const need of requiredCapabilities(request)) {
    if (supports[need] !== true) {
      throw new UnsupportedCapabilityError(need, `Provider "${provider}" cannot carry ${CAPABILITY_FIELDS[need]}: send the request without it or to a model whose provider can`, { provider, model: request.modelId });
    }
  }
}

/**
 * What a request asks of a model (API.md "Messages, tools, structured output"): the capabilities a
 * candidate must have. The pipeline skips catalogued candidates that lack one; a manager refuses, before
 * any network call, a request its wire format cannot carry. Both ask here, so they agree.
 */
import type { RequiredCapability } from './errors.js';
import { hasImage } from './messages.js';
import type { ChatRequest } from './types.js';

/** The capabilities `request` needs: tools to call, images to see, JSON to answer, reasoning to set. */
export function requiredCapabilities(request: Pick<ChatRequest, 'messages' | 'params' | 'tools' | 'toolChoice' | 'responseFormat'>): RequiredCapability[] {
  const needs: RequiredCapability[] = [];
  if (request.tools && request.tools.length > 0 && request.toolChoice !== 'none') needs.push('tools');
  if (request.messages.some(hasImage)) needs.push('vision');
  const format = request.responseFormat?.type;
  if (format === 'json' || format === 'json_schema') needs.push('json');
  const reasoning = request.params.reasoning;
  if (reasoning && (reasoning.effort !== undefined || reasoning.maxTokens !== undefined)) needs.push('reasoning');
  return needs;
}

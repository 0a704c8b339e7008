/**
 * `sb.countTokens` (API.md "Sessions"): the prompt tokens of a request for one model, exact where its
 * provider knows the tokenizer (locally, or behind a count endpoint: BaseLLMManager.countTokens), an
 * estimate with `exact: false` elsewhere. The request is checked by the same rules as a call's.
 */
import { InvalidRequestError } from '../core/errors.js';
import { checkMessages, checkTools } from '../core/request-rules.js';
import type { ChatMessage, ProviderRequest, ToolDefinition } from '../core/types.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import type { TenantPolicy } from '../tenants/tenant-policy.js';
import { estimatePromptTokens } from '../resilience/input-limits.js';
import { checkTarget, valueOrThrow, type RequestLimits } from './normalize-request.js';

/** What `sb.countTokens` takes: a model and a conversation (or a prompt, sent as one user message). */
export interface CountTokensRequest {
  model: string;
  messages?: ChatMessage[];
  prompt?: string;
  tools?: ToolDefinition[];
  /** The tenant asking: a configured tenant may count only models its `allowedModels` lets it call. */
  tenantId?: string;
  signal?: AbortSignal;
}

/** What `sb.countTokens` answers. */
export interface TokenCount {
  inputTokens: number;
  /** False when the count is an estimate (no tokenizer known for the model, or images in the request). */
  exact: boolean;
}

const KNOWN = new Set(['model', 'messages', 'prompt', 'tools', 'tenantId', 'signal']);

/**
 * Count the prompt tokens of `request` for its model. A tenant's allow-list applies as to a call (a
 * provider's count endpoint is an upstream request too); its rpm and budget do not: counting is free.
 */
export async function countRequestTokens(request: CountTokensRequest, registry: ModelRegistry, limits: RequestLimits, tenants?: TenantPolicy): Promise<TokenCount> {
  if (typeof request !== 'object' || request === null) throw new InvalidRequestError('countTokens takes { model, messages | prompt, tools? }');
  for (const key of Object.keys(request)) if (!KNOWN.has(key)) throw new InvalidRequestError(`countTokens: unknown field; it takes model, messages or prompt, tools, tenantId and signal`);
  const model = checkTarget('model', request.model, limits);
  if ((request.messages === undefined) === (request.prompt === undefined)) throw new InvalidRequestError('countTokens needs exactly one of messages and prompt');
  if (request.prompt !== undefined && typeof request.prompt !== 'string') throw new InvalidRequestError('prompt must be a string');
  const messages = request.prompt !== undefined ? [{ role: 'user' as const, content: request.prompt }] : valueOrThrow(checkMessages(request.messages));
  const tools = request.tools === undefined ? undefined : valueOrThrow(checkTools(request.tools));
  const resolved = registry.resolve(model);
  if (request.tenantId !== undefined) tenants?.checkModel(request.tenantId, `${resolved.provider}:${resolved.model}`);
  const providerRequest: ProviderRequest = { modelId: resolved.model, messages, params: {}, operation: 'chat' };
  if (tools) providerRequest.tools = tools;
  const measure = await resolved.manager.countTokens(providerRequest, request.signal ?? new AbortController().signal);
  if (!measure) return { inputTokens: estimatePromptTokens(messages), exact: false };
  let inputTokens = measure.fixed;
  for (const tokens of measure.perMessage) inputTokens += tokens;
  return { inputTokens, exact: measure.exact };
}

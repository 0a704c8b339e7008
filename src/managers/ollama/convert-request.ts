/**
 * Our ProviderRequest -> the endpoint and body of one Ollama request (see docs/providers.md "Ollama"
 * for each field): chats go to /api/chat; text completions to /api/generate unless they need tools
 * (which only /api/chat takes). Tools, response formats (`format`), reasoning (`think`), sampling
 * `options`, `keep_alive` and `providerOptions.ollama` are mapped here; what Ollama cannot carry is
 * refused before any request.
 */
import { InvalidRequestError, UnsupportedCapabilityError } from '../../core/errors.js';
import type { ProviderRequest, ReasoningParams } from '../../core/types.js';
import { mergeProviderOptions } from '../provider-options.js';
import { hasToolTurns, toGeneratePrompt, toOllamaMessages } from './convert-messages.js';
import { MAPPED_OPTION_KEYS, toKeepAlive, toOllamaOptions, type OllamaEndpoint, type OllamaRequestBody, type OllamaThink, type OllamaTool } from './ollama-wire.js';
import { OLLAMA_ID } from './ollama-config.js';

/** Body fields the converter always owns: the request's own fields say these. */
const ALWAYS_RESERVED = ['model', 'stream', 'messages', 'prompt', 'system', 'images', 'tools', 'format'] as const;

const origin = (request: ProviderRequest) => ({ provider: OLLAMA_ID, model: request.modelId });

/** Ollama's `options` key for `params.topK` (the other sampling parameters map in ollama-wire.ts). */
const TOP_K_OPTION = 'top_k';

/** Do the request's tools go to the model? (`toolChoice: 'none'` offers none: Ollama has no tool choice.) */
function offersTools(request: ProviderRequest): boolean {
  return (request.tools?.length ?? 0) > 0 && request.toolChoice !== 'none';
}

/**
 * Ollama has no tool choice: the model always decides. `auto` is what it does anyway and `none` is
 * carried by offering no tools; a forced call cannot be honoured, so that candidate is skipped. Nor
 * can the number of calls be limited (`parallelToolCalls: false`).
 */
function checkToolChoice(request: ProviderRequest): void {
  if (request.parallelToolCalls === false && offersTools(request)) {
    // Nothing tells Ollama to stop at one call, and cutting the model's answer short would be a silent edit.
    throw new UnsupportedCapabilityError('parallelToolCalls', 'Ollama cannot be limited to one tool call per answer (parallelToolCalls: false); leave it unset or use a provider that can', origin(request));
  }
  const choice = request.toolChoice;
  if (choice === undefined || choice === 'auto' || choice === 'none' || !offersTools(request)) return;
  throw new UnsupportedCapabilityError('toolChoice', `Ollama cannot force a tool call (toolChoice ${typeof choice === 'string' ? `"${choice}"` : '{ name }'}): it has no tool choice; use "auto" or a provider that can`, origin(request));
}

function toOllamaTools(request: ProviderRequest): OllamaTool[] {
  return (request.tools ?? []).map((tool) => ({
    type: 'function',
    function: { name: tool.name, ...(tool.description !== undefined ? { description: tool.description } : {}), parameters: tool.parameters },
  }));
}

/**
 * `think` from our reasoning settings. Only gpt-oss models take a level (others answer 400 "think
 * value ... is not supported"), so they get the effort (`minimal` as `low`, the least they take) and
 * other thinking models get `true`. Ollama has no thinking budget: `maxTokens` is refused by name.
 */
export function toThink(reasoning: ReasoningParams | undefined, modelId: string, request: ProviderRequest): OllamaThink | undefined {
  if (!reasoning) return undefined;
  if (reasoning.maxTokens !== undefined) {
    throw new InvalidRequestError('params.reasoning.maxTokens: Ollama has no thinking budget; use params.reasoning.effort', origin(request));
  }
  if (reasoning.effort === undefined) return undefined;
  if (!/(^|\/)gpt-oss/i.test(modelId)) return true;
  return reasoning.effort === 'minimal' ? 'low' : reasoning.effort;
}

/**
 * `providerOptions.ollama`: top-level fields merged (those the converter sets refused by name), and
 * `options` merged into Ollama's `options` except the keys our own parameters map to.
 */
function mergeOllamaOptions(body: OllamaRequestBody, request: ProviderRequest): void {
  const given = request.providerOptions?.[OLLAMA_ID];
  if (!given) return;
  const { options, ...rest } = given;
  const reserved: string[] = [...ALWAYS_RESERVED];
  if (body.think !== undefined) reserved.push('think');
  if (body.keep_alive !== undefined) reserved.push('keep_alive');
  mergeProviderOptions(body, { ...request, providerOptions: { [OLLAMA_ID]: rest } }, OLLAMA_ID, reserved);
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidRequestError(`providerOptions.${OLLAMA_ID}.options must be an object of Ollama options (e.g. { num_ctx: 8192 })`, origin(request));
  }
  for (const [key, value] of Object.entries(options)) {
    // top_k stays an option of its own for requests without params.topK (it was one before topK existed).
    const param = key === TOP_K_OPTION && request.params.topK !== undefined ? 'topK' : MAPPED_OPTION_KEYS[key];
    if (param !== undefined) {
      throw new InvalidRequestError(`providerOptions.${OLLAMA_ID}.options.${key} is set by the request itself; use params.${param} instead`, origin(request));
    }
    (body.options ??= {})[key] = value;
  }
}

/** Build the endpoint and body for one request. Throws before any request for what Ollama cannot carry. */
export function buildOllamaRequest(request: ProviderRequest, stream: boolean, keepAlive: string): { endpoint: OllamaEndpoint; body: OllamaRequestBody } {
  checkToolChoice(request);
  const body: OllamaRequestBody = { model: request.modelId, stream };
  const tools = offersTools(request);
  // /api/generate has no tools and no tool turns: such a completion goes to /api/chat (its prompt is a user turn already).
  const endpoint: OllamaEndpoint = request.operation === 'text_completion' && !tools && !hasToolTurns(request) ? '/api/generate' : '/api/chat';
  if (endpoint === '/api/generate') {
    const { system, prompt, images } = toGeneratePrompt(request);
    if (system !== undefined) body.system = system;
    body.prompt = prompt;
    if (images.length > 0) body.images = images;
  } else {
    body.messages = toOllamaMessages(request);
    if (tools) body.tools = toOllamaTools(request);
  }
  const format = request.responseFormat;
  if (format?.type === 'json') body.format = 'json';
  else if (format?.type === 'json_schema') body.format = format.schema;
  const think = toThink(request.params.reasoning, request.modelId, request);
  if (think !== undefined) body.think = think;
  const options = toOllamaOptions(request.params);
  if (options) body.options = options;
  if (request.params.topK !== undefined) (body.options ??= {})[TOP_K_OPTION] = request.params.topK;
  const keep = toKeepAlive(keepAlive);
  if (keep !== undefined) body.keep_alive = keep;
  mergeOllamaOptions(body, request);
  return { endpoint, body };
}

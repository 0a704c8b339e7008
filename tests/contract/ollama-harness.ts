/**
 * The Ollama harnesses of the shared contracts: the manager pointed at the fake Ollama server
 * (tests/helpers/fake-ollama-server.ts), its requests read back in our names. Ollama's wire has no tool
 * choice and no image media type: the rich wire reports no tool choice, and media types as the bytes
 * say (which is how Ollama itself tells them).
 */
import type { CallParams } from '../../src/core/types.js';
import type { OllamaProviderConfig } from '../../src/managers/ollama/ollama-config.js';
import { OllamaManager } from '../../src/managers/ollama/ollama-manager.js';
import { startFakeOllamaServer, type FakeOllamaServer } from '../helpers/fake-ollama-server.js';
import { makeManagerDeps } from '../helpers/manager-deps.js';
import type { ContractHarness, RecordedRequest, RichContractHarness, RichWire } from './contract-harness.js';

/** The model the fake has pulled by default. */
export const MODEL = 'llama3.2';

/** A manager config pointed at the fake. */
export function config(server: FakeOllamaServer, overrides: Partial<OllamaProviderConfig> = {}): OllamaProviderConfig {
  return { baseURL: server.url, timeoutMs: 5_000, keepAlive: '', ...overrides };
}

/** Ollama's `options` in our parameter names. */
export function ollamaParamsOnWire(request: RecordedRequest): CallParams {
  const options = ((request.body as { options?: Record<string, unknown> })?.options ?? {}) as Record<string, unknown>;
  const wire: Record<string, unknown> = {
    temperature: options.temperature,
    maxTokens: options.num_predict,
    topP: options.top_p,
    topK: options.top_k,
    frequencyPenalty: options.frequency_penalty,
    presencePenalty: options.presence_penalty,
    stop: options.stop,
    seed: options.seed,
  };
  for (const key of Object.keys(wire)) if (wire[key] === undefined) delete wire[key];
  return wire as CallParams;
}

/** The manager-contract harness (`overrides`: config fields the manager gets besides the fake's URL). */
export async function ollamaHarness(overrides: Partial<OllamaProviderConfig> = {}): Promise<ContractHarness> {
  const server = await startFakeOllamaServer();
  return {
    manager: new OllamaManager(makeManagerDeps(), config(server, overrides)),
    modelId: MODEL,
    reply: (reply) => server.reply(MODEL, reply),
    fail: (failure) => server.fail(MODEL, failure),
    hang: () => server.hang(MODEL),
    dieMidStream: (reply, afterChunks) => server.interrupt(MODEL, reply, afterChunks, 'end'),
    requests: () => server.requests(),
    paramsOnWire: ollamaParamsOnWire,
    supportedParams: ['temperature', 'maxTokens', 'topP', 'topK', 'frequencyPenalty', 'presencePenalty', 'stop', 'seed'],
    reportsUsage: true,
    close: () => server.close(),
  };
}

/** A gpt-oss model: the family Ollama takes `think` levels for (others get `think: true`). */
export const RICH_MODEL = 'gpt-oss:20b';

/** The media type an image's bytes say, as Ollama itself tells it (its wire carries no media type). */
function sniffMediaType(base64: string): string {
  const head = Buffer.from(base64.slice(0, 16), 'base64');
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (head[0] === 0xff && head[1] === 0xd8) return 'image/jpeg';
  if (head.subarray(0, 3).toString('latin1') === 'GIF') return 'image/gif';
  if (head.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return 'application/octet-stream';
}

type WireBody = {
  messages?: Array<{ role: string; content: string; images?: string[]; thinking?: string; tool_call_id?: string; tool_calls?: Array<{ id?: string; function: { name: string; arguments: unknown } }> }>;
  images?: string[];
  tools?: Array<{ function: { name: string; description?: string; parameters: unknown } }>;
  format?: unknown;
  think?: unknown;
};

/** What Ollama received, in our names. Ollama has no tool choice: nothing of it is ever on the wire. */
function ollamaRichWire(request: RecordedRequest): RichWire {
  const body = request.body as WireBody;
  const messages = body.messages ?? [];
  const images = [...messages.flatMap((message) => message.images ?? []), ...(body.images ?? [])];
  const wire: RichWire = {
    tools: (body.tools ?? []).map((tool) => ({ name: tool.function.name, description: tool.function.description, parameters: tool.function.parameters })),
    toolChoice: undefined,
    assistantToolCalls: messages.flatMap((message) => (message.tool_calls ?? []).map((call) => ({ id: call.id ?? '', name: call.function.name, arguments: call.function.arguments }))),
    toolResults: messages.filter((message) => message.role === 'tool').map((message) => ({ toolCallId: message.tool_call_id ?? '', content: message.content })),
    images: images.map((data) => ({ data, mediaType: sniffMediaType(data) })),
    reasoningBlocksSent: messages.flatMap((message) => (message.thinking ? [{ text: message.thinking }] : [])),
  };
  if (body.format === 'json') wire.responseFormat = { type: 'json' };
  else if (typeof body.format === 'object' && body.format !== null) wire.responseFormat = { type: 'json_schema', schema: body.format };
  if (body.think !== undefined) wire.reasoning = typeof body.think === 'string' ? { effort: body.think } : {};
  return wire;
}

/** The rich-contract harness (a gpt-oss model, so efforts go as levels). */
export async function ollamaRichHarness(): Promise<RichContractHarness> {
  const server = await startFakeOllamaServer([{ name: RICH_MODEL, size: 13_000_000_000, architecture: 'gptoss', contextLength: 131_072, capabilities: ['completion', 'tools', 'thinking'] }]);
  return {
    manager: new OllamaManager(makeManagerDeps(), config(server)),
    modelId: RICH_MODEL,
    reply: (reply) => server.reply(RICH_MODEL, reply),
    replyRich: (reply) => server.reply(RICH_MODEL, reply),
    fail: (failure) => server.fail(RICH_MODEL, failure),
    hang: () => server.hang(RICH_MODEL),
    requests: () => server.requests(),
    paramsOnWire: ollamaParamsOnWire,
    supportedParams: ['temperature', 'maxTokens', 'topP', 'topK', 'frequencyPenalty', 'presencePenalty', 'stop', 'seed'],
    reportsUsage: true,
    capabilities: { tools: true, vision: 'base64', json: true, reasoning: 'effort', returnsReasoning: true, sendsReasoningBack: false, forcesToolCalls: false },
    richWire: ollamaRichWire,
    providerOption: { key: 'logprobs', value: true, read: (request) => (request.body as { logprobs?: unknown }).logprobs },
    close: () => server.close(),
  };
}


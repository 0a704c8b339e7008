/**
 * The contract harness for managers speaking OpenAI's wire format (OpenAIManager and
 * OpenAICompatibleManager): the manager under test pointed at a FakeOpenAIServer.
 */
import type { CallParams } from '../../src/core/types.js';
import type { BaseLLMManager } from '../../src/managers/base-llm-manager.js';
import { FakeOpenAIServer, type OpenAIReply } from '../helpers/fake-openai-server.js';
import type { FakeFault } from '../helpers/fake-provider.js';
import type { ContractHarness, RecordedRequest, ScriptedFailure, ScriptedReply } from './contract-harness.js';

/** A contract harness that also exposes its fake server, for provider-specific tests. */
export interface OpenAIHarness extends ContractHarness {
  server: FakeOpenAIServer;
}

/** Our reply script -> the fake server's (OpenAI's finish reasons share our names for stop/length). */
export function toOpenAIReply(reply: ScriptedReply): OpenAIReply {
  return {
    text: reply.text,
    chunks: reply.chunks,
    usage: reply.usage ? { promptTokens: reply.usage.inputTokens, completionTokens: reply.usage.outputTokens } : undefined,
    finishReason: reply.finishReason,
  };
}

/** The generation parameters an OpenAI request body carries, in our names. */
export function openAIParamsOnWire(request: RecordedRequest): CallParams {
  const body = (request.body ?? {}) as Record<string, unknown>;
  const wire: Record<string, unknown> = {
    temperature: body.temperature,
    maxTokens: body.max_tokens ?? body.max_completion_tokens,
    topP: body.top_p,
    frequencyPenalty: body.frequency_penalty,
    presencePenalty: body.presence_penalty,
    stop: body.stop,
    seed: body.seed,
  };
  for (const key of Object.keys(wire)) if (wire[key] === undefined) delete wire[key];
  return wire as CallParams;
}

/** A manager built against the fake server, and what to close with it (a switchboard that owns it). */
export interface BuiltManager {
  manager: BaseLLMManager;
  close?(): Promise<void>;
}

/** Start a fake server and build the manager against it with `makeManager(baseURL)`. */
export async function openAIHarness(modelId: string, makeManager: (baseURL: string) => BaseLLMManager): Promise<OpenAIHarness> {
  return openAIHarnessWith(modelId, async (baseURL) => ({ manager: makeManager(baseURL) }));
}

/**
 * Start a fake server (with `apiKey`, requests must carry that key) and build the manager against it
 * with `build(server)`, which may build a whole switchboard (a provider reached through its definition).
 */
export async function openAIHarnessWith(modelId: string, build: (baseURL: string, server: FakeOpenAIServer) => Promise<BuiltManager>, apiKey?: string): Promise<OpenAIHarness> {
  const server = await FakeOpenAIServer.start(apiKey ? { apiKey } : {});
  const built = await build(server.baseURL, server);
  const failure = (scripted: ScriptedFailure): FakeFault => {
    if (scripted.kind === 'status') return { kind: 'status', status: scripted.status, message: scripted.message, code: scripted.code, headers: scripted.headers };
    return scripted.kind === 'huge' ? { kind: 'huge', bytes: scripted.bytes, singleEvent: true } : { kind: scripted.kind };
  };
  return {
    server,
    manager: built.manager,
    modelId,
    reply: (reply) => server.script(modelId, toOpenAIReply(reply)),
    fail: (scripted) => server.script(modelId, failure(scripted)),
    hang: () => server.script(modelId, { kind: 'hang' }),
    dieMidStream: (reply, afterChunks) => server.script(modelId, { ...toOpenAIReply(reply), dieAfterChunks: afterChunks, dieMode: 'end' }),
    requests: () => server.requests,
    paramsOnWire: openAIParamsOnWire,
    supportedParams: ['temperature', 'maxTokens', 'topP', 'frequencyPenalty', 'presencePenalty', 'stop', 'seed'],
    reportsUsage: true,
    close: async () => {
      await built.close?.();
      await server.close();
    },
  };
}

/**
 * The contract harness for AnthropicManager: the manager pointed at a FakeAnthropicServer.
 */
import type { CallParams } from '../../src/core/types.js';
import type { BaseLLMManager } from '../../src/managers/base-llm-manager.js';
import { FakeAnthropicServer, type AnthropicReply } from '../helpers/fake-anthropic-server.js';
import type { FakeFault } from '../helpers/fake-provider.js';
import type { ContractHarness, RecordedRequest, ScriptedFailure, ScriptedReply } from './contract-harness.js';

/** A contract harness that also exposes its fake server, for provider-specific tests. */
export interface AnthropicHarness extends ContractHarness {
  server: FakeAnthropicServer;
}

const STOP_REASONS = { stop: 'end_turn', length: 'max_tokens' } as const;

/** Our reply script -> the fake server's (finish reasons become Anthropic stop reasons). */
export function toAnthropicReply(reply: ScriptedReply): AnthropicReply {
  return {
    text: reply.text,
    chunks: reply.chunks,
    usage: reply.usage ? { inputTokens: reply.usage.inputTokens, outputTokens: reply.usage.outputTokens } : undefined,
    finishReason: reply.finishReason ? STOP_REASONS[reply.finishReason] : undefined,
  };
}

/** The generation parameters an Anthropic request body carries, in our names. */
export function anthropicParamsOnWire(request: RecordedRequest): CallParams {
  const body = (request.body ?? {}) as Record<string, unknown>;
  const wire: Record<string, unknown> = { maxTokens: body.max_tokens, stop: body.stop_sequences, temperature: body.temperature, topP: body.top_p };
  for (const key of Object.keys(wire)) if (wire[key] === undefined) delete wire[key];
  return wire as CallParams;
}

/** Start a fake server and build the manager against it with `makeManager(url)`. */
export async function anthropicHarness(modelId: string, makeManager: (baseURL: string) => BaseLLMManager): Promise<AnthropicHarness> {
  const server = await FakeAnthropicServer.start();
  const failure = (scripted: ScriptedFailure): FakeFault => {
    if (scripted.kind === 'status') return { kind: 'status', status: scripted.status, message: scripted.message, type: scripted.code, headers: scripted.headers };
    return scripted.kind === 'huge' ? { kind: 'huge', bytes: scripted.bytes, singleEvent: true } : { kind: scripted.kind };
  };
  return {
    server,
    manager: makeManager(server.url),
    modelId,
    reply: (reply) => server.script(modelId, toAnthropicReply(reply)),
    fail: (scripted) => server.script(modelId, failure(scripted)),
    hang: () => server.script(modelId, { kind: 'hang' }),
    dieMidStream: (reply, afterChunks) => server.script(modelId, { ...toAnthropicReply(reply), dieAfterChunks: afterChunks, dieMode: 'end' }),
    requests: () => server.requests,
    paramsOnWire: anthropicParamsOnWire,
    // temperature/topP are rejected by API version 2026-10-21; penalties and seed do not exist.
    supportedParams: ['maxTokens', 'stop'],
    reportsUsage: true,
    close: () => server.close(),
  };
}

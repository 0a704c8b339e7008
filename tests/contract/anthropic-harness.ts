/**
 * The contract harness for AnthropicManager (the manager and the rich-message contracts): the
 * manager pointed at a FakeAnthropicServer, replies scripted as Anthropic content blocks, and
 * recorded request bodies read back in our names.
 */
import type { CallParams } from '../../src/core/types.js';
import type { BaseLLMManager } from '../../src/managers/base-llm-manager.js';
import { ANSWER_TOOL } from '../../src/managers/anthropic/structured-output.js';
import { FakeAnthropicServer, type AnthropicBlockScript, type AnthropicReply } from '../helpers/fake-anthropic-server.js';
import type { FakeFault } from '../helpers/fake-provider.js';
import type { RecordedRequest, RichContractHarness, RichWire, ScriptedFailure, ScriptedReply, ScriptedRichReply } from './contract-harness.js';

/** A contract harness that also exposes its fake server, for provider-specific tests. */
export interface AnthropicHarness extends RichContractHarness {
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

/** Our rich reply script -> content blocks: thinking first, then the text, then the tool calls (Anthropic's order). */
export function toAnthropicRichReply(reply: ScriptedRichReply): AnthropicReply {
  const content: AnthropicBlockScript[] = [];
  if (reply.reasoning !== undefined) content.push({ type: 'thinking', thinking: reply.reasoning, signature: reply.signature ?? 'sig-fake' });
  if (reply.text !== '' || !reply.toolCalls?.length) content.push({ type: 'text', text: reply.text, chunks: reply.chunks });
  for (const call of reply.toolCalls ?? []) content.push({ type: 'tool_use', id: call.id, name: call.name, input: JSON.parse(call.arguments) as unknown });
  const { usage, finishReason } = toAnthropicReply(reply);
  return { content, usage, ...(finishReason ? { finishReason } : {}) };
}

type WireBlock = Record<string, unknown>;
type WireBody = {
  messages?: Array<{ role: string; content: string | WireBlock[] }>;
  tools?: Array<{ name: string; description?: string; input_schema: unknown }>;
  tool_choice?: { type: string; name?: string };
  output_config?: { format?: { schema: unknown } };
  thinking?: { type: string; budget_tokens?: number };
};

const CHOICES: Record<string, unknown> = { auto: 'auto', any: 'required', none: 'none' };

/** A recorded Anthropic request in our names (the answer tool counts as the response format, not as a tool). */
export function anthropicRichWire(request: RecordedRequest): RichWire {
  const body = (request.body ?? {}) as WireBody;
  const blocks = (role: string) => (body.messages ?? []).filter((message) => message.role === role).flatMap((message) => (typeof message.content === 'string' ? [] : message.content));
  const answerTool = body.tools?.find((tool) => tool.name === ANSWER_TOOL);
  const wire: RichWire = {
    tools: (body.tools ?? []).filter((tool) => tool !== answerTool).map((tool) => ({ name: tool.name, description: tool.description, parameters: tool.input_schema })),
    assistantToolCalls: blocks('assistant').filter((block) => block.type === 'tool_use').map((block) => ({ id: block.id as string, name: block.name as string, arguments: block.input })),
    toolResults: blocks('user').filter((block) => block.type === 'tool_result').map((block) => ({ toolCallId: block.tool_use_id as string, content: block.content as string })),
    images: blocks('user')
      .filter((block) => block.type === 'image')
      .map((block) => {
        const source = block.source as { type: string; url?: string; data?: string; media_type?: string };
        return source.type === 'url' ? { url: source.url! } : { data: source.data!, mediaType: source.media_type! };
      }),
    reasoningBlocksSent: blocks('assistant')
      .filter((block) => block.type === 'thinking')
      .map((block) => ({ text: block.thinking as string, signature: block.signature as string })),
  };
  if (body.tool_choice && !answerTool) wire.toolChoice = body.tool_choice.type === 'tool' ? { name: body.tool_choice.name } : CHOICES[body.tool_choice.type];
  if (body.output_config?.format) wire.responseFormat = { type: 'json_schema', schema: body.output_config.format.schema };
  if (answerTool) {
    const schema = answerTool.input_schema as Record<string, unknown>;
    wire.responseFormat = Object.keys(schema).length === 1 && schema.type === 'object' ? { type: 'json' } : { type: 'json_schema', schema };
  }
  if (body.thinking?.type === 'enabled') wire.reasoning = { maxTokens: body.thinking.budget_tokens };
  return wire;
}

/** The generation parameters an Anthropic request body carries, in our names. */
export function anthropicParamsOnWire(request: RecordedRequest): CallParams {
  const body = (request.body ?? {}) as Record<string, unknown>;
  const wire: Record<string, unknown> = { maxTokens: body.max_tokens, stop: body.stop_sequences, temperature: body.temperature, topP: body.top_p, topK: body.top_k };
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
    // temperature/topP/topK are rejected by API version 2026-10-21 and penalties and seed do not exist:
    // the manager refuses all six by name.
    supportedParams: ['maxTokens', 'stop'],
    refusedParams: ['temperature', 'topP', 'topK', 'frequencyPenalty', 'presencePenalty', 'seed'],
    reportsUsage: true,
    capabilities: { tools: true, vision: 'url-and-base64', json: true, reasoning: 'budget', returnsReasoning: true, sendsReasoningBack: true },
    replyRich: (reply) => server.script(modelId, toAnthropicRichReply(reply)),
    richWire: anthropicRichWire,
    // The fake shapes it as the request asked: native output is a text block, the answer tool's a tool_use input.
    replyJson: (json) => server.script(modelId, { json }),
    providerOption: { key: 'metadata', value: { user_id: 'u-1' }, read: (request) => (request.body as { metadata?: unknown }).metadata },
    close: () => server.close(),
  };
}

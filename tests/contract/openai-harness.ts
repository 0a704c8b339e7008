/**
 * The contract harness for managers speaking OpenAI's wire format (OpenAIManager,
 * OpenAICompatibleManager, and HuggingFaceManager's chat completion): the manager under test pointed
 * at a FakeOpenAIServer. The rich-message hooks (RichContractHarness) read the OpenAI body back into
 * our names and script tool calls and `reasoning_content` on the fake.
 */
import type { CallParams } from '../../src/core/types.js';
import type { BaseLLMManager } from '../../src/managers/base-llm-manager.js';
import { FakeOpenAIServer, type OpenAIReply } from '../helpers/fake-openai-server.js';
import type { FakeFault } from '../helpers/fake-provider.js';
import type { ContractHarness, RecordedRequest, RichCapabilities, RichContractHarness, RichWire, ScriptedFailure, ScriptedReply, ScriptedRichReply } from './contract-harness.js';

/** A contract harness that also exposes its fake server, for provider-specific tests. */
export interface OpenAIHarness extends ContractHarness {
  server: FakeOpenAIServer;
}

/** A rich-message harness on the fake OpenAI server. */
export interface OpenAIRichHarness extends OpenAIHarness, RichContractHarness {}

/** What OpenAI's chat completions carry (OpenAIManager and the OpenAI-compatible endpoints). */
export const OPENAI_RICH_CAPABILITIES: RichCapabilities = {
  tools: true,
  vision: 'url-and-base64',
  json: true,
  reasoning: 'effort',
  // The fake scripts `reasoning_content`, as DeepSeek and vLLM send it.
  returnsReasoning: true,
  sendsReasoningBack: false,
};

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
    topK: body.top_k,
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
    // Chat completions have no top-k (HuggingFace's chat wire neither): refused, never dropped.
    refusedParams: ['topK'],
    reportsUsage: true,
    close: async () => {
      await built.close?.();
      await server.close();
    },
  };
}

type Body = Record<string, unknown>;
const records = (value: unknown): Body[] => (Array.isArray(value) ? value.filter((item): item is Body => typeof item === 'object' && item !== null) : []);
const record = (value: unknown): Body => (typeof value === 'object' && value !== null ? (value as Body) : {});

/** An image_url part's URL in our names: a data: URL back to its bytes and media type. */
function imageOnWire(url: string): { url: string } | { data: string; mediaType: string } {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return match ? { data: match[2]!, mediaType: match[1]! } : { url };
}

/** A chat completion request body read back into our names (tests/contract/contract-harness.ts RichWire). */
export function openAIRichWire(request: RecordedRequest): RichWire {
  const body = record(request.body);
  const messages = records(body.messages);
  const choice = body.tool_choice;
  const format = record(body.response_format);
  const wire: RichWire = {
    tools: records(body.tools).map((tool) => {
      const fn = record(tool.function);
      return { name: fn.name as string, description: fn.description as string | undefined, parameters: fn.parameters };
    }),
    toolChoice: typeof choice === 'object' && choice !== null ? { name: record(record(choice).function).name } : choice,
    assistantToolCalls: messages
      .filter((message) => message.role === 'assistant')
      .flatMap((message) => records(message.tool_calls))
      .map((call) => {
        const fn = record(call.function);
        return { id: call.id as string, name: fn.name as string, arguments: JSON.parse(fn.arguments as string) as unknown };
      }),
    toolResults: messages.filter((message) => message.role === 'tool').map((message) => ({ toolCallId: message.tool_call_id as string, content: message.content as string })),
    images: messages
      .filter((message) => message.role === 'user')
      .flatMap((message) => records(message.content))
      .filter((part) => part.type === 'image_url')
      .map((part) => imageOnWire(record(part.image_url).url as string)),
    // Chat completions has no field for earlier reasoning; a `reasoning_content` sent back would show here.
    reasoningBlocksSent: messages.flatMap((message) => (typeof message.reasoning_content === 'string' ? [{ text: message.reasoning_content }] : [])),
  };
  if (format.type === 'json_object') wire.responseFormat = { type: 'json' };
  else if (format.type === 'json_schema') wire.responseFormat = { type: 'json_schema', schema: record(format.json_schema).schema };
  if (body.reasoning_effort !== undefined) wire.reasoning = { effort: body.reasoning_effort as string };
  return wire;
}

/** Our rich reply script -> the fake server's: tool calls (streamed interleaved, the harder case) and reasoning. */
export function toOpenAIRichReply(reply: ScriptedRichReply): OpenAIReply {
  const scripted: OpenAIReply = toOpenAIReply(reply);
  if (reply.toolCalls?.length) {
    scripted.toolCalls = reply.toolCalls;
    scripted.toolCallOrder = 'interleaved';
  }
  // Chat completions sign nothing: a scripted signature has no place on this wire.
  if (reply.reasoning !== undefined) scripted.reasoning = reply.reasoning;
  return scripted;
}

/**
 * A rich-message harness: `openAIHarness` plus the rich hooks, with `capabilities` (what the manager
 * under test carries; default OpenAI's). providerOptions are checked with OpenAI's `user` field.
 */
export async function openAIRichHarness(modelId: string, makeManager: (baseURL: string) => BaseLLMManager, capabilities: RichCapabilities = OPENAI_RICH_CAPABILITIES): Promise<OpenAIRichHarness> {
  const harness = await openAIHarness(modelId, makeManager);
  return {
    ...harness,
    capabilities,
    replyRich: (reply) => harness.server.script(modelId, toOpenAIRichReply(reply)),
    richWire: openAIRichWire,
    providerOption: { key: 'user', value: 'end-user-42', read: (request) => record(request.body).user },
  };
}

/**
 * The harness every manager's test provides so the shared contract suite
 * (tests/contract/manager-contract.ts) can drive it: a manager pointed at a fake server on
 * 127.0.0.1, and ways to script that server's next answer for `modelId`.
 */
import type { CallParams } from '../../src/core/types.js';
import type { BaseLLMManager } from '../../src/managers/base-llm-manager.js';

/** The next answer the fake server gives. `chunks` (streams) must join to `text`. */
export interface ScriptedReply {
  text: string;
  chunks?: string[];
  usage?: { inputTokens: number; outputTokens: number };
  finishReason?: 'stop' | 'length';
}

/** A failure the fake server gives instead of an answer. */
export type ScriptedFailure =
  | { kind: 'status'; status: number; message?: string; code?: string; headers?: Record<string, string> }
  | { kind: 'malformed' }
  /** A 200 that is no answer: an HTML page, the dialect's shape without an answer, content that is not text. */
  | { kind: 'html' | 'no-answer' | 'non-text-content' }
  /** A valid 200 of at least `bytes` bytes; a stream carries it in one event (or NDJSON line). */
  | { kind: 'huge'; bytes: number };

/** One request the fake server received. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

/** What a manager's test hands to the contract suite. */
export interface ContractHarness {
  manager: BaseLLMManager;
  modelId: string;
  /** Queue the next answer for `modelId`. */
  reply(reply: ScriptedReply): void;
  /** Queue a failure for the next request for `modelId`. */
  fail(failure: ScriptedFailure): void;
  /** The next request for `modelId` hangs until the client aborts it. */
  hang(): void;
  /**
   * Optional (streaming providers): the next stream for `modelId` sends the first `afterChunks` of
   * `reply.chunks`, then closes cleanly without the provider's terminal event (`[DONE]`,
   * `message_stop`, `done: true` ...), which the manager must report as an interruption.
   */
  dieMidStream?(reply: ScriptedReply, afterChunks: number): void;
  /** Requests received so far, oldest first. */
  requests(): RecordedRequest[];
  /** The generation parameters a recorded request carries, in our names (undefined when absent). */
  paramsOnWire(request: RecordedRequest): CallParams;
  /** The parameters this provider maps onto its wire format. */
  supportedParams: Array<keyof CallParams>;
  /** Parameters it cannot carry: each refused by name (UnsupportedCapabilityError `params.<name>`) before any request. */
  refusedParams?: Array<keyof CallParams>;
  /** False when the provider's wire format has no usage (exact-usage assertions are skipped). */
  reportsUsage: boolean;
  close(): Promise<void>;
}

/** Builds a fresh harness (one per contract test file). */
export type HarnessFactory = () => Promise<ContractHarness>;

/** What a provider's wire format carries besides text (its manager's `supports`). */
export interface RichCapabilities {
  tools: boolean;
  /** `base64`: images as bytes only (https URLs are refused before any request; data: URLs become bytes). */
  vision: false | 'base64' | 'url-and-base64';
  json: boolean;
  /** How `params.reasoning` is carried: an effort, a token budget (efforts map to budgets), or both. */
  reasoning: false | 'effort' | 'budget' | 'both';
  /** The provider's answers can carry reasoning text (and the harness can script it). */
  returnsReasoning: boolean;
  /** Reasoning blocks of earlier assistant turns go back on the wire (Anthropic signed thinking). */
  sendsReasoningBack: boolean;
  /**
   * `toolChoice` `required` / `{ name }` can be honoured (default true). False (Ollama, which has no tool
   * choice): they are refused with UnsupportedCapabilityError('toolChoice') before any request.
   */
  forcesToolCalls?: boolean;
  /**
   * Tool-call ids go over the wire both ways (default true). False (llama.cpp): the provider makes its own
   * ids for the calls it returns and sends none back; calls and results are matched by order.
   */
  toolCallIds?: boolean;
  /** One answer can carry several tool calls (default true); false: scripted answers carry one. */
  parallelToolCalls?: boolean;
}

/** A scripted answer with tool calls and/or reasoning (streams: reasoning first, then text, then the calls). */
export interface ScriptedRichReply extends ScriptedReply {
  toolCalls?: Array<{ id: string; name: string; arguments: string }>;
  /** Thinking text; providers that sign it (Anthropic) send `signature` with it. */
  reasoning?: string;
  signature?: string;
}

/** A request as the rich contract reads it, in our names, whatever the provider's wire format. */
export interface RichWire {
  /** Tools offered, in order, with their parameter schemas as sent. */
  tools: Array<{ name: string; description?: string; parameters: unknown }>;
  /** Tool choice in our names (`auto`, `none`, `required`, `{ name }`); undefined when not sent. */
  toolChoice?: unknown;
  /** Tool calls carried by assistant messages, arguments parsed. */
  assistantToolCalls: Array<{ id: string; name: string; arguments: unknown }>;
  /** Tool results, in order. */
  toolResults: Array<{ toolCallId: string; content: string }>;
  /** Images in user messages: an https URL, or base64 bytes with their media type. */
  images: Array<{ url: string } | { data: string; mediaType: string }>;
  /** The requested answer shape: `json`, or `json_schema` with the schema as sent; undefined for text. */
  responseFormat?: { type: 'json' } | { type: 'json_schema'; schema: unknown };
  /** Reasoning as sent: an effort and/or a token budget. */
  reasoning?: { effort?: string; maxTokens?: number };
  /** Reasoning blocks sent back in assistant messages (text and signature), in order. */
  reasoningBlocksSent: Array<{ text: string; signature?: string }>;
}

/** The extra hooks the rich-message contract (tests/contract/rich-contract.ts) needs. */
export interface RichContractHarness extends ContractHarness {
  capabilities: RichCapabilities;
  /** Queue an answer with tool calls / reasoning for `modelId`. */
  replyRich(reply: ScriptedRichReply): void;
  /** Read a recorded request in our names. */
  richWire(request: RecordedRequest): RichWire;
  /**
   * Optional: queue the answer to a `json` / `json_schema` request when the provider answers those
   * differently from text (e.g. a forced tool call); default `reply`.
   */
  replyJson?(json: string): void;
  /** Optional: a field `providerOptions[provider]` should land at, e.g. `{ user: 'u-1' }` -> body.user. */
  providerOption?: { key: string; value: unknown; read(request: RecordedRequest): unknown };
}

/** Builds a fresh rich harness. */
export type RichHarnessFactory = () => Promise<RichContractHarness>;

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
  /** False when the provider's wire format has no usage (exact-usage assertions are skipped). */
  reportsUsage: boolean;
  close(): Promise<void>;
}

/** Builds a fresh harness (one per contract test file). */
export type HarnessFactory = () => Promise<ContractHarness>;

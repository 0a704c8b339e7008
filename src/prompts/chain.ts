/**
 * Chains (API.md "Prompt templates and chains"): `sb.chain([...steps])` runs its steps in order, each
 * an ordinary `sb.chat` call (so retries, fallbacks, adapters, budgets, the response cache and
 * telemetry all apply), each step's answer text becoming the variable `outputKey` for the steps after
 * it. `run` returns every output, every result and the summed usage and cost; `stream` runs the earlier
 * steps, then streams the last one through `sb.stream`. A failing step stops the chain with that
 * step's error, its message naming the step (error-context.ts keeps its class, code and cause).
 */
import { AbortError, InvalidRequestError, ProviderError } from '../core/errors.js';
import { excerpt } from '../core/secrets.js';
import type { ChatCallRequest, ChatMessage, GenerateResult, StreamPart, StreamRequest, Usage } from '../core/types.js';
import { makeUsage } from '../core/usage.js';
import { isPlainObject } from '../config/problems.js';
import { toLLMError } from '../pipeline/call-state.js';
import { checkTarget, type RequestLimits } from '../pipeline/normalize-request.js';
import { ChainSpan, type ChainTelemetry } from './chain-telemetry.js';
import { checkRunVariables, checkSteps, stepMessages, type ChainStep, type CheckedStep } from './chain-steps.js';
import { withContext } from './error-context.js';

/** Options of `sb.chain(steps, options)`. */
export interface ChainOptions {
  /** The chain's name on its span (`gen_ai.workflow.name`); default `chain`. */
  name?: string;
}

/** Options of `chain.run` and `chain.stream`, handed to every step's call. */
export interface ChainRunOptions {
  /** Aborting cancels the step in flight (AbortError) and runs no later step. */
  signal?: AbortSignal;
  /** The tenant of calls without a session (see CallOptions.tenantId). */
  tenantId?: string;
}

/** What `chain.run` resolves to. */
export interface ChainResult {
  /** Each step's answer text by its outputKey. */
  outputs: Record<string, string>;
  /** Each step's result, in step order. */
  results: GenerateResult[];
  /** Usage summed over the steps. */
  usage: Usage;
  /** Cost summed over the steps; null when any step's model has no price. */
  costUsd: number | null;
}

/** How a chain makes its calls: the Switchboard's own call methods. */
export interface ChainCalls {
  chat(request: ChatCallRequest): Promise<GenerateResult>;
  stream(request: StreamRequest): AsyncIterable<StreamPart>;
}

/** What a chain is built with (the Switchboard passes its parts). */
export interface ChainServices {
  calls: ChainCalls;
  limits: RequestLimits;
  telemetry: ChainTelemetry;
}

/** The default `gen_ai.workflow.name` of a chain span. */
export const DEFAULT_CHAIN_NAME = 'chain';
const CHAIN_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const RUN_OPTIONS: ReadonlySet<string> = new Set(['signal', 'tenantId']);

function checkChainOptions(options: unknown): string {
  if (options === undefined) return DEFAULT_CHAIN_NAME;
  if (!isPlainObject(options)) throw new InvalidRequestError('sb.chain options must be an object { name? }');
  const unknown = Object.keys(options).find((key) => key !== 'name');
  if (unknown !== undefined) throw new InvalidRequestError(`sb.chain options have an unknown field "${excerpt(unknown)}"; known: name`);
  if (options.name === undefined) return DEFAULT_CHAIN_NAME;
  if (typeof options.name !== 'string' || !CHAIN_NAME.test(options.name)) throw new InvalidRequestError('sb.chain options.name must be 1 to 64 letters, digits, _, . or -');
  return options.name;
}

function checkRunOptions(options: unknown, limits: RequestLimits): ChainRunOptions {
  if (options === undefined) return {};
  if (!isPlainObject(options)) throw new InvalidRequestError('chain.run and chain.stream options must be an object { signal?, tenantId? }');
  const unknown = Object.keys(options).find((key) => !RUN_OPTIONS.has(key));
  if (unknown !== undefined) throw new InvalidRequestError(`chain options have an unknown field "${excerpt(unknown)}"; known: signal, tenantId`);
  const out: ChainRunOptions = {};
  if (options.signal !== undefined) {
    if (!(options.signal instanceof AbortSignal)) throw new InvalidRequestError('chain options.signal must be an AbortSignal');
    out.signal = options.signal;
  }
  if (options.tenantId !== undefined) out.tenantId = checkTarget('chain options.tenantId', options.tenantId, limits);
  return out;
}

/** The call one step makes. */
function stepRequest(step: CheckedStep, messages: ChatMessage[], options: ChainRunOptions): ChatCallRequest {
  const request: ChatCallRequest = { [step.target.kind]: step.target.value, messages, params: step.params };
  if (options.signal) request.signal = options.signal;
  if (options.tenantId !== undefined) request.tenantId = options.tenantId;
  return request;
}

/** A step's failure as the caller sees it: the same error, its message naming the step. */
function stepError(error: unknown, step: CheckedStep): Error {
  return withContext(toLLMError(error), `Chain step ${step.index} ("${step.outputKey}") failed`);
}

/** Usage and cost summed over the steps; the cost is null as soon as one step's is. */
export function chainTotals(results: readonly GenerateResult[]): { usage: Usage; costUsd: number | null } {
  const sum = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
  let cost: number | null = 0;
  for (const { usage, costUsd } of results) {
    sum.inputTokens += usage.inputTokens;
    sum.outputTokens += usage.outputTokens;
    sum.cacheReadTokens += usage.cacheReadTokens ?? 0;
    sum.cacheWriteTokens += usage.cacheWriteTokens ?? 0;
    sum.reasoningTokens += usage.reasoningTokens ?? 0;
    cost = cost === null || costUsd === null ? null : cost + costUsd;
  }
  // Rounded like each call's cost (telemetry/cost.ts), so a sum does not drift into float noise.
  return { usage: makeUsage(sum), costUsd: cost === null ? null : Math.round(cost * 1e12) / 1e12 };
}

/** A checked sequence of calls (`sb.chain(steps)`); run it as often as needed. */
export class Chain {
  /** The chain's name on its span. */
  readonly name: string;
  /** The steps' outputKeys, in step order. */
  readonly outputKeys: readonly string[];
  /** The variables run() must be given (those no earlier step produces), in order of first use. */
  readonly variables: readonly string[];
  readonly #steps: readonly CheckedStep[];
  readonly #services: ChainServices;

  /** Check every step (InvalidRequestError naming the step and field); nothing is called here. */
  constructor(steps: readonly ChainStep[], options: ChainOptions | undefined, services: ChainServices) {
    this.#steps = Object.freeze(checkSteps(steps, services.limits));
    this.#services = services;
    this.name = checkChainOptions(options);
    this.outputKeys = Object.freeze(this.#steps.map((step) => step.outputKey));
    this.variables = Object.freeze([...new Set(this.#steps.flatMap((step) => step.fromRun))]);
  }

  /**
   * Run every step in order. Variables are checked against every step before the first call; a
   * failing step rejects with its error (message naming the step) and no later step runs.
   */
  async run(values?: Readonly<Record<string, unknown>>, options?: ChainRunOptions): Promise<ChainResult> {
    const scope = checkRunVariables(this.#steps, values);
    const run = checkRunOptions(options, this.#services.limits);
    const span = new ChainSpan(this.#services.telemetry, this.name, this.#steps.length, false);
    const outputs: Record<string, string> = {};
    const results: GenerateResult[] = [];
    let current = this.#steps[0]!;
    try {
      for (const step of this.#steps) {
        current = step;
        const result = await this.callStep(step, scope, run, span);
        this.record(step, result, scope, results, span, outputs);
      }
    } catch (error) {
      const failed = stepError(error, current);
      span.fail(failed, current.index, current.outputKey);
      throw failed;
    }
    const totals = chainTotals(results);
    span.end(results[results.length - 1]!, totals.costUsd);
    return { outputs, results, ...totals };
  }

  /**
   * Run the earlier steps, then stream the last one: its parts as `sb.stream` yields them (text
   * deltas, then exactly one finish part carrying the last step's result). Bad variables or options
   * throw at once; a failing step throws from the iterator, its message naming the step. Leaving the
   * loop early aborts the step in flight.
   */
  stream(values?: Readonly<Record<string, unknown>>, options?: ChainRunOptions): AsyncIterable<StreamPart> {
    const scope = checkRunVariables(this.#steps, values);
    return this.streamSteps(scope, checkRunOptions(options, this.#services.limits));
  }

  private async *streamSteps(scope: Record<string, unknown>, run: ChainRunOptions): AsyncGenerator<StreamPart> {
    const span = new ChainSpan(this.#services.telemetry, this.name, this.#steps.length, true);
    const results: GenerateResult[] = [];
    const last = this.#steps[this.#steps.length - 1]!;
    let current = this.#steps[0]!;
    try {
      for (const step of this.#steps.slice(0, -1)) {
        current = step;
        this.record(step, await this.callStep(step, scope, run, span), scope, results, span);
      }
      current = last;
      const messages = this.messages(last, scope, span);
      const parts = span.run(() => this.#services.calls.stream(stepRequest(last, messages, run)))[Symbol.asyncIterator]();
      let finished = false;
      try {
        for (;;) {
          // Each pull runs in the chain's context: the stream's call spans start inside the first one.
          const next = await span.run(() => parts.next());
          if (next.done) break;
          if (next.value.type === 'finish') {
            finished = true;
            this.record(last, next.value.result, scope, results, span);
            // Ended before the finish goes out: a consumer may stop reading at it.
            span.end(next.value.result, chainTotals(results).costUsd);
          }
          yield next.value;
        }
      } finally {
        // A consumer that left early: end the step's stream, which aborts its upstream request.
        if (!finished) await parts.return?.();
      }
      if (!finished) throw new ProviderError('the stream ended without its finish part', { retryable: true });
    } catch (error) {
      const failed = stepError(error, current);
      span.fail(failed, current.index, current.outputKey);
      throw failed;
    } finally {
      // A no-op once the span ended; otherwise the consumer left before the finish.
      span.fail(new AbortError('The stream consumer left before the finish'), current.index, current.outputKey);
    }
  }

  /** One step's messages for this run (the first step's are the chain span's input, with capture on). */
  private messages(step: CheckedStep, scope: object, span: ChainSpan): ChatMessage[] {
    const messages = stepMessages(step, scope);
    if (step.index === 0) span.input(messages);
    return messages;
  }

  private callStep(step: CheckedStep, scope: object, run: ChainRunOptions, span: ChainSpan): Promise<GenerateResult> {
    const messages = this.messages(step, scope, span);
    return span.run(() => this.#services.calls.chat(stepRequest(step, messages, run)));
  }

  /** A step answered: its text becomes the variable `outputKey` (and an output), its result is kept. */
  private record(step: CheckedStep, result: GenerateResult, scope: Record<string, unknown>, results: GenerateResult[], span: ChainSpan, outputs?: Record<string, string>): void {
    scope[step.outputKey] = result.text;
    // defineProperty: an outputKey such as "__proto__" stays a plain field of the outputs.
    if (outputs) Object.defineProperty(outputs, step.outputKey, { value: result.text, enumerable: true, writable: true, configurable: true });
    results.push(result);
    span.stepDone(step.index, step.outputKey, result);
  }
}

/**
 * One chat generation on a loaded GGUF model: our messages rendered through the model's chat
 * template, a fresh sequence history per request (requests are independent), sampling parameters,
 * the functions or grammar of the plan (generation-plan.ts), exact usage (prompt tokens counted with
 * the model's tokenizer, functions included; output tokens from the sequence's token meter) and the
 * finish reason. Streams get the same run with text chunks pushed as they come and the tool calls,
 * which llama.cpp hands over whole at the end, as one delta each before the finish.
 */
import type { ChatHistoryItem, ChatModelFunctions, ChatWrapper, LlamaContext, LlamaContextSequence, LlamaModel } from 'node-llama-cpp';
import { abortReason } from '../../core/abort.js';
import { ContextLengthError, InvalidRequestError } from '../../core/errors.js';
import { makeUsage } from '../../core/usage.js';
import type { FinishReason, ProviderRequest, ProviderResult, ProviderStreamPart, ToolCall } from '../../core/types.js';
import { ToolCallAssembly } from '../tool-call-assembly.js';
import type { CallQueue } from './call-queue.js';
import { forcedCallOf, planGeneration, toolCallsOf } from './generation-plan.js';
import type { GgufModelFile } from './gguf-directory.js';
import type { NodeLlamaCpp } from './node-llama-cpp-loader.js';

/** A loaded GGUF model: what the ModelCache holds for `llamacpp:<name>`. */
export interface LoadedGguf {
  name: string;
  file: GgufModelFile;
  model: LlamaModel;
  context: LlamaContext;
  /** The one sequence every call of this model uses, in turn. */
  sequence: LlamaContextSequence;
  chatWrapper: ChatWrapper;
  queue: CallQueue;
  bindings: NodeLlamaCpp;
}

type StopReason = 'eogToken' | 'stopGenerationTrigger' | 'functionCalls' | 'maxTokens' | 'abort' | 'customStopTrigger';

/**
 * The caller's stop sequence that ended the answer: node-llama-cpp reports the trigger it matched as
 * text and token pieces; its text parts joined name one of the sequences the request gave.
 */
function matchedStop(metadata: object, stop: readonly string[] | undefined): string | undefined {
  const trigger = (metadata as { customStopTrigger?: ReadonlyArray<unknown> }).customStopTrigger;
  if (!trigger || !stop) return undefined;
  const text = trigger.filter((piece): piece is string => typeof piece === 'string').join('');
  return stop.find((sequence) => sequence === text) ?? stop.find((sequence) => sequence !== '' && text.includes(sequence));
}

function toFinishReason(reason: StopReason, calledTools: boolean): FinishReason {
  if (calledTools) return 'tool-calls';
  if (reason === 'maxTokens') return 'length';
  return 'stop';
}

/** Tokens of the rendered prompt (with the functions' documentation): exactly what a fresh sequence evaluates before generating. */
export function countPromptTokens(loaded: Pick<LoadedGguf, 'chatWrapper' | 'model'>, history: ChatHistoryItem[], functions?: ChatModelFunctions): number {
  const state = loaded.chatWrapper.generateContextState({ chatHistory: history, availableFunctions: functions, documentFunctionParams: functions ? true : undefined });
  return state.contextText.tokenize(loaded.model.tokenizer).length;
}

/** Receives a stream's text as it is written. */
type OnText = (text: string) => void;

/**
 * Generate one answer. Waits for the model's turn (one sequence per model), clears the sequence so
 * nothing leaks between requests, and caps the output at what the context can still hold, so the
 * library never shifts the context (which would re-evaluate tokens and blur the usage count).
 */
export async function runChat(loaded: LoadedGguf, request: ProviderRequest, signal: AbortSignal, onText?: OnText): Promise<ProviderResult> {
  const { params } = request;
  if (params.maxTokens !== undefined && (!Number.isInteger(params.maxTokens) || params.maxTokens < 1)) {
    throw new InvalidRequestError(`maxTokens must be a whole number >= 1 (got ${params.maxTokens})`, { provider: 'llamacpp', model: request.modelId });
  }
  // Before the model's turn: a request that cannot go fails without waiting, and a grammar compiles meanwhile.
  const plan = await planGeneration(loaded.model.llama, request);
  const release = await loaded.queue.acquire(signal);
  try {
    await loaded.sequence.clearHistory();
    const promptTokens = countPromptTokens(loaded, plan.history, plan.functions);
    const room = loaded.context.contextSize - promptTokens - 1;
    if (room < 1) {
      throw new ContextLengthError(
        `llamacpp:${request.modelId}: the prompt takes ${promptTokens} tokens and the context holds ${loaded.context.contextSize}; shorten the conversation or raise providers.llamacpp.contextSize`,
        { provider: 'llamacpp', model: request.modelId },
      );
    }
    const maxTokens = Math.min(params.maxTokens ?? room, room);
    const stop = params.stop === undefined ? undefined : Array.isArray(params.stop) ? params.stop : [params.stop];
    const penalties = params.frequencyPenalty !== undefined || params.presencePenalty !== undefined;
    const chat = new loaded.bindings.LlamaChat({ contextSequence: loaded.sequence, chatWrapper: loaded.chatWrapper, autoDisposeSequence: false });
    const meterBefore = loaded.sequence.tokenMeter.getState();
    try {
      const common = {
        ...plan.extraOptions,
        signal,
        stopOnAbortSignal: true,
        maxTokens,
        temperature: params.temperature,
        topP: params.topP,
        seed: params.seed,
        customStopTriggers: stop?.filter((trigger) => trigger.length > 0),
        repeatPenalty: penalties ? { frequencyPenalty: params.frequencyPenalty, presencePenalty: params.presencePenalty } : undefined,
        // A forced call's JSON is the call, not text for the caller.
        onTextChunk: plan.forcedCall ? undefined : onText,
      };
      const response = plan.functions
        ? await chat.generateResponse(plan.history, { ...common, functions: plan.functions, documentFunctionParams: true, maxParallelFunctionCalls: plan.maxParallelFunctionCalls })
        : await chat.generateResponse(plan.history, { ...common, grammar: plan.grammar });
      if (signal.aborted) throw abortReason(signal);
      const outputTokens = loaded.sequence.tokenMeter.diff(meterBefore).usedOutputTokens;
      const stopReason = response.metadata.stopReason;
      let toolCalls: ToolCall[];
      let text = response.response;
      if (plan.forcedCall) {
        const call = forcedCallOf(text, stopReason === 'maxTokens', request);
        toolCalls = call ? [call] : [];
        text = '';
      } else toolCalls = toolCallsOf(response);
      const result: ProviderResult = {
        text,
        finishReason: toFinishReason(stopReason, toolCalls.length > 0),
        usage: makeUsage({ inputTokens: promptTokens, outputTokens }),
        responseModel: loaded.name,
      };
      if (toolCalls.length > 0) result.toolCalls = toolCalls;
      if (stopReason === 'customStopTrigger') {
        const matched = matchedStop(response.metadata, stop);
        if (matched !== undefined) result.stopSequence = matched;
      }
      return result;
    } finally {
      chat.dispose({ disposeSequence: false });
    }
  } finally {
    release();
  }
}

/** The same run as a stream: text deltas as the model writes them, each tool call as one delta, then one finish part. */
export async function* streamChat(loaded: LoadedGguf, request: ProviderRequest, signal: AbortSignal): AsyncGenerator<ProviderStreamPart> {
  const pending: string[] = [];
  let wake: (() => void) | undefined;
  let outcome: { result: ProviderResult } | { error: unknown } | undefined;
  const notify = () => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  const run = runChat(loaded, request, signal, (text) => {
    pending.push(text);
    notify();
  }).then(
    (result) => {
      outcome = { result };
      notify();
    },
    (error: unknown) => {
      outcome = { error };
      notify();
    },
  );
  try {
    for (;;) {
      while (pending.length > 0) yield { type: 'text-delta', text: pending.shift()! };
      if (outcome) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    if ('error' in outcome) throw outcome.error;
    const { result } = outcome;
    // llama.cpp parses a call only once it is complete: each goes out whole, its arguments in one delta.
    const assembly = new ToolCallAssembly();
    for (const [index, call] of (result.toolCalls ?? []).entries()) yield { type: 'tool-call-delta', ...assembly.add({ index, id: call.id, name: call.name, argumentsDelta: call.arguments }) };
    const toolCalls = assembly.finish();
    yield { type: 'finish', finishReason: result.finishReason, usage: result.usage, responseModel: result.responseModel, ...(toolCalls.length > 0 ? { toolCalls } : {}) };
  } finally {
    // A consumer that stops early has aborted `signal`; the run ends quickly and frees the sequence.
    await run;
  }
}

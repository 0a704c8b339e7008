/**
 * One chat generation on a loaded GGUF model: our messages rendered through the model's chat
 * template, a fresh sequence history per request (requests are independent), sampling parameters,
 * exact usage (prompt tokens counted with the model's tokenizer, output tokens from the sequence's
 * token meter) and the finish reason. Streams get the same run with text chunks pushed as they come.
 */
import type { ChatHistoryItem, ChatWrapper, LlamaContext, LlamaContextSequence, LlamaModel } from 'node-llama-cpp';
import { abortReason } from '../../core/abort.js';
import { ContextLengthError, InvalidRequestError } from '../../core/errors.js';
import { makeUsage } from '../../core/usage.js';
import type { ChatMessage, FinishReason, ProviderRequest, ProviderResult, ProviderStreamPart } from '../../core/types.js';
import type { CallQueue } from './call-queue.js';
import type { GgufModelFile } from './gguf-directory.js';
import type { NodeLlamaCpp } from './node-llama-cpp-loader.js';
import { messageText } from '../../core/messages.js';

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

function toFinishReason(reason: StopReason): FinishReason {
  if (reason === 'maxTokens') return 'length';
  if (reason === 'functionCalls') return 'tool-calls';
  return 'stop';
}

/** Our messages as node-llama-cpp chat history, ending with the model turn to generate. */
export function toChatHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((message): ChatHistoryItem => {
    if (message.role === 'system') return { type: 'system', text: message.content };
    if (message.role === 'assistant') return { type: 'model', response: [messageText(message)] };
    return { type: 'user', text: messageText(message) };
  });
  // A trailing assistant message is a prefix the model continues; otherwise it starts a new turn.
  if (history.at(-1)?.type !== 'model') history.push({ type: 'model', response: [] });
  return history;
}

/** Tokens of the rendered prompt: exactly what a fresh sequence evaluates before generating. */
export function countPromptTokens(loaded: Pick<LoadedGguf, 'chatWrapper' | 'model'>, history: ChatHistoryItem[]): number {
  return loaded.chatWrapper.generateContextState({ chatHistory: history }).contextText.tokenize(loaded.model.tokenizer).length;
}

/**
 * Generate one answer. Waits for the model's turn (one sequence per model), clears the sequence so
 * nothing leaks between requests, and caps the output at what the context can still hold, so the
 * library never shifts the context (which would re-evaluate tokens and blur the usage count).
 */
export async function runChat(loaded: LoadedGguf, request: ProviderRequest, signal: AbortSignal, onText?: (text: string) => void): Promise<ProviderResult> {
  const { params } = request;
  if (params.maxTokens !== undefined && (!Number.isInteger(params.maxTokens) || params.maxTokens < 1)) {
    throw new InvalidRequestError(`maxTokens must be a whole number >= 1 (got ${params.maxTokens})`, { provider: 'llamacpp', model: request.modelId });
  }
  const release = await loaded.queue.acquire(signal);
  try {
    await loaded.sequence.clearHistory();
    const history = toChatHistory(request.messages);
    const promptTokens = countPromptTokens(loaded, history);
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
      const response = await chat.generateResponse(history, {
        signal,
        stopOnAbortSignal: true,
        maxTokens,
        temperature: params.temperature,
        topP: params.topP,
        seed: params.seed,
        customStopTriggers: stop?.filter((trigger) => trigger.length > 0),
        repeatPenalty: penalties ? { frequencyPenalty: params.frequencyPenalty, presencePenalty: params.presencePenalty } : undefined,
        onTextChunk: onText,
      });
      if (signal.aborted) throw abortReason(signal);
      const outputTokens = loaded.sequence.tokenMeter.diff(meterBefore).usedOutputTokens;
      return {
        text: response.response,
        finishReason: toFinishReason(response.metadata.stopReason),
        usage: makeUsage({ inputTokens: promptTokens, outputTokens }),
        responseModel: loaded.name,
      };
    } finally {
      chat.dispose({ disposeSequence: false });
    }
  } finally {
    release();
  }
}

/** The same run as a stream: text deltas as the model produces them, then one finish part. */
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
    yield { type: 'finish', finishReason: result.finishReason, usage: result.usage, responseModel: result.responseModel };
  } finally {
    // A consumer that stops early has aborted `signal`; the run ends quickly and frees the sequence.
    await run;
  }
}

/**
 * Fitting a request into one candidate's context window (API.md "Sessions"; RELIABILITY.md "Limits"):
 * the prompt must fit the window less the output reserve, and a session's stored history is trimmed,
 * oldest turn first, until it does (and until it is within the bot's `memory.maxTokens`). The system
 * prompt and the newest turn are never dropped; an assistant tool call and its results go together
 * (a turn starts at a user message and keeps everything up to the next one). Counting is an estimate
 * until it comes near a limit; from there the model's own tokenizer counts, where the provider has one
 * locally (`BaseLLMManager.measureTokens`). Trimmed per candidate: fallbacks' windows differ.
 */
import { ContextLengthError } from '../core/errors.js';
import type { ChatMessage, ChatRequest, ModelInfo, ProviderRequest } from '../core/types.js';
import type { TokenMeasure } from '../managers/base-llm-manager.js';
import { estimateMessageTokens, estimatePromptTokens } from '../resilience/input-limits.js';

/** Where a plan's stored history sits in its request's messages, and what the bot allows of it. */
export interface HistoryWindow {
  /** Index of the first history message in `request.messages` (after the system prompt). */
  start: number;
  /** Index one past the last history message (the new messages follow). */
  end: number;
  /** The bot's `memory.maxTokens`, if any. */
  maxTokens?: number;
}

/** The request one candidate is sent, and what fitting it cost. */
export interface FittedRequest {
  request: ChatRequest;
  /** Prompt tokens (exact when `exact`). */
  inputTokens: number;
  exact: boolean;
  /** History messages sent, and dropped to fit. */
  historySent: number;
  historyTrimmed: number;
}

/** Below this share of the room an estimate is trusted (chars/4 undercounts by at most ~4x, for CJK text). */
const ESTIMATE_TRUSTED_BELOW = 0.25;

/** Per-message estimates in the shape of a measure. */
function estimateMeasure(messages: readonly ChatMessage[]): TokenMeasure {
  return { perMessage: messages.map(estimateMessageTokens), fixed: 0, exact: false };
}

/**
 * A measure with a size per message. A provider that counts only the whole prompt (a chat template
 * does not split into messages) keeps its exact total, with the messages' estimates as their shares.
 */
function perMessageMeasure(measure: TokenMeasure, messages: readonly ChatMessage[]): TokenMeasure {
  if (measure.perMessage.length === messages.length) return measure;
  const perMessage = messages.map(estimateMessageTokens);
  let estimated = 0;
  for (const size of perMessage) estimated += size;
  let exactTotal = measure.fixed;
  for (const size of measure.perMessage) exactTotal += size;
  return { perMessage, fixed: exactTotal - estimated, exact: measure.exact };
}

/** History turns as [from, to) index ranges: each starts at a user message (a leading remainder is a turn too). */
function turnsOf(messages: readonly ChatMessage[], window: HistoryWindow): Array<[number, number]> {
  const turns: Array<[number, number]> = [];
  let from = window.start;
  for (let i = window.start + 1; i < window.end; i++) {
    if (messages[i]!.role === 'user') {
      turns.push([from, i]);
      from = i;
    }
  }
  if (from < window.end) turns.push([from, window.end]);
  return turns;
}

/**
 * Fit `request` into `info`'s window for this candidate. `measure` is the provider's exact count (or
 * undefined). Throws ContextLengthError when even the system prompt and the newest turn do not fit.
 */
export async function fitRequest(
  request: ChatRequest,
  info: ModelInfo,
  candidate: string,
  history: HistoryWindow | undefined,
  measure: (request: ProviderRequest) => Promise<TokenMeasure | undefined>,
): Promise<FittedRequest> {
  const messages = request.messages;
  const historyCount = history ? history.end - history.start : 0;
  const window = info.contextWindow !== undefined && info.contextWindow > 0 ? info.contextWindow : undefined;
  const maxTokens = request.params.maxTokens;
  // The output reserve: what the call asks for, else (with memory, which fills the window) the model's most.
  const reserve = maxTokens ?? (history ? (info.maxOutputTokens ?? 0) : 0);
  const room = window === undefined ? Infinity : window - reserve;
  const estimate = estimatePromptTokens(messages);
  const nearRoom = estimate > room * ESTIMATE_TRUSTED_BELOW;
  const needsHistoryCount = history !== undefined && historyCount > 0 && (nearRoom || history.maxTokens !== undefined);
  if (!nearRoom && !needsHistoryCount) return { request, inputTokens: estimate, exact: false, historySent: historyCount, historyTrimmed: 0 };

  const counted = perMessageMeasure((await measure({ ...request, modelId: info.model })) ?? estimateMeasure(messages), messages);
  const sizes = counted.perMessage;
  let total = counted.fixed;
  for (const size of sizes) total += size;
  let drop = 0; // history messages dropped from the front
  if (history && historyCount > 0) {
    let historyTokens = 0;
    for (let i = history.start; i < history.end; i++) historyTokens += sizes[i]!;
    const cap = history.maxTokens ?? Infinity;
    const turns = turnsOf(messages, history);
    // New messages that open with tool results answer the last stored turn's calls: that turn is part of the newest.
    if (messages[history.end]?.role === 'tool') turns.pop();
    for (const [from, to] of turns) {
      if (total <= room && historyTokens <= cap) break;
      let turnTokens = 0;
      for (let i = from; i < to; i++) turnTokens += sizes[i]!;
      total -= turnTokens;
      historyTokens -= turnTokens;
      drop = to - history.start;
    }
  }
  if (total > room) {
    const counting = counted.exact ? 'exactly' : 'about';
    throw new ContextLengthError(
      `${candidate}: the prompt is ${counting} ${total} tokens${history ? ' without its stored history' : ''}${reserve > 0 ? ` plus ${reserve} reserved for the answer` : ''}, more than the model's context window of ${window} tokens. ` +
        `Shorten the conversation${maxTokens !== undefined ? ' or lower maxTokens' : ''}, or use a model with a larger window.`,
      { provider: info.provider, model: info.model },
    );
  }
  const trimmed = drop === 0 ? request : { ...request, messages: [...messages.slice(0, history!.start), ...messages.slice(history!.start + drop)] };
  return { request: trimmed, inputTokens: total, exact: counted.exact, historySent: historyCount - drop, historyTrimmed: drop };
}

/**
 * `params.reasoning` and `params.maxTokens` -> Anthropic's `thinking` ({ type: 'enabled',
 * budget_tokens }) and `max_tokens`. Anthropic counts thinking inside max_tokens and wants a budget
 * of at least 1024 tokens below it:
 * - `reasoning.maxTokens` is the budget as given (below 1024: InvalidRequestError naming it);
 * - an `effort` picks a budget from EFFORT_BUDGETS, capped at three quarters of an explicit
 *   `params.maxTokens` so the answer keeps room (an effort is a wish, maxTokens a limit);
 * - without `params.maxTokens`, max_tokens is the budget plus the provider's `defaultMaxTokens`;
 *   with it, it must exceed the budget (else InvalidRequestError naming params.maxTokens).
 */
import type { ThinkingConfigEnabled } from '@anthropic-ai/sdk/resources/messages';
import { InvalidRequestError } from '../../core/errors.js';
import type { CallParams, ReasoningParams } from '../../core/types.js';
import { ANTHROPIC_ID } from './anthropic-config.js';

/** Anthropic's smallest thinking budget. */
export const MIN_THINKING_BUDGET = 1024;

/** The thinking budget of each effort (docs/providers.md, docs/decisions.md). */
export const EFFORT_BUDGETS: Readonly<Record<NonNullable<ReasoningParams['effort']>, number>> = {
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 16384,
};

/** An effort's budget takes at most this share of an explicit maxTokens. */
const EFFORT_SHARE = 0.75;
/** The smallest maxTokens whose share still holds the smallest budget. */
const MIN_MAX_TOKENS_WITH_EFFORT = Math.ceil(MIN_THINKING_BUDGET / EFFORT_SHARE);

/** The `max_tokens` and `thinking` fields of a request body. */
export interface TokenFields {
  max_tokens: number;
  thinking?: ThinkingConfigEnabled;
}

/** Does the request ask the model to think? */
export function thinkingRequested(params: CallParams): boolean {
  const reasoning = params.reasoning;
  return reasoning !== undefined && (reasoning.effort !== undefined || reasoning.maxTokens !== undefined);
}

function refuse(message: string, model: string): never {
  throw new InvalidRequestError(message, { provider: ANTHROPIC_ID, model });
}

/** The budget for `reasoning`, checked against Anthropic's minimum and an explicit maxTokens. */
function budgetFor(reasoning: ReasoningParams, maxTokens: number | undefined, model: string): number {
  if (reasoning.maxTokens !== undefined) {
    if (reasoning.maxTokens < MIN_THINKING_BUDGET) refuse(`params.reasoning.maxTokens must be at least ${MIN_THINKING_BUDGET}: Anthropic's smallest thinking budget`, model);
    return reasoning.maxTokens;
  }
  const budget = EFFORT_BUDGETS[reasoning.effort!];
  if (maxTokens === undefined) return budget;
  if (maxTokens < MIN_MAX_TOKENS_WITH_EFFORT) {
    refuse(`params.maxTokens must be at least ${MIN_MAX_TOKENS_WITH_EFFORT} with params.reasoning.effort: Anthropic's thinking needs ${MIN_THINKING_BUDGET} tokens and the answer the rest`, model);
  }
  return Math.min(budget, Math.floor(maxTokens * EFFORT_SHARE));
}

/** max_tokens (and thinking when asked for); throws InvalidRequestError naming the field to change. */
export function toTokenFields(params: CallParams, defaultMaxTokens: number, model: string): TokenFields {
  if (!thinkingRequested(params)) return { max_tokens: params.maxTokens ?? defaultMaxTokens };
  const budget = budgetFor(params.reasoning!, params.maxTokens, model);
  if (params.maxTokens !== undefined && params.maxTokens <= budget) {
    refuse('params.maxTokens must be larger than the thinking budget params.reasoning.maxTokens: Anthropic counts thinking inside max_tokens', model);
  }
  return { max_tokens: params.maxTokens ?? budget + defaultMaxTokens, thinking: { type: 'enabled', budget_tokens: budget } };
}

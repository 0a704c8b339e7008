/**
 * The one table of call-parameter rules (RELIABILITY.md "Bad input"). Request normalisation, bot
 * config validation, the bot registry and the gateway's body parser all check parameters here, so a
 * value accepted in one place is accepted everywhere (a bot with `timeoutMs: 3e9` used to pass the
 * bot check and then make every call time out after 1 ms: timers overflow past 2^31 ms).
 * Messages say what is allowed and never repeat the value (it is caller text).
 */
import type { CallParams } from './types.js';

/** A numeric parameter: inclusive range, whole numbers only when `integer`. */
interface NumberRule {
  kind: 'number';
  min: number;
  max: number;
  integer: boolean;
}

/** `stop`: one non-empty string or a list of them. */
interface StopRule {
  kind: 'stop';
  maxItems: number;
  maxChars: number;
}

/** `reasoning`: `{ effort?: minimal | low | medium | high, maxTokens?: whole number }`. */
interface ReasoningRule {
  kind: 'reasoning';
}

type ParamRule = NumberRule | StopRule | ReasoningRule;

/** Reasoning efforts a request may ask for. */
export const REASONING_EFFORTS: readonly string[] = ['minimal', 'low', 'medium', 'high'];

/** Longest timeout a call may ask for: one day (timers misfire past 2^31 ms, about 24.8 days). */
export const MAX_CALL_TIMEOUT_MS = 86_400_000;

/** Largest `topK`: a million tokens, past every vocabulary (the largest are a few hundred thousand). */
export const MAX_TOP_K = 1_000_000;

/** The rules, by parameter name. */
export const PARAM_RULES: Readonly<Record<keyof CallParams, ParamRule>> = {
  temperature: { kind: 'number', min: 0, max: 2, integer: false },
  topP: { kind: 'number', min: 0, max: 1, integer: false },
  // Larger than any tokenizer's vocabulary (the most K can mean), small enough to be a real bound.
  topK: { kind: 'number', min: 1, max: MAX_TOP_K, integer: true },
  frequencyPenalty: { kind: 'number', min: -2, max: 2, integer: false },
  presencePenalty: { kind: 'number', min: -2, max: 2, integer: false },
  maxTokens: { kind: 'number', min: 1, max: 10_000_000, integer: true },
  seed: { kind: 'number', min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, integer: true },
  timeoutMs: { kind: 'number', min: 1, max: MAX_CALL_TIMEOUT_MS, integer: false },
  stop: { kind: 'stop', maxItems: 16, maxChars: 1_000 },
  reasoning: { kind: 'reasoning' },
};

/** Names of every parameter in the table. */
export const PARAM_NAMES: readonly string[] = Object.keys(PARAM_RULES);

/** Is `name` a call parameter? (Own keys only: `__proto__` is not a parameter.) */
export function isParamName(name: string): name is keyof typeof PARAM_RULES {
  return Object.prototype.hasOwnProperty.call(PARAM_RULES, name);
}

function describeRange(rule: NumberRule): string {
  if (rule.min === Number.MIN_SAFE_INTEGER) return 'a whole number';
  return `${rule.integer ? 'a whole number' : 'a number'} from ${rule.min} to ${rule.max}`;
}

/** What is wrong with `value` for parameter `name` ("must be a number from 0 to 2"), or undefined when it is fine. */
export function paramProblem(name: keyof typeof PARAM_RULES, value: unknown): string | undefined {
  const rule = PARAM_RULES[name];
  if (rule.kind === 'reasoning') {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be an object { effort?, maxTokens? }';
    const { effort, maxTokens, ...rest } = value as Record<string, unknown>;
    if (Object.keys(rest).length > 0) return 'has unknown keys; it takes effort and maxTokens';
    if (effort !== undefined && (typeof effort !== 'string' || !REASONING_EFFORTS.includes(effort))) return `effort must be one of ${REASONING_EFFORTS.join(', ')}`;
    if (maxTokens !== undefined && !(typeof maxTokens === 'number' && Number.isInteger(maxTokens) && maxTokens >= 1 && maxTokens <= 10_000_000)) return 'maxTokens must be a whole number from 1 to 10000000';
    return undefined;
  }
  if (rule.kind === 'stop') {
    const list = Array.isArray(value) ? value : [value];
    const ok = list.length > 0 && list.length <= rule.maxItems && list.every((item) => typeof item === 'string' && item.length > 0 && item.length <= rule.maxChars);
    return ok ? undefined : `must be a non-empty string or a list of 1-${rule.maxItems} non-empty strings of at most ${rule.maxChars} characters`;
  }
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= rule.min && value <= rule.max && (!rule.integer || Number.isInteger(value));
  return ok ? undefined : `must be ${describeRange(rule)}`;
}

/**
 * The steps of a chain (API.md "Prompt templates and chains"), checked when `sb.chain(steps)` builds
 * it: each a prompt (template text, a PromptTemplate or a ChatPromptTemplate), exactly one target
 * (`model`, `bot` or `sessionId`), optional `params`, and a unique `outputKey`. A step may use the
 * variables given to run() and the outputs of earlier steps; naming its own or a later step's output
 * is refused here, a variable run() was not given is refused when run() is called, before any call.
 */
import { InvalidRequestError } from '../core/errors.js';
import type { CallParams, ChatMessage, TargetFields } from '../core/types.js';
import { isPlainObject } from '../config/problems.js';
import { excerpt } from '../core/secrets.js';
import { checkParams, checkTarget, type RequestLimits } from '../pipeline/normalize-request.js';
import { ChatPromptTemplate, renderChatTemplate } from './chat-prompt-template.js';
import { checkTemplateValue, PromptTemplate, renderTemplate, variableLabel, variableList } from './prompt-template.js';

/** Most steps one chain runs. */
export const MAX_CHAIN_STEPS = 64;
/** What an outputKey looks like: a variable name later steps can use. */
export const OUTPUT_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** A step's prompt: template text (a string is a template), a PromptTemplate or a ChatPromptTemplate. */
export type ChainPrompt = string | PromptTemplate | ChatPromptTemplate;

/** One step of `sb.chain([...])`: a prompt, exactly one target, optional params, and where its answer goes. */
export interface ChainStep extends TargetFields {
  prompt: ChainPrompt;
  /** The variable the step's answer text becomes for later steps, and its key in `outputs`. */
  outputKey: string;
  params?: CallParams;
}

/** A step after its checks: the prompt parsed, the target and params checked. */
export interface CheckedStep {
  index: number;
  outputKey: string;
  prompt: PromptTemplate | ChatPromptTemplate;
  target: { kind: 'model' | 'bot' | 'sessionId'; value: string };
  params: CallParams;
  /** The variables this step needs from run() (not earlier outputs). */
  fromRun: readonly string[];
}

const STEP_FIELDS: ReadonlySet<string> = new Set(['prompt', 'model', 'bot', 'sessionId', 'outputKey', 'params']);
const TARGETS = ['model', 'bot', 'sessionId'] as const;

/** `steps[1] ("german")`: how messages name a step. */
export function stepLabel(index: number, outputKey: string): string {
  return `steps[${index}] ("${outputKey}")`;
}

function checkPrompt(prompt: unknown, where: string): PromptTemplate | ChatPromptTemplate {
  if (prompt instanceof PromptTemplate || prompt instanceof ChatPromptTemplate) return prompt;
  if (typeof prompt === 'string' && prompt.length > 0) return new PromptTemplate(prompt);
  throw new InvalidRequestError(`${where}.prompt must be template text (a non-empty string), a PromptTemplate or a ChatPromptTemplate`);
}

/** Check every step of a chain; InvalidRequestError naming the first step and field that is wrong. */
export function checkSteps(steps: unknown, limits: RequestLimits): CheckedStep[] {
  if (!Array.isArray(steps) || steps.length === 0 || steps.length > MAX_CHAIN_STEPS) {
    throw new InvalidRequestError(`sb.chain takes a non-empty array of at most ${MAX_CHAIN_STEPS} steps { prompt, model | bot | sessionId, outputKey, params? }`);
  }
  const checked: CheckedStep[] = [];
  const outputs = new Map<string, number>();
  steps.forEach((step: unknown, index) => {
    const where = `steps[${index}]`;
    if (!isPlainObject(step)) throw new InvalidRequestError(`${where} must be an object { prompt, model | bot | sessionId, outputKey, params? }`);
    const unknown = Object.keys(step).find((key) => !STEP_FIELDS.has(key));
    if (unknown !== undefined) throw new InvalidRequestError(`${where} has an unknown field "${excerpt(unknown)}"; a step takes ${[...STEP_FIELDS].join(', ')}`);
    const { outputKey } = step;
    if (typeof outputKey !== 'string' || !OUTPUT_KEY.test(outputKey)) {
      throw new InvalidRequestError(`${where}.outputKey must be a variable name: a letter or _, then letters, digits or _ (at most 64)`);
    }
    const earlier = outputs.get(outputKey);
    if (earlier !== undefined) throw new InvalidRequestError(`${where}.outputKey "${outputKey}" is already the outputKey of steps[${earlier}]; each step needs its own`);
    const named = TARGETS.filter((name) => step[name] !== undefined);
    if (named.length !== 1) {
      throw new InvalidRequestError(`${where} must name exactly one target: model ("provider:model"), bot, or sessionId${named.length > 1 ? `, not ${named.join(' and ')}` : ''}`);
    }
    const kind = named[0]!;
    const value = checkTarget(`${where}.${kind}`, step[kind], limits);
    const prompt = checkPrompt(step.prompt, where);
    const params = checkParams(step.params, `${where}.params`);
    const fromRun: string[] = [];
    for (const name of prompt.variables) {
      if (outputs.has(name)) continue;
      const later = steps.findIndex((other: unknown, at) => at >= index && isPlainObject(other) && other.outputKey === name);
      if (later >= 0) {
        const whose = later === index ? 'its own output' : `the output of steps[${later}], a later step`;
        throw new InvalidRequestError(`${stepLabel(index, outputKey)} uses the variable ${variableLabel(name)}, ${whose}; a step sees only earlier steps' outputs`);
      }
      fromRun.push(name);
    }
    outputs.set(outputKey, index);
    checked.push({ index, outputKey, prompt, target: { kind, value }, params, fromRun });
  });
  return checked;
}

/**
 * The variables given to run(), checked against every step before any call: each variable a step
 * needs from run() is there and is a string or a finite number, and none is also a step's output.
 * Returns a null-prototype copy (so only own properties are ever looked up).
 */
export function checkRunVariables(steps: readonly CheckedStep[], values: unknown): Record<string, unknown> {
  if (values !== undefined && !isPlainObject(values)) throw new InvalidRequestError('chain.run and chain.stream take an object of variables, like { text: "Hello" }');
  const given = values ?? {};
  const scope: Record<string, unknown> = Object.create(null);
  for (const step of steps) {
    if (Object.hasOwn(given, step.outputKey)) {
      throw new InvalidRequestError(`The variable ${variableLabel(step.outputKey)} given to run() is also the outputKey of ${stepLabel(step.index, step.outputKey)}; rename one of them`);
    }
    const missing = step.fromRun.filter((name) => !Object.hasOwn(given, name));
    if (missing.length > 0) {
      throw new InvalidRequestError(
        `${stepLabel(step.index, step.outputKey)} uses the variable${missing.length === 1 ? '' : 's'} ${variableList(missing)}: give ${missing.length === 1 ? 'it' : 'them'} to run(), or name an earlier step's outputKey`,
      );
    }
    for (const name of step.fromRun) scope[name] = checkTemplateValue(name, given[name], stepLabel(step.index, step.outputKey));
  }
  return scope;
}

/** A step's messages for this run: template text becomes one user message; a chat template its conversation. */
export function stepMessages(step: CheckedStep, scope: object): ChatMessage[] {
  // The chain names the step when it reports the failure (chain.ts stepError).
  const where = 'the prompt';
  if (step.prompt instanceof ChatPromptTemplate) return renderChatTemplate(step.prompt, scope, where);
  return [{ role: 'user', content: renderTemplate(step.prompt, scope, where) }];
}

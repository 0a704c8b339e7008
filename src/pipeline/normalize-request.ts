/**
 * Step 0 of a call: check the shape of what the caller passed and turn `generate`/`chat` input into
 * one normalised form. Everything wrong here is an InvalidRequestError that says what to change,
 * thrown before any network call.
 */
import { InvalidRequestError } from '../core/errors.js';
import { isParamName, paramProblem, PARAM_NAMES } from '../core/param-rules.js';
import { excerpt } from '../core/secrets.js';
import { checkMessages, checkProviderOptions, checkResponseFormat, checkToolChoice, checkTools, type Checked } from '../core/request-rules.js';
import type { AnyCallRequest, CallParams, ChatMessage, RichRequestFields } from '../core/types.js';

/** A request after shape checks: exactly one target, messages, params, and its rich fields (tools ...). */
export interface NormalizedCall extends RichRequestFields {
  operation: 'chat' | 'text_completion';
  target: { kind: 'model'; model: string } | { kind: 'bot'; bot: string } | { kind: 'session'; sessionId: string };
  messages: ChatMessage[];
  params: CallParams;
  signal?: AbortSignal;
  useCache: boolean;
  tenantId?: string;
}

const KNOWN_FIELDS = new Set([
  'model',
  'bot',
  'sessionId',
  'prompt',
  'messages',
  'params',
  'signal',
  'cache',
  'tenantId',
  'tools',
  'toolChoice',
  'parallelToolCalls',
  'responseFormat',
  'providerOptions',
]);
/** Control characters: a target holding one would break log lines and Prometheus text. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** Caller-controlled sizes (config `limits`). */
export interface RequestLimits {
  /** Longest model id, bot name or session id (config `limits.maxIdLength`). */
  maxIdLength: number;
}

/** Used when normalising without a switchboard's config (the schema default). */
const DEFAULT_LIMITS: RequestLimits = { maxIdLength: 256 };

/** Check and normalise call parameters against the one parameter table (core/param-rules.ts). */
export function checkParams(params: unknown, where = 'params'): CallParams {
  if (params === undefined) return {};
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new InvalidRequestError(`${where} must be an object like { temperature: 0.2, maxTokens: 256 }`);
  }
  const out: CallParams = {};
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (!isParamName(key)) {
      throw new InvalidRequestError(`${where}.${excerpt(key)} is not a known parameter; use one of ${PARAM_NAMES.join(', ')}`);
    }
    const problem = paramProblem(key, value);
    if (problem) throw new InvalidRequestError(`${where}.${key} ${problem}`);
    (out as Record<string, unknown>)[key] = key === 'reasoning' ? { ...(value as object) } : value;
  }
  return out;
}

/** The value of a rule's check, or its problem as an InvalidRequestError (path and message, nothing of the value). */
export function valueOrThrow<T>(checked: Checked<T>): T {
  if (checked.problem) throw new InvalidRequestError(`${checked.problem.path} ${checked.problem.message}`);
  return checked.value;
}

/** The rich fields of a request (or bot defaults, `where` naming them), checked by the one set of rules. */
export function checkRichFields(fields: Record<string, unknown>, where = ''): RichRequestFields {
  const out: RichRequestFields = {};
  if (fields.tools !== undefined) out.tools = valueOrThrow(checkTools(fields.tools, `${where}tools`));
  if (fields.toolChoice !== undefined) out.toolChoice = valueOrThrow(checkToolChoice(fields.toolChoice, out.tools ?? 'later', `${where}toolChoice`));
  if (fields.parallelToolCalls !== undefined) {
    if (typeof fields.parallelToolCalls !== 'boolean') throw new InvalidRequestError(`${where}parallelToolCalls must be true or false`);
    out.parallelToolCalls = fields.parallelToolCalls;
  }
  if (fields.responseFormat !== undefined) out.responseFormat = valueOrThrow(checkResponseFormat(fields.responseFormat, `${where}responseFormat`));
  if (fields.providerOptions !== undefined) out.providerOptions = valueOrThrow(checkProviderOptions(fields.providerOptions, `${where}providerOptions`));
  return out;
}

/**
 * A target (model id, bot name, session id) as the caller gave it: a string of at most
 * `limits.maxIdLength` characters without control characters. The value is never repeated.
 */
export function checkTarget(name: string, value: unknown, limits: RequestLimits): string {
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidRequestError(`${name} must be a non-empty string`);
  if (value.length > limits.maxIdLength) {
    throw new InvalidRequestError(`${name} is longer than ${limits.maxIdLength} characters (config limits.maxIdLength)`);
  }
  if (CONTROL_CHARACTERS.test(value)) throw new InvalidRequestError(`${name} must not contain control characters (line breaks, tabs)`);
  return value;
}

/** Normalise `sb.generate` / `sb.chat` / `sb.stream` input. */
export function normalizeRequest(request: AnyCallRequest, kind: 'generate' | 'chat' | 'either', limits: RequestLimits = DEFAULT_LIMITS): NormalizedCall {
  if (typeof request !== 'object' || request === null) throw new InvalidRequestError('The request must be an object');
  for (const key of Object.keys(request)) {
    if (!KNOWN_FIELDS.has(key)) throw new InvalidRequestError(`Unknown request field "${excerpt(key)}"; known fields: ${[...KNOWN_FIELDS].join(', ')}`);
  }
  const fields = request as unknown as Partial<Record<string, unknown>>;
  const targets = (['model', 'bot', 'sessionId'] as const).filter((name) => fields[name] !== undefined);
  if (targets.length !== 1) {
    throw new InvalidRequestError(
      targets.length === 0
        ? 'Name exactly one target: model ("provider:model"), bot, or sessionId'
        : `Name exactly one target, not ${targets.join(' and ')}`,
    );
  }
  const targetName = targets[0];
  const targetValue = checkTarget(targetName, fields[targetName], limits);
  const target: NormalizedCall['target'] =
    targetName === 'model' ? { kind: 'model', model: targetValue } : targetName === 'bot' ? { kind: 'bot', bot: targetValue } : { kind: 'session', sessionId: targetValue };

  const hasPrompt = fields.prompt !== undefined;
  const hasMessages = fields.messages !== undefined;
  if (hasPrompt === hasMessages) {
    throw new InvalidRequestError(kind === 'generate' ? 'generate needs a prompt string' : kind === 'chat' ? 'chat needs a messages array' : 'Give either prompt or messages, not both');
  }
  if (kind === 'generate' && !hasPrompt) throw new InvalidRequestError('generate takes a prompt string; use chat for messages');
  if (kind === 'chat' && !hasMessages) throw new InvalidRequestError('chat takes a messages array; use generate for a prompt');
  let messages: ChatMessage[];
  if (hasPrompt) {
    if (typeof fields.prompt !== 'string' || fields.prompt.length === 0) throw new InvalidRequestError('prompt must be a non-empty string');
    messages = [{ role: 'user', content: fields.prompt }];
  } else {
    // A session call may continue its stored history (a tool result for a call made there): the whole
    // conversation is checked again per candidate, once the history is in (candidate-guard.ts).
    messages = valueOrThrow(checkMessages(fields.messages, 'messages', { continues: targetName === 'sessionId' }));
  }
  if (fields.signal !== undefined && !(fields.signal instanceof AbortSignal)) throw new InvalidRequestError('signal must be an AbortSignal');
  if (fields.cache !== undefined && typeof fields.cache !== 'boolean') throw new InvalidRequestError('cache must be true or false');
  if (fields.tenantId !== undefined) checkTarget('tenantId', fields.tenantId, limits);
  const rich = fields.tools === undefined && fields.toolChoice === undefined && fields.parallelToolCalls === undefined && fields.responseFormat === undefined && fields.providerOptions === undefined
    ? undefined
    : checkRichFields(fields);
  return {
    ...rich,
    operation: hasPrompt ? 'text_completion' : 'chat',
    target,
    messages,
    params: checkParams(fields.params),
    signal: fields.signal as AbortSignal | undefined,
    useCache: fields.cache !== false,
    tenantId: fields.tenantId as string | undefined,
  };
}

/**
 * Step 0 of a call: check the shape of what the caller passed and turn `generate`/`chat` input into
 * one normalised form. Everything wrong here is an InvalidRequestError that says what to change,
 * thrown before any network call.
 */
import { InvalidRequestError } from '../core/errors.js';
import type { AnyCallRequest, CallParams, ChatMessage } from '../core/types.js';

/** A request after shape checks: exactly one target, messages, params. */
export interface NormalizedCall {
  operation: 'chat' | 'text_completion';
  target: { kind: 'model'; model: string } | { kind: 'bot'; bot: string } | { kind: 'session'; sessionId: string };
  messages: ChatMessage[];
  params: CallParams;
  signal?: AbortSignal;
  useCache: boolean;
  tenantId?: string;
}

const ROLES = new Set(['system', 'user', 'assistant']);
const NUMERIC_PARAMS: Array<[keyof CallParams, number, number, boolean]> = [
  // [name, min, max, integer]
  ['temperature', 0, 2, false],
  ['topP', 0, 1, false],
  ['frequencyPenalty', -2, 2, false],
  ['presencePenalty', -2, 2, false],
  ['maxTokens', 1, 10_000_000, true],
  ['seed', -(2 ** 53), 2 ** 53, true],
  ['timeoutMs', 1, 86_400_000, false],
];
const KNOWN_PARAMS = new Set<string>([...NUMERIC_PARAMS.map(([name]) => name), 'stop']);
const KNOWN_FIELDS = new Set(['model', 'bot', 'sessionId', 'prompt', 'messages', 'params', 'signal', 'cache', 'tenantId']);

/** Check and normalise call parameters (also used for bot params merges). */
export function checkParams(params: unknown, where = 'params'): CallParams {
  if (params === undefined) return {};
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new InvalidRequestError(`${where} must be an object like { temperature: 0.2, maxTokens: 256 }`);
  }
  const out: CallParams = {};
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (!KNOWN_PARAMS.has(key)) {
      throw new InvalidRequestError(`${where}.${key} is not a known parameter; use one of ${[...KNOWN_PARAMS].join(', ')}`);
    }
    if (key === 'stop') {
      const stops = Array.isArray(value) ? value : [value];
      if (!stops.every((s) => typeof s === 'string' && s.length > 0) || stops.length > 16) {
        throw new InvalidRequestError(`${where}.stop must be a non-empty string or an array of at most 16 non-empty strings`);
      }
      out.stop = value as string | string[];
      continue;
    }
    const rule = NUMERIC_PARAMS.find(([name]) => name === key)!;
    const [, min, max, integer] = rule;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      throw new InvalidRequestError(`${where}.${key} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max} (got ${JSON.stringify(value)})`);
    }
    (out as Record<string, number>)[key] = value;
  }
  return out;
}

/** Check a messages array: roles, string contents, at least one message. */
export function checkMessages(messages: unknown): ChatMessage[] {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new InvalidRequestError('messages must be a non-empty array of { role, content }');
  }
  return messages.map((message, index) => {
    if (typeof message !== 'object' || message === null) {
      throw new InvalidRequestError(`messages[${index}] must be an object { role, content }`);
    }
    const { role, content } = message as { role?: unknown; content?: unknown };
    if (typeof role !== 'string' || !ROLES.has(role)) {
      throw new InvalidRequestError(`messages[${index}].role must be "system", "user" or "assistant" (got ${JSON.stringify(role)})`);
    }
    if (typeof content !== 'string') {
      throw new InvalidRequestError(`messages[${index}].content must be a string`);
    }
    return { role: role as ChatMessage['role'], content };
  });
}

/** Normalise `sb.generate` / `sb.chat` / `sb.stream` input. */
export function normalizeRequest(request: AnyCallRequest, kind: 'generate' | 'chat' | 'either'): NormalizedCall {
  if (typeof request !== 'object' || request === null) throw new InvalidRequestError('The request must be an object');
  for (const key of Object.keys(request)) {
    if (!KNOWN_FIELDS.has(key)) throw new InvalidRequestError(`Unknown request field "${key}"; known fields: ${[...KNOWN_FIELDS].join(', ')}`);
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
  const targetValue = fields[targetName];
  if (typeof targetValue !== 'string' || targetValue.trim() === '') throw new InvalidRequestError(`${targetName} must be a non-empty string`);
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
    messages = checkMessages(fields.messages);
  }
  if (fields.signal !== undefined && !(fields.signal instanceof AbortSignal)) throw new InvalidRequestError('signal must be an AbortSignal');
  if (fields.cache !== undefined && typeof fields.cache !== 'boolean') throw new InvalidRequestError('cache must be true or false');
  if (fields.tenantId !== undefined && (typeof fields.tenantId !== 'string' || fields.tenantId === '')) {
    throw new InvalidRequestError('tenantId must be a non-empty string');
  }
  return {
    operation: hasPrompt ? 'text_completion' : 'chat',
    target,
    messages,
    params: checkParams(fields.params),
    signal: fields.signal as AbortSignal | undefined,
    useCache: fields.cache !== false,
    tenantId: fields.tenantId as string | undefined,
  };
}

/**
 * `pii-redact`: replaces e-mail addresses, phone numbers, Luhn-valid card numbers and API-key shapes
 * (`sk-...`, `sk-ant-...`, `hf_...`, `AKIA...`, `ghp_...`, `xoxb-...`, `Bearer <token>`) in the output.
 * On streams it holds back only a tail that could still become a match, so a secret split across
 * chunks is still redacted and ordinary text flows on, word by word.
 */
import type { Adapter, AdapterFactory, StreamTransformer } from '../adapter.js';
import { checkOptionKeys, optionError } from './adapter-options.js';
import { DEFAULT_REPLACEMENTS, PII_KINDS, PiiRules, PiiStreamRedactor, type PiiKind } from './pii-patterns.js';

export { PII_KINDS, PII_MAX_HOLD_BACK, passesLuhn, type PiiKind } from './pii-patterns.js';

/** Options of `pii-redact`. */
export interface PiiRedactOptions {
  /** One text for every kind, or a function of the kind; default `[EMAIL]`, `[PHONE]`, `[CARD]`, `[API_KEY]`. */
  replacement?: string | ((kind: PiiKind) => string);
  /** Which kinds to redact; default all. */
  kinds?: PiiKind[];
}

const NAME = 'pii-redact';

/** A pii-redact stream transformer; `held` tells how many characters it is holding back. */
export interface PiiStreamTransformer extends StreamTransformer {
  readonly held: number;
}

/** The `pii-redact` adapter. */
export class PiiRedactAdapter implements Adapter {
  /** Always `pii-redact`. */
  readonly name = NAME;
  private readonly rules: PiiRules;

  constructor(options: Record<string, unknown> = {}) {
    checkOptionKeys(NAME, options, ['replacement', 'kinds']);
    this.rules = new PiiRules(readKinds(options.kinds), readReplacement(options.replacement));
  }

  /** Redact a whole text. */
  transformOutput(text: string): string {
    return this.rules.redact(text);
  }

  /** A transformer for one stream (the compiled rules are shared, the state is not). */
  createStreamTransformer(): PiiStreamTransformer {
    return new PiiStreamRedactor(this.rules);
  }
}

function readKinds(value: unknown): ReadonlySet<PiiKind> {
  if (value === undefined) return new Set(PII_KINDS);
  const valid = Array.isArray(value) && value.length > 0 && value.every((kind) => PII_KINDS.includes(kind as PiiKind));
  if (!valid) throw optionError(NAME, 'kinds', `must be a non-empty list of ${PII_KINDS.map((kind) => `"${kind}"`).join(', ')}`);
  return new Set(value as PiiKind[]);
}

function readReplacement(value: unknown): (kind: PiiKind) => string {
  if (value === undefined) return (kind) => DEFAULT_REPLACEMENTS[kind];
  if (typeof value === 'string') return () => value;
  if (typeof value === 'function') return value as (kind: PiiKind) => string;
  throw optionError(NAME, 'replacement', 'must be a string like "[REDACTED]" or a function (kind) => string');
}

/** Factory registered as `pii-redact`. */
export const createPiiRedactAdapter: AdapterFactory = (options) => new PiiRedactAdapter(options);

/** The built-in adapters, one file each, and the table the AdapterManager registers by default. */
import type { AdapterFactory } from '../adapter.js';
import { createMaxLengthAdapter } from './max-length.js';
import { createPiiRedactAdapter } from './pii-redact.js';
import { createPrefixSuffixAdapter } from './prefix-suffix.js';
import { createStripMarkdownAdapter } from './strip-markdown.js';
import { createSystemPromptAdapter } from './system-prompt.js';

export { MaxLengthAdapter, createMaxLengthAdapter, type MaxLengthOptions } from './max-length.js';
export { PiiRedactAdapter, createPiiRedactAdapter, PII_KINDS, PII_MAX_HOLD_BACK, passesLuhn, type PiiKind, type PiiRedactOptions, type PiiStreamTransformer } from './pii-redact.js';
export { PrefixSuffixAdapter, createPrefixSuffixAdapter, type PrefixSuffixOptions } from './prefix-suffix.js';
export { StripMarkdownAdapter, createStripMarkdownAdapter, stripInline } from './strip-markdown.js';
export { SystemPromptAdapter, createSystemPromptAdapter, type SystemPromptOptions } from './system-prompt.js';

/** Built-in factories by the name they are registered under. */
export const BUILTIN_ADAPTERS: Readonly<Record<string, AdapterFactory>> = Object.freeze({
  'pii-redact': createPiiRedactAdapter,
  'max-length': createMaxLengthAdapter,
  'strip-markdown': createStripMarkdownAdapter,
  'system-prompt': createSystemPromptAdapter,
  'prefix-suffix': createPrefixSuffixAdapter,
});

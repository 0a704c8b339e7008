/**
 * The `transport` key of every hosted provider's config section (openai, anthropic, huggingface,
 * ollama, each OpenAI-compatible provider and each `openaiCompatible.<name>` entry): one leaf holding
 * an object of transport settings (transport-settings.ts), so that map entries, which hold only
 * leaves, take it the same way as object sections. Absent keys keep their defaults; a future
 * per-deployment `transport` object has the same shape and overrides a provider's key by key.
 */
import { configField, registerConfigFormats, type ConfigLeaf } from '../config/schema-fields.js';
import { checkTransportConfig, type TransportConfig } from './transport-settings.js';

/** The named format of the `transport` leaf. */
export const TRANSPORT_FORMAT = 'sb-transport';

// Registered on import: every definition that uses the leaf imports this module first.
registerConfigFormats({ [TRANSPORT_FORMAT]: { check: checkTransportConfig } });

/** The doc of every `transport` leaf. */
const TRANSPORT_DOC =
  'Connection pool, proxy, TLS and timeouts of the upstream: { connections, pipelining, keepAliveTimeoutMs, keepAliveMaxTimeoutMs, connectTimeoutMs, headersTimeoutMs, bodyTimeoutMs, allowH2, acceptEncoding, proxy, noProxy, ca }; unused when `fetch` is given';

/** The `transport` leaf of a provider section's schema (optional: absent, every setting has its default). */
export function transportField(): ConfigLeaf<TransportConfig | undefined> {
  return configField<TransportConfig | undefined>(undefined, TRANSPORT_FORMAT, TRANSPORT_DOC);
}

/**
 * The model catalog: what is known about each `provider:model` (context window, capabilities,
 * prices, deprecation). Entries come from config/models.json (users add their own without touching
 * code) and from discovery (`registry.refreshModels()`), which never overrides a configured fact.
 */
import type { ModelInfo, ModelPricing } from '../core/types.js';

/** One entry as written in config/models.json (keys starting with `_` are comments). */
export interface CatalogEntry {
  contextWindow?: number;
  maxOutputTokens?: number;
  capabilities?: Partial<ModelInfo['capabilities']>;
  pricing?: ModelPricing;
  deprecated?: { since?: string; replacement?: string };
  local?: boolean;
  memoryBytes?: number;
  /** `embedding` for an embedding model (served by `sb.embed` only); absent or `chat`: a generation model. */
  kind?: ModelInfo['kind'];
}

/** Discovery can find thousands of models on a big endpoint; past this many we keep the configured ones only. */
const MAX_DISCOVERED = 10_000;

const DEFAULT_CAPABILITIES: ModelInfo['capabilities'] = { streaming: true, tools: false, vision: false, json: false, reasoning: false };

/** Split `provider:model` at the first colon (model names may contain colons, e.g. `ollama:llama3:8b`). */
export function splitModelId(id: string): { provider: string; model: string } | undefined {
  const at = id.indexOf(':');
  if (at <= 0 || at === id.length - 1) return undefined;
  return { provider: id.slice(0, at), model: id.slice(at + 1) };
}

/** Known models, by `provider:model`. */
export class ModelCatalog {
  private readonly configured = new Map<string, ModelInfo>();
  /** Capabilities exactly as configured (without defaults), so discovery can fill the rest. */
  private readonly configuredCapabilities = new Map<string, Partial<ModelInfo['capabilities']>>();
  private readonly discovered = new Map<string, ModelInfo>();

  constructor(entries: Record<string, CatalogEntry> = {}) {
    for (const [id, entry] of Object.entries(entries)) {
      if (!id.startsWith('_')) this.set(id, entry);
    }
  }

  /** Build a ModelInfo from a catalog entry; undefined when the id is not `provider:model`. */
  static toInfo(id: string, entry: CatalogEntry): ModelInfo | undefined {
    const parts = splitModelId(id);
    if (!parts) return undefined;
    const info: ModelInfo = {
      id,
      provider: parts.provider,
      model: parts.model,
      capabilities: { ...DEFAULT_CAPABILITIES, ...entry.capabilities },
      local: entry.local ?? false,
    };
    if (entry.contextWindow !== undefined) info.contextWindow = entry.contextWindow;
    if (entry.maxOutputTokens !== undefined) info.maxOutputTokens = entry.maxOutputTokens;
    if (entry.pricing) info.pricing = { ...entry.pricing };
    if (entry.deprecated) info.deprecated = { ...entry.deprecated };
    if (entry.memoryBytes !== undefined) info.memoryBytes = entry.memoryBytes;
    if (entry.kind !== undefined) info.kind = entry.kind;
    return info;
  }

  /** What is known of `provider:model`, configured facts over discovered ones. */
  get(id: string): ModelInfo | undefined {
    const configured = this.configured.get(id);
    const discovered = this.discovered.get(id);
    if (configured && discovered) return mergeInfo(discovered, configured, this.configuredCapabilities.get(id) ?? {});
    return configured ?? discovered;
  }

  /**
   * The deprecation the catalog records for `provider:model` (configured over discovered), or
   * undefined. Two map look-ups and no merge: the call path asks this of every candidate.
   */
  deprecation(id: string): ModelInfo['deprecated'] | undefined {
    const configured = this.configured.get(id);
    return configured ? configured.deprecated : this.discovered.get(id)?.deprecated;
  }

  /** How many models are known (configured and discovered entries, an id in both counted twice): a bound for per-model sets. */
  get size(): number {
    return this.configured.size + this.discovered.size;
  }

  /** Is `provider:model` configured or discovered? (Cheaper than `get`: no merge.) */
  has(id: string): boolean {
    return this.configured.has(id) || this.discovered.has(id);
  }

  /** The entry for a model, or a minimal one (no pricing, so cost stays null) for a model nobody listed. */
  resolve(provider: string, model: string, defaults: Partial<ModelInfo> = {}): ModelInfo {
    const known = this.get(`${provider}:${model}`);
    if (known) return known;
    return { id: `${provider}:${model}`, provider, model, capabilities: { ...DEFAULT_CAPABILITIES }, local: false, ...defaults };
  }

  /** Every known model. */
  list(): ModelInfo[] {
    const ids = new Set([...this.configured.keys(), ...this.discovered.keys()]);
    return [...ids].map((id) => this.get(id)!);
  }

  /** Record what discovery found; configured facts still win. Returns false once the bound is reached. */
  addDiscovered(info: ModelInfo): boolean {
    if (!this.discovered.has(info.id) && this.discovered.size >= MAX_DISCOVERED) return false;
    this.discovered.set(info.id, info);
    return true;
  }

  /** Forget what discovery found for a provider (before a refresh). */
  clearDiscovered(provider: string): void {
    for (const [id, info] of this.discovered) if (info.provider === provider) this.discovered.delete(id);
  }

  /** Add or replace a configured entry at run time. */
  set(id: string, entry: CatalogEntry): void {
    const info = ModelCatalog.toInfo(id, entry);
    if (!info) return;
    this.configured.set(id, info);
    this.configuredCapabilities.set(id, { ...entry.capabilities });
  }
}

function mergeInfo(base: ModelInfo, over: ModelInfo, explicitCapabilities: Partial<ModelInfo['capabilities']>): ModelInfo {
  return {
    ...base,
    ...over,
    capabilities: { ...base.capabilities, ...explicitCapabilities },
    local: over.local || base.local,
    memoryBytes: over.memoryBytes ?? base.memoryBytes,
    contextWindow: over.contextWindow ?? base.contextWindow,
    maxOutputTokens: over.maxOutputTokens ?? base.maxOutputTokens,
  };
}

/**
 * The ModelRegistry: every manager by provider name (collected by Inversify with @multiInject,
 * or added at run time), `provider:model` resolution, readiness, and catalog look-ups.
 */
import { inject, injectable, multiInject, optional } from 'inversify';
import { InvalidRequestError, NoSuchProviderError } from '../core/errors.js';
import type { ModelFilter, ModelInfo, ProviderStatus } from '../core/types.js';
import type { BaseLLMManager, ManagerDeps } from '../managers/base-llm-manager.js';
import { TYPES } from '../di/identifiers.js';
import type { ModelCatalog } from './model-catalog.js';
import { splitModelId } from './model-catalog.js';
import { writeCatalogFile } from './catalog-file.js';

/** Listeners of `onRefresh` one registry holds (one per switchboard part that re-resolves). */
const MAX_REFRESH_LISTENERS = 16;

/** A resolved model id: its manager and the model name to pass it. */
export interface ResolvedModel {
  /** `provider:model` as given. */
  id: string;
  provider: string;
  model: string;
  manager: BaseLLMManager;
}

/** A provider whose model listing failed, and why. */
export interface DiscoveryFailure {
  provider: string;
  message: string;
}

/** Managers by provider, and what they know about models. */
@injectable()
export class ModelRegistry {
  private readonly managers = new Map<string, BaseLLMManager>();
  private readonly catalog: ModelCatalog;
  private defaultDeps: ManagerDeps | undefined;
  /** Run after each `refreshModels()` (bots chosen by capability choose again); a handful at most. */
  private readonly refreshListeners: Array<() => void> = [];

  constructor(
    @inject(TYPES.ModelCatalog) catalog: ModelCatalog,
    @multiInject(TYPES.LLMManager) @optional() managers: BaseLLMManager[] = [],
  ) {
    this.catalog = catalog;
    for (const manager of managers ?? []) this.register(manager);
  }

  /** The deps handed to managers registered without their own (set by the composition root). */
  setDefaultDeps(deps: ManagerDeps): void {
    this.defaultDeps = deps;
    for (const manager of this.managers.values()) manager.attach(deps);
  }

  /** Add a provider at run time (a custom manager); replaces one of the same name. */
  register(manager: BaseLLMManager): void {
    if (!/^[a-z0-9][a-z0-9_-]*$/i.test(manager.provider)) {
      throw new InvalidRequestError(`Provider name "${manager.provider}" must be letters, digits, "_" or "-" (it is the part before ":" in model ids)`);
    }
    if (this.defaultDeps) manager.attach(this.defaultDeps);
    this.managers.set(manager.provider, manager);
  }

  /** The manager for a provider; NoSuchProviderError when none is registered. */
  getManager(provider: string): BaseLLMManager {
    const manager = this.managers.get(provider);
    if (!manager) throw new NoSuchProviderError(provider, [...this.managers.keys()]);
    return manager;
  }

  /** Does the catalog (configured or discovered) describe `provider:model`? A model it does not know is assumed capable. */
  isCatalogued(id: string): boolean {
    return this.catalog.has(id);
  }

  /** Is a provider registered? */
  hasProvider(provider: string): boolean {
    return this.managers.has(provider);
  }

  /** Is a provider registered and ready (its credentials set)? */
  isReady(provider: string): boolean {
    return this.managers.get(provider)?.status().ready ?? false;
  }

  /** The catalog's deprecation of `provider:model` (configured or discovered); undefined when it has none. */
  deprecationOf(id: string): ModelInfo['deprecated'] | undefined {
    return this.catalog.deprecation(id);
  }

  /** How many models the catalog knows (configured and discovered). */
  get catalogSize(): number {
    return this.catalog.size;
  }

  /** Every registered manager. */
  allManagers(): BaseLLMManager[] {
    return [...this.managers.values()];
  }

  /** Resolve `provider:model`; InvalidRequestError for a malformed id, NoSuchProviderError for an unknown provider. */
  resolve(id: string): ResolvedModel {
    if (typeof id !== 'string') throw new InvalidRequestError(`A model id must be a string like "openai:gpt-4o-mini"`);
    const parts = splitModelId(id);
    if (!parts) throw new InvalidRequestError('A model id must look like "provider:model", e.g. "openai:gpt-4o-mini"');
    return { id, ...parts, manager: this.getManager(parts.provider) };
  }

  /** Providers with readiness and, when not ready, why (e.g. which variable to set). */
  listProviders(): ProviderStatus[] {
    return [...this.managers.values()].map((manager) => manager.status());
  }

  /** What is known of `provider:model` (NoSuchProviderError / NoSuchModelError). */
  getModelInfo(id: string): ModelInfo {
    const resolved = this.resolve(id);
    return resolved.manager.getModelInfo(resolved.model);
  }

  /**
   * `provider:model` exactly as `listModels` shows it (catalog or discovery, deprecated included) when
   * its provider is registered; undefined for a model nobody listed, even one a hosted provider could
   * still be called with (`getModelInfo` describes those).
   */
  listedModel(id: string): ModelInfo | undefined {
    const info = this.catalog.get(id);
    return info && this.managers.has(info.provider) ? info : undefined;
  }

  /** Catalog and discovered models, filtered; deprecated ones only when asked. */
  listModels(filter: ModelFilter = {}): ModelInfo[] {
    return this.catalog.list().filter((info) => {
      if (filter.provider && info.provider !== filter.provider) return false;
      if (filter.capability && !info.capabilities[filter.capability]) return false;
      if (filter.local !== undefined && info.local !== filter.local) return false;
      if (filter.kind !== undefined && (info.kind ?? 'chat') !== filter.kind) return false;
      if (!filter.includeDeprecated && info.deprecated) return false;
      return true;
    });
  }

  /** Ask every ready provider for its models and merge them into the catalog; then the refresh listeners run. */
  async refreshModels(): Promise<{ models: ModelInfo[]; failures: DiscoveryFailure[] }> {
    const ready = [...this.managers.values()].filter((manager) => manager.status().ready);
    const failures = await this.discover(ready);
    for (const listener of this.refreshListeners) listener();
    return { models: this.listModels({ includeDeprecated: true }), failures };
  }

  /** Run `listener` after every `refreshModels()` (the switchboard wires its capability-chosen bots here). */
  onRefresh(listener: () => void): void {
    if (this.refreshListeners.length >= MAX_REFRESH_LISTENERS) throw new InvalidRequestError(`At most ${MAX_REFRESH_LISTENERS} refresh listeners may be added`);
    this.refreshListeners.push(listener);
  }

  /**
   * Write the catalog plus what discovery found (every model `listModels({ includeDeprecated: true })`
   * shows) to `path`, JSON or YAML by its extension, atomically; catalog fields only, never a credential.
   */
  saveCatalog(path: string): Promise<void> {
    return writeCatalogFile(path, this.listModels({ includeDeprecated: true }));
  }

  /**
   * Start-up discovery of in-process providers' models (the GGUF files in `llamacpp.modelsDir`): a
   * listing of local files that loads no model and asks no network, so they are listed from the first
   * call on. Asked whether or not the provider is ready (without node-llama-cpp the files are still
   * listed, by name and size); a failure is returned, never thrown, so start-up goes on.
   */
  scanLocalModels(): Promise<DiscoveryFailure[]> {
    return this.discover([...this.managers.values()].filter((manager) => manager.inProcess));
  }

  /** Replace what discovery knows of each manager's provider with its `listModels()`. */
  private async discover(managers: BaseLLMManager[]): Promise<DiscoveryFailure[]> {
    const failures: DiscoveryFailure[] = [];
    await Promise.all(
      managers.map(async (manager) => {
        try {
          const found = await manager.listModels();
          this.catalog.clearDiscovered(manager.provider);
          for (const info of found) this.catalog.addDiscovered(info);
        } catch (error) {
          failures.push({ provider: manager.provider, message: error instanceof Error ? error.message : String(error) });
        }
      }),
    );
    return failures;
  }
}

/**
 * node-llama-cpp is an optional peer dependency (about 670 MB with its prebuilt binaries): it is
 * imported lazily, on the first llama.cpp call, so everyone else can use the package without it.
 * When it is absent the error and the provider status both say what to install.
 */
import { createRequire } from 'node:module';
import { ProviderError } from '../../core/errors.js';

/** The node-llama-cpp module namespace. */
export type NodeLlamaCpp = typeof import('node-llama-cpp');

/** How the module is imported; tests and bundlers may supply their own. */
export type ImportNodeLlamaCpp = () => Promise<NodeLlamaCpp>;

/** What to tell a user who has not installed node-llama-cpp. */
export const INSTALL_HINT = 'node-llama-cpp is not installed: run `npm install node-llama-cpp` to use llamacpp: models';

const MISSING_CODES = new Set(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND']);

function isMissingModule(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? MISSING_CODES.has(code) : /Cannot find (module|package)/i.test(String((error as Error)?.message ?? ''));
}

/** Loads node-llama-cpp once and remembers whether it is there. */
export class NodeLlamaCppLoader {
  private loading: Promise<NodeLlamaCpp> | undefined;
  private missingReason: string | undefined;
  private resolvable: boolean | undefined;
  private readonly importer: ImportNodeLlamaCpp;
  private readonly custom: boolean;

  constructor(importer?: ImportNodeLlamaCpp) {
    this.custom = importer !== undefined;
    this.importer = importer ?? (() => import('node-llama-cpp'));
  }

  /**
   * Why the module cannot be used, without importing it (status checks are synchronous): a failed
   * import, or a package that does not resolve. Undefined when it looks usable.
   */
  unavailableReason(): string | undefined {
    if (this.missingReason) return this.missingReason;
    if (this.custom) return undefined;
    if (this.resolvable === undefined) {
      try {
        createRequire(import.meta.url).resolve('node-llama-cpp');
        this.resolvable = true;
      } catch {
        this.resolvable = false;
      }
    }
    return this.resolvable ? undefined : INSTALL_HINT;
  }

  /** The module; a ProviderError naming the install command when it is absent. */
  load(): Promise<NodeLlamaCpp> {
    this.loading ??= this.importer().then(
      (module) => {
        this.missingReason = undefined;
        return module;
      },
      (error: unknown) => {
        // A failed import is remembered (status shows it); the next call may try again after an install.
        this.loading = undefined;
        if (isMissingModule(error)) {
          this.missingReason = INSTALL_HINT;
          throw new ProviderError(INSTALL_HINT, { provider: 'llamacpp', cause: error, retryable: false });
        }
        const message = error instanceof Error ? error.message : String(error);
        throw new ProviderError(`node-llama-cpp failed to load: ${message}`, { provider: 'llamacpp', cause: error, retryable: false });
      },
    );
    return this.loading;
  }
}

/**
 * The provider contract: everything the library needs to know about one provider, in one object its
 * folder exports (docs/adding-a-provider.md). The built-in list (builtin-providers.ts) and the
 * definitions a user passes to `createSwitchboard({ providers })` feed the config schema, the config
 * checks, the DI bindings, readiness reasons and the docs table; config/ and core/ name no provider.
 */
import type { ConfigLeaf, ConfigSchemaNode, NamedFormat } from '../config/schema-fields.js';
import { isConfigLeaf } from '../config/schema-fields.js';
import type { ErrorQuirks } from '../core/error-mapping.js';
import type { ConfigProblem, ValidationResult } from '../core/types.js';
import type { BaseLLMManager, ManagerDeps } from './base-llm-manager.js';

/** What `create` may receive besides deps and config: programmatic options of createSwitchboard. */
export interface ProviderCreateOptions {
  /** Loading progress of an in-process model, 0..1 (the CLI draws a bar from it). */
  onModelLoadProgress?: (modelId: string, progress: number) => void;
}

/**
 * One provider (or, with `section: 'map'`, one family of named providers).
 * `TId` is the config section under `providers`; `TConfig` is what that section holds after loading.
 */
export interface ProviderDefinition<TId extends string = string, TConfig = unknown> {
  /**
   * The config section `providers.<id>` and, for an object section, the provider name (the part
   * before ":" in model ids). Letters, digits, "-" and "_".
   */
  readonly id: TId;
  /** One line for the docs table (docs/providers.md): what it talks to. */
  readonly description: string;
  /**
   * `object` (default): the section configures one provider named `id`. `map`: each entry
   * `providers.<id>.<name>` is a provider `<name>` (the named OpenAI-compatible endpoints), and
   * `configSchema` describes one entry.
   */
  readonly section?: 'object' | 'map';
  /**
   * The convict schema of the section (of one entry, for a map), written with `configField`: every key
   * with its default, format, `env` variable and `sensitive` flag. A `sensitive` field is a secret: it
   * is registered with the switchboard's secret registry, checked for placeholder values
   * (`YOUR_API_KEY`, `sk-...`) and never echoed in a problem. Map entries have no `env`; a `null`
   * default marks an entry key that must be given.
   */
  readonly configSchema: ConfigSchemaNode;
  /**
   * Fields whose template values (`YOUR_API_KEY`, `<your key>`, `${...}` left unexpanded) are refused
   * at load time, naming the variable to set; default: the sensitive fields.
   */
  readonly placeholderFields?: readonly string[];
  /**
   * True when the provider hands a `fetch` function to its SDK: programmatic config may then set
   * `providers.<id>.fetch` (or `.<name>.fetch` in a map). The schema gets the `fetch` leaf from this flag.
   */
  readonly takesFetch?: boolean;
  /** How its SDK's failures differ from plain HTTP (extra retryable statuses, stream error types, class names). */
  readonly errorQuirks?: ErrorQuirks;
  /** Named formats its schema uses that the library does not ship (e.g. a host coercion for an env variable). */
  readonly formats?: Readonly<Record<string, NamedFormat>>;
  /**
   * Checks the schema cannot express, on a section whose values already passed it; keys are full
   * paths under `path` (e.g. `providers.openai.apiKey`). The managers' own `validateConfig` runs the same.
   */
  validate?(config: TConfig, path: string): ConfigProblem[];
  /**
   * The manager(s) for this section: one for an object section; one per entry, in entry order, for a
   * map. Managers get the switchboard's deps; `options` carries createSwitchboard's programmatic options.
   */
  create(deps: ManagerDeps, config: TConfig, options: ProviderCreateOptions): BaseLLMManager | BaseLLMManager[];
}

/** The config type a definition's section holds. */
export type ProviderConfigOf<D> = D extends ProviderDefinition<string, infer TConfig> ? TConfig : never;

/** The `providers` config type of a list of definitions: `{ [id]: section }`. */
export type ProvidersConfigOf<L extends readonly ProviderDefinition[]> = { [D in L[number] as D['id']]: ProviderConfigOf<D> };

/** The leaf of `field` in a flat schema, if it is one. */
function leafOf(schema: ConfigSchemaNode, field: string): ConfigLeaf | undefined {
  const node = Object.prototype.hasOwnProperty.call(schema, field) ? schema[field] : undefined;
  return isConfigLeaf(node) ? node : undefined;
}

/** The environment variable a schema binds to `field` (e.g. `OPENAI_API_KEY` for `apiKey`). */
export function envOf(schema: ConfigSchemaNode, field: string): string | undefined {
  const env: unknown = leafOf(schema, field)?.env;
  return typeof env === 'string' ? env : undefined;
}

/** The fields of a flat schema marked `sensitive` (its secrets). */
export function secretFieldsOf(definition: Pick<ProviderDefinition, 'configSchema'>): string[] {
  return Object.keys(definition.configSchema).filter((field) => leafOf(definition.configSchema, field)?.sensitive === true);
}

/** Every environment variable a definition's schema reads. */
export function envVariablesOf(definition: Pick<ProviderDefinition, 'configSchema'>): string[] {
  return Object.keys(definition.configSchema).flatMap((field) => envOf(definition.configSchema, field) ?? []);
}

/**
 * What a provider that is not ready asks for: `set OPENAI_API_KEY (providers.openai.apiKey)`, or
 * `set providers.x.field` when no variable sets it. `listProviders()` and AuthenticationError show it.
 */
export function missingSettingReason(configPath: string, field: string, env?: string): string {
  return env ? `set ${env} (${configPath}.${field})` : `set ${configPath}.${field}`;
}

/** A manager's `validateConfig()` result from a list of problems. */
export function validationOf(problems: ConfigProblem[]): ValidationResult {
  return { ok: problems.length === 0, problems };
}

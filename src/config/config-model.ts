/**
 * The config model of one set of provider definitions (the built-ins, plus whatever user-land
 * definitions a switchboard was given): its schema, environment bindings and fetch policy. The
 * built-in model is built once; a model with user-land definitions is built per load, after the
 * definitions themselves are checked.
 */
import type convict from 'convict';
import { BUILTIN_PROVIDER_DEFINITIONS } from '../managers/builtin-providers.js';
import type { ProviderDefinition } from '../managers/provider-definition.js';
import { ProblemList } from './problems.js';
import { checkDefinitions, fetchPolicyOf, type FetchPolicy } from './provider-sections.js';
import { envBindingsOf, type EnvBinding } from './schema-check.js';
import { buildConfigSchema } from './schema.js';
import type { SwitchboardConfig } from './types.js';

/** Everything loading needs to know about the providers of one switchboard. */
export interface ConfigModel {
  /** Built-ins first, then user-land definitions. */
  readonly definitions: readonly ProviderDefinition[];
  readonly schema: convict.Schema<SwitchboardConfig>;
  /** Every environment variable the schema reads, with its key path. */
  readonly envBindings: readonly EnvBinding[];
  /** Where programmatic config may hold a `fetch` function. */
  readonly fetchPolicy: FetchPolicy;
}

function buildModel(definitions: readonly ProviderDefinition[]): ConfigModel {
  const schema = buildConfigSchema(definitions);
  return { definitions, schema, envBindings: envBindingsOf(schema), fetchPolicy: fetchPolicyOf(definitions) };
}

let builtinModel: ConfigModel | undefined;

/** The model of the built-in providers alone. */
export function builtinConfigModel(): ConfigModel {
  builtinModel ??= buildModel(BUILTIN_PROVIDER_DEFINITIONS);
  return builtinModel;
}

/**
 * The model of the built-ins plus `extra` definitions. A definition list that is wrong (an id that
 * repeats or shadows a built-in, a format nobody registers) throws one ConfigError naming it.
 */
export function configModelFor(extra: readonly ProviderDefinition[] = []): ConfigModel {
  if (extra.length === 0) return builtinConfigModel();
  const definitions = [...BUILTIN_PROVIDER_DEFINITIONS, ...extra];
  const problems = new ProblemList();
  checkDefinitions(definitions, problems);
  problems.throwIfAny();
  return buildModel(definitions);
}

/** The environment variables of the built-in schema (docs/configuration.md lists them). */
export function builtinEnvBindings(): readonly EnvBinding[] {
  return builtinConfigModel().envBindings;
}

/**
 * loadConfig: the one way a SwitchboardConfig is made (API.md "Entry point").
 * Precedence, highest first: environment variables > `options.config` > config files (JSON or YAML,
 * config-file.ts) > schema defaults. The schema comes from the provider definitions (the built-ins plus `options.providers`:
 * config-model.ts). Layers are copied safely and merged (layers.ts), checked against the schema
 * (schema-check.ts), handed to convict for defaults and environment variables, then checked as a
 * whole (validate-config.ts). Every problem found on the way comes out in one ConfigError.
 */
import convict from 'convict';
import type { ProviderDefinition } from '../managers/provider-definition.js';
import type { SwitchboardConfig } from './types.js';
import { configModelFor, type ConfigModel } from './config-model.js';
import { applyMapDefaults, registerSectionSecrets } from './provider-sections.js';
import { checkAgainstSchema, checkEnvValues } from './schema-check.js';
import { copyLayer, deepMerge, putBack, substituteEnv, type SetAsideValue } from './layers.js';
import { annotateLines, readConfigFile, type LinedSource } from './config-file.js';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { isPlainObject, ProblemList } from './problems.js';
import { registerConfigSecrets } from './register-config-secrets.js';
import { collectSemanticProblems } from './validate-config.js';
import { validateCatalog } from './load-catalog.js';
import { SecretRegistry } from '../core/secrets.js';

/** T with every property optional at every depth; arrays and functions are given whole. */
export type DeepPartial<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly unknown[]
    ? T
    : T extends object
      ? { [K in keyof T]?: DeepPartial<T[K]> }
      : T;

/** Options of loadConfig. */
export interface LoadConfigOptions {
  /** Programmatic config, over the files and under environment variables. May hold `providers.*.fetch` functions. */
  config?: DeepPartial<SwitchboardConfig>;
  /**
   * User-land provider definitions: each adds its section `providers.<id>` (checked by its schema and
   * `validate`) and its provider name, next to the built-ins. See docs/adding-a-provider.md.
   */
  providers?: readonly ProviderDefinition[];
  /** Config file(s), relative to `cwd`; given, they replace the default files and SWITCHBOARD_CONFIG. */
  configFile?: string | string[];
  /** The environment (default `process.env`); only this is read, for variables and `${NAME}`. */
  env?: NodeJS.ProcessEnv;
  /** Where relative file paths start (default `process.cwd()`). */
  cwd?: string;
  /** Providers registered at run time that bots and rate limits may name. */
  extraProviders?: readonly string[];
  /**
   * Where the credentials found are registered (createSwitchboard passes its switchboard's own);
   * default: a registry of this load alone.
   */
  secrets?: SecretRegistry;
}

interface FileToRead {
  file: string;
  label: string;
  optional: boolean;
}

/** The extensions a default config file may have, in the order they are named in problems. */
const DEFAULT_EXTENSIONS = ['.json', '.yaml', '.yml'];

/**
 * The default file `base` (`config/default`) with whichever extension exists. When several do, the
 * switchboard does not pick one: both are named in a problem, since a silent pick would make one of
 * them dead config nobody notices.
 */
function defaultFile(base: string, cwd: string, problems: ProblemList): FileToRead[] {
  const present = DEFAULT_EXTENSIONS.map((extension) => `${base}${extension}`).filter((file) => existsSync(resolve(cwd, file)));
  if (present.length > 1) {
    const which = present.length === 2 ? 'both exist' : 'all exist';
    problems.add('configFile', `${present.map((file) => `"${file}"`).join(' and ')} ${which}; keep one of them (they would be the same layer, and the switchboard does not pick between them)`);
    return [];
  }
  return [{ file: present[0] ?? `${base}.json`, label: 'configFile', optional: true }];
}

/**
 * Which files to read: explicit ones, else SWITCHBOARD_CONFIG, else config/default and
 * config/<NODE_ENV> (each `.json`, `.yaml` or `.yml`) if present.
 */
function filesToRead(options: LoadConfigOptions, env: Record<string, string>, cwd: string, problems: ProblemList): FileToRead[] {
  if (options.configFile !== undefined) {
    const list = Array.isArray(options.configFile) ? options.configFile : [options.configFile];
    return list.flatMap((file, index) => {
      if (typeof file === 'string' && file.trim() !== '') return [{ file, label: 'configFile', optional: false }];
      problems.add(Array.isArray(options.configFile) ? `configFile[${index}]` : 'configFile', 'must be the path of a JSON or YAML config file');
      return [];
    });
  }
  const named = env.SWITCHBOARD_CONFIG;
  if (named !== undefined) {
    return named.split(',').map((file) => file.trim()).filter(Boolean).map((file) => ({ file, label: 'SWITCHBOARD_CONFIG', optional: false }));
  }
  const files = defaultFile('config/default', cwd, problems);
  const nodeEnv = env.NODE_ENV;
  // NODE_ENV becomes part of a path: only a plain name may, never `../x`.
  if (nodeEnv && /^[A-Za-z0-9_-]+$/.test(nodeEnv) && nodeEnv !== 'default') files.push(...defaultFile(`config/${nodeEnv}`, cwd, problems));
  return files;
}

/** Environment variables with a value: an empty variable counts as unset (a blank `SOME_API_KEY=` line in an env file). */
function nonEmptyEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (typeof value === 'string' && value !== '') out[name] = value;
  return out;
}

/** convict's getProperties keeps schema keys whose default is undefined (organization, fetch, pricing). */
function dropUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropUndefined);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) if (child !== undefined) out[key] = dropUndefined(child);
  return out;
}

async function mergeLayers(options: LoadConfigOptions, model: ConfigModel, env: Record<string, string>, cwd: string, problems: ProblemList, setAside: SetAsideValue[], lined: LinedSource[]) {
  let merged: Record<string, unknown> = {};
  for (const { file, label, optional } of filesToRead(options, env, cwd, problems)) {
    const read = await readConfigFile(file, cwd, label, problems, { optional });
    if (read === undefined) continue;
    if (read.lines) lined.push({ file, lines: read.lines });
    merged = deepMerge(merged, substituteEnv(copyLayer(read.value, file, problems, []), env) as Record<string, unknown>);
  }
  if (options.config !== undefined) {
    if (!isPlainObject(options.config)) problems.add('config', 'must be a plain object');
    else merged = deepMerge(merged, substituteEnv(copyLayer(options.config, '', problems, setAside, [], model.fetchPolicy), env) as Record<string, unknown>);
  }
  return merged;
}

/**
 * Load, merge and validate the configuration. Throws one ConfigError listing every problem (files
 * that cannot be read, unknown keys, bad values, placeholder keys, bad bots ...) with key paths; no
 * message shows a secret. Every credential loaded is registered with `options.secrets`. Wrong
 * provider definitions (`options.providers`) throw a ConfigError before anything is read.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<SwitchboardConfig> {
  const model = configModelFor(options.providers);
  const env = nonEmptyEnv(options.env ?? process.env);
  const cwd = options.cwd ?? process.cwd();
  const problems = new ProblemList();
  const setAside: SetAsideValue[] = [];
  const secrets = options.secrets ?? new SecretRegistry();

  // YAML files say where each key is written: problems found later under a key get its line.
  const lined: LinedSource[] = [];
  const merged = await mergeLayers(options, model, env, cwd, problems, setAside, lined);
  // A value set aside from programmatic config outranks whatever a file put at the same path.
  for (const { path } of setAside) putBack(merged, path, undefined);
  registerConfigSecrets(merged, secrets);
  // convict cannot merge an object where its schema has a string (`models`): the catalog goes around it.
  const inlineCatalog = isPlainObject(merged.models) ? merged.models : undefined;
  if (inlineCatalog) delete merged.models;
  const checked = checkAgainstSchema(model.schema, merged, problems);

  const loader = convict(model.schema, { env, args: [] });
  loader.load(checked);
  const config = dropUndefined(loader.getProperties()) as SwitchboardConfig;
  checkEnvValues(model.schema, model.envBindings, config, env, problems);
  registerConfigSecrets(config, secrets);
  registerSectionSecrets(config, model.definitions, secrets);
  collectSemanticProblems(config, problems, { extraProviders: options.extraProviders, definitions: model.definitions });
  if (inlineCatalog) config.models = validateCatalog(inlineCatalog, problems) as Record<string, unknown>;
  annotateLines(problems, lined);
  problems.throwIfAny((text) => secrets.scrub(text));

  applyMapDefaults(config, model.definitions);
  for (const { path, value } of setAside) putBack(config as unknown as Record<string, unknown>, path, value);
  return config;
}

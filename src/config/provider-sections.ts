/**
 * What config does with provider definitions besides the schema: checking the list itself (ids,
 * map entry schemas), the sections' semantic checks (placeholder secrets, map entries, each
 * definition's `validate`), map entry defaults, the provider names model ids may use, and where a
 * layer may hold a `fetch` function. No provider is named here: every rule reads a definition.
 */
import type { SecretRegistry } from '../core/secrets.js';
import { secretFieldsOf, type ProviderDefinition } from '../managers/provider-definition.js';
import { checkEntry } from './entry-checks.js';
import { looksLikePlaceholder, PROVIDER_NAME } from './field-checks.js';
import { formatPath, isPlainObject, type PathSegment, type ProblemList } from './problems.js';
import { FORMATS, isConfigLeaf, leafCheck, type ConfigLeaf } from './schema-fields.js';

/** Where programmatic config may hold a provider `fetch` function. */
export interface FetchPolicy {
  /** Object sections whose definition takes a fetch: `providers.<id>.fetch`. */
  objects: ReadonlySet<string>;
  /** Map sections whose definition takes a fetch: `providers.<id>.<name>.fetch`. */
  maps: ReadonlySet<string>;
}

/** The fetch policy of a list of definitions. */
export function fetchPolicyOf(definitions: readonly ProviderDefinition[]): FetchPolicy {
  const takes = definitions.filter((definition) => definition.takesFetch);
  return {
    objects: new Set(takes.filter((definition) => definition.section !== 'map').map((definition) => definition.id)),
    maps: new Set(takes.filter((definition) => definition.section === 'map').map((definition) => definition.id)),
  };
}

/** The leaves of a flat schema (a map entry's), by key. */
function leavesOf(definition: ProviderDefinition): Array<[string, ConfigLeaf]> {
  return Object.entries(definition.configSchema).flatMap(([key, node]) => (isConfigLeaf(node) ? [[key, node] as [string, ConfigLeaf]] : []));
}

/**
 * Problems of the definition list itself (a programming mistake, reported with the config's): ids
 * that are no provider names or repeat, formats the schema lacks, map entries that are not flat or
 * read environment variables (an entry's name is chosen by the user; no variable can be bound to it).
 */
export function checkDefinitions(definitions: readonly ProviderDefinition[], problems: ProblemList): void {
  const seen = new Set<string>();
  for (const definition of definitions) {
    const id: unknown = definition.id;
    if (typeof id !== 'string' || !PROVIDER_NAME.test(id)) {
      problems.add('providers', 'a provider definition needs an id of letters, digits, "-" and "_" (1-64 characters, not starting with "-" or "_")');
      continue;
    }
    const path = ['providers', id];
    if (seen.has(id.toLowerCase())) problems.add(path, 'is defined by two provider definitions; give yours another id');
    seen.add(id.toLowerCase());
    if (typeof definition.create !== 'function' || !isPlainObject(definition.configSchema)) {
      problems.add(path, 'the provider definition needs a configSchema object and a create function');
      continue;
    }
    for (const [name, format] of Object.entries(definition.formats ?? {})) {
      const known = Object.prototype.hasOwnProperty.call(FORMATS, name) ? FORMATS[name] : undefined;
      if (known && known !== format) problems.add(path, `its format "${name}" is registered already with another check; give it another name`);
    }
    for (const [key, leaf] of Object.entries(definition.configSchema)) {
      const format: unknown = isConfigLeaf(leaf) ? leaf.format : undefined;
      if (typeof format === 'string' && !Object.prototype.hasOwnProperty.call(FORMATS, format) && !definition.formats?.[format]) {
        problems.add([...path, key], `uses the format "${format}", which neither the library nor the definition's formats register`);
      }
      if (definition.section === 'map' && (!isConfigLeaf(leaf) || leaf.env !== undefined)) {
        problems.add([...path, key], 'a map entry schema holds only leaves, and none may read an environment variable');
      }
    }
  }
}

/** Every provider name a model id may use with this config: object sections and the entries of map sections. */
export function providerNamesOf(config: { providers: Record<string, unknown> }, definitions: readonly ProviderDefinition[]): string[] {
  return definitions.flatMap((definition) => {
    if (definition.section !== 'map') return [definition.id];
    const section = config.providers[definition.id];
    return isPlainObject(section) ? Object.keys(section) : [];
  });
}

/** The fields checked for placeholders: the definition's list, else its sensitive (secret) fields. */
function placeholderFieldsOf(definition: ProviderDefinition): string[] {
  return definition.placeholderFields ? [...definition.placeholderFields] : secretFieldsOf(definition);
}

/** `VLLM_API_KEY` for entry `vllm`, field `apiKey`: the variable the docs suggest for an entry's secret. */
function suggestedVariable(entry: string, field: string): string {
  const words = field.replace(/([a-z0-9])([A-Z])/g, '$1_$2');
  return `${entry}_${words}`.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

function checkPlaceholders(section: Record<string, unknown>, definition: ProviderDefinition, path: PathSegment[], entry: string | undefined, problems: ProblemList): void {
  for (const field of placeholderFieldsOf(definition)) {
    const value = section[field];
    if (typeof value !== 'string' || !looksLikePlaceholder(value)) continue;
    const leaf = leavesOf(definition).find(([key]) => key === field)?.[1];
    const env = typeof leaf?.env === 'string' ? leaf.env : undefined;
    const advice =
      entry !== undefined
        ? `put the real value here (e.g. "\${${suggestedVariable(entry, field)}}") or leave it empty`
        : env
          ? `set ${env} (or leave the key empty until you have one)`
          : `put the real value in ${formatPath([...path, field])} (or leave it empty until you have one)`;
    problems.add([...path, field], `looks like a placeholder: ${advice}`);
  }
}

/** Run a definition's own checks, skipping keys already reported (the schema said it first). */
function runValidate(definition: ProviderDefinition, section: unknown, path: string, problems: ProblemList): void {
  if (!definition.validate) return;
  for (const problem of definition.validate(section, path)) if (!problems.hasKey(problem.key)) problems.add(problem.key, problem.message);
}

/** The entries of a map section: names, shadowing, each entry against the entry schema. Returns the entries that are objects. */
function checkMapEntries(section: Record<string, unknown>, definition: ProviderDefinition, taken: ReadonlySet<string>, problems: ProblemList): Record<string, unknown> {
  const leaves = leavesOf(definition);
  const checks = Object.fromEntries(leaves.map(([key, leaf]) => [key, leafCheck(leaf)]));
  if (definition.takesFetch) checks.fetch = FORMATS['sb-function']!.check;
  const required = leaves.filter(([, leaf]) => leaf.default === null).map(([key]) => key);
  const entries: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(section)) {
    const path: PathSegment[] = ['providers', definition.id, name];
    if (!PROVIDER_NAME.test(name)) problems.add(path, 'provider names may hold only letters, digits, "-" and "_" (1-64 characters, not starting with "-" or "_")');
    else if (taken.has(name.toLowerCase())) problems.add(path, `"${name}" is already a provider name; give this entry another name`);
    if (!checkEntry(entry, checks, required, path, problems)) continue;
    checkPlaceholders(entry, definition, path, name, problems);
    entries[name] = entry;
  }
  return entries;
}

/**
 * The semantic checks of every provider section: placeholder secrets, map entries (names that do
 * not shadow another provider, the entry schema), then each definition's `validate`. `reserved`
 * holds names no map entry may take besides the definitions' own ids.
 */
export function checkProviderSections(
  config: { providers: Record<string, unknown> },
  definitions: readonly ProviderDefinition[],
  problems: ProblemList,
  reserved: readonly string[] = [],
): void {
  const taken = new Set([...reserved, ...definitions.filter((d) => d.section !== 'map').map((d) => d.id)].map((name) => name.toLowerCase()));
  for (const definition of definitions) {
    const section = config.providers[definition.id];
    if (!isPlainObject(section)) continue;
    const path = ['providers', definition.id];
    if (definition.section === 'map') {
      runValidate(definition, checkMapEntries(section, definition, taken, problems), formatPath(path), problems);
      // Two map sections must not both define a provider of the same name.
      for (const name of Object.keys(section)) taken.add(name.toLowerCase());
    } else {
      checkPlaceholders(section, definition, path, undefined, problems);
      runValidate(definition, section, formatPath(path), problems);
    }
  }
}

/** Fill each map entry's defaults (the leaves with a default value) once the config is valid. */
export function applyMapDefaults(config: { providers: Record<string, unknown> }, definitions: readonly ProviderDefinition[]): void {
  for (const definition of definitions) {
    const section = config.providers[definition.id];
    if (definition.section !== 'map' || !isPlainObject(section)) continue;
    const defaults = leavesOf(definition).filter(([, leaf]) => leaf.default !== null && leaf.default !== undefined);
    for (const entry of Object.values(section)) {
      if (!isPlainObject(entry)) continue;
      for (const [key, leaf] of defaults) if (entry[key] === undefined) entry[key] = structuredClone(leaf.default);
    }
  }
}

/**
 * Register the values of every sensitive field (object sections and map entries), whatever the
 * field is called: a credential-shaped name is registered anyway (register-config-secrets.ts), a
 * definition's secret with another name must be too.
 */
export function registerSectionSecrets(config: { providers: Record<string, unknown> }, definitions: readonly ProviderDefinition[], secrets: SecretRegistry): void {
  for (const definition of definitions) {
    const section = config.providers[definition.id];
    if (!isPlainObject(section)) continue;
    const secretFields = secretFieldsOf(definition);
    const holders = definition.section === 'map' ? Object.values(section).filter(isPlainObject) : [section];
    for (const holder of holders) for (const field of secretFields) if (typeof holder[field] === 'string') secrets.register(holder[field]);
  }
}

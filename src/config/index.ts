/**
 * Configuration: loading (files, programmatic config, environment), the model catalog, and the
 * SwitchboardConfig types. The provider sections come from provider definitions
 * (src/managers/builtin-providers.ts and user-land ones). See docs/configuration.md.
 */
export { loadConfig } from './load-config.js';
export type { DeepPartial, LoadConfigOptions } from './load-config.js';
export { loadCatalog } from './load-catalog.js';
export { validateConfig, BUILTIN_PROVIDERS } from './validate-config.js';
export type { ValidateConfigOptions } from './validate-config.js';
export { configField, fetchField, type ConfigFieldOptions, type ConfigLeaf, type ConfigSchemaNode, type NamedFormat } from './schema-fields.js';
export type * from './types.js';

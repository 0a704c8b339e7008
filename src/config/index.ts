/**
 * Configuration: loading (files, programmatic config, environment), the model catalog, and the
 * SwitchboardConfig types. See docs/configuration.md.
 */
export { loadConfig } from './load-config.js';
export type { DeepPartial, LoadConfigOptions } from './load-config.js';
export { loadCatalog } from './load-catalog.js';
export { validateConfig, BUILTIN_PROVIDERS } from './validate-config.js';
export type { ValidateConfigOptions } from './validate-config.js';
export type * from './types.js';

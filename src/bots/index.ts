/** Bot types: the registry that defines, validates and looks them up. */
export { BotRegistry, MAX_BOTS, type BotRegistryOptions } from './bot-registry.js';

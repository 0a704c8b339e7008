/**
 * Service identifiers for the Inversify container, all in one place (`Symbol.for`, so two copies
 * of the package agree). Only src/di/ binds them; only the composition root resolves them.
 */
export const TYPES = {
  Config: Symbol.for('llm-switchboard.Config'),
  Logger: Symbol.for('llm-switchboard.Logger'),
  /** The switchboard's SecretRegistry. */
  Secrets: Symbol.for('llm-switchboard.Secrets'),
  ModelCatalog: Symbol.for('llm-switchboard.ModelCatalog'),
  ModelCache: Symbol.for('llm-switchboard.ModelCache'),
  ManagerDeps: Symbol.for('llm-switchboard.ManagerDeps'),
  /** Every BaseLLMManager; the registry collects them with @multiInject. */
  LLMManager: Symbol.for('llm-switchboard.LLMManager'),
  ModelRegistry: Symbol.for('llm-switchboard.ModelRegistry'),
  Telemetry: Symbol.for('llm-switchboard.Telemetry'),
  AdapterManager: Symbol.for('llm-switchboard.AdapterManager'),
  BotRegistry: Symbol.for('llm-switchboard.BotRegistry'),
  SessionManager: Symbol.for('llm-switchboard.SessionManager'),
  ResponseCache: Symbol.for('llm-switchboard.ResponseCache'),
  Resilience: Symbol.for('llm-switchboard.Resilience'),
  Switchboard: Symbol.for('llm-switchboard.Switchboard'),
} as const;

/**
 * The managers of every provider definition (the built-ins and user-land ones), each bound under
 * TYPES.LLMManager for the registry's @multiInject. No provider is named here: a definition's
 * `create` builds its managers from its config section (one per entry for a map section).
 */
import { ContainerModule } from 'inversify';
import type { SwitchboardConfig } from '../config/types.js';
import { isPlainObject } from '../config/problems.js';
import type { BaseLLMManager, ManagerDeps } from '../managers/base-llm-manager.js';
import type { ProviderCreateOptions, ProviderDefinition } from '../managers/provider-definition.js';
import { TYPES } from './identifiers.js';

/** How many managers a definition's section yields: one, or one per entry of a map. */
function managerCount(definition: ProviderDefinition, section: unknown): number {
  if (definition.section !== 'map') return 1;
  return isPlainObject(section) ? Object.keys(section).length : 0;
}

/** The managers `create` returned, checked against what the section promised. */
function created(definition: ProviderDefinition, made: BaseLLMManager | BaseLLMManager[], expected: number): BaseLLMManager[] {
  const managers = Array.isArray(made) ? made : [made];
  if (managers.length !== expected) {
    throw new Error(`provider definition "${definition.id}": create returned ${managers.length} managers, expected ${expected} (one per ${definition.section === 'map' ? 'entry' : 'section'})`);
  }
  return managers;
}

/** Binds the managers of every definition, in list order, from the loaded config. */
export function providersModule(config: SwitchboardConfig, definitions: readonly ProviderDefinition[], options: ProviderCreateOptions = {}): ContainerModule {
  return new ContainerModule(({ bind }) => {
    for (const definition of definitions) {
      const section: unknown = config.providers[definition.id];
      const count = managerCount(definition, section);
      // One `create` per definition, however many managers it makes; each binding takes its own.
      let managers: BaseLLMManager[] | undefined;
      const build = (deps: ManagerDeps) => (managers ??= created(definition, definition.create(deps, section, options), count));
      for (let index = 0; index < count; index++) {
        bind<BaseLLMManager>(TYPES.LLMManager)
          .toDynamicValue((context) => build(context.get<ManagerDeps>(TYPES.ManagerDeps))[index]!)
          .inSingletonScope();
      }
    }
  });
}

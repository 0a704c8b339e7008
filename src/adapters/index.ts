/** Adapters: the contract, the manager, chains and stream pipelines, and the built-ins. */
export type { ActiveAdapter, Adapter, AdapterContext, AdapterFactory, AdapterTarget, StreamPipeline, StreamTransformer } from './adapter.js';
export { AdapterChain, changesRequest, stableStringify } from './adapter-chain.js';
export { AdapterManager, type AdapterManagerOptions } from './adapter-manager.js';
export { AdapterStreamPipeline, applyToWholeText } from './stream-pipeline.js';
export * from './builtin/index.js';

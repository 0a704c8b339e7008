/** Sessions: the manager, the store contracts (sessions and their histories) and the in-memory stores. */
export { SessionManager, MAX_METADATA_BYTES, type HistoryScope, type SessionManagerOptions, type StartSessionOptions } from './session-manager.js';
export { MemorySessionStore, type MemorySessionStoreOptions } from './memory-session-store.js';
export { MemoryHistoryStore, type HistoryLimits, type HistoryStore } from './history-store.js';
export { cloneSession, MAX_TIMER_MS, type Session, type SessionStore } from './session-store.js';

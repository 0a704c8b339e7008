/** Sessions: the manager, the store contract and the in-memory store. */
export { SessionManager, MAX_METADATA_BYTES, type SessionManagerOptions, type StartSessionOptions } from './session-manager.js';
export { MemorySessionStore, type MemorySessionStoreOptions } from './memory-session-store.js';
export { cloneSession, MAX_TIMER_MS, type Session, type SessionStore } from './session-store.js';

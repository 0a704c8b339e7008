/**
 * In-process events for platforms that bill or log themselves (`sb.events`). Listeners run
 * synchronously after the telemetry of the step they describe; a throwing or rejecting listener is
 * logged and never reaches the call. Listeners per event are capped so a per-call `on` leak shows up
 * as a warning instead of unbounded memory.
 */
import type { Logger } from '../core/logger.js';
import { scrubKeyShapes } from '../core/secrets.js';
import type { FinishReason, Usage } from '../core/types.js';

/** An error as events carry it: no stack, no upstream objects. */
export interface EventError {
  name: string;
  code: string;
  message: string;
}

/** A call that succeeded (cached answers included). */
export interface CallFinishedEvent {
  bot?: string;
  sessionId?: string;
  /** The call's tenant (the session's, the gateway key's or the caller's `tenantId`), for billing. */
  tenantId?: string;
  /** The session's user, when it has one. */
  userId?: string;
  /** `provider:model` that answered. */
  model: string;
  usage: Usage;
  costUsd: number | null;
  latencyMs: number;
  cached: boolean;
  attempts: number;
  adapters: string[];
  finishReason: FinishReason | string;
  /** `embeddings` for an `sb.embed` call (usage then has input tokens only); absent for generations. */
  operation?: 'embeddings';
}

/** A call that failed after every candidate. */
export interface CallFailedEvent {
  bot?: string;
  sessionId?: string;
  tenantId?: string;
  userId?: string;
  /** The primary `provider:model` of the call. */
  model: string;
  error: EventError;
  attempts: number;
  /** `embeddings` for an `sb.embed` call; absent for generations. */
  operation?: 'embeddings';
}

/** A failed attempt that will be tried again. */
export interface RetryEvent {
  provider: string;
  model: string;
  bot?: string;
  /** The attempt that failed (1-based). */
  attempt: number;
  delayMs: number;
  error: EventError;
  /** The deployment the failed attempt went to (its configured name), when the provider has deployments. */
  deployment?: string;
}

/** A move from a failed candidate to the next. */
export interface FallbackEvent {
  bot?: string;
  from: string;
  to: string;
  error: EventError;
  /** The last deployment of `from` an attempt went to (its configured name), when its provider has deployments. */
  deployment?: string;
}

/** A response served from the response cache. */
export interface CacheHitEvent {
  bot?: string;
  sessionId?: string;
  model: string;
}

/** A call named a model the catalog marks deprecated: once per model per switchboard. */
export interface ModelDeprecatedEvent {
  /** The deprecated `provider:model` a call named. */
  model: string;
  since?: string;
  /** The replacement as a `provider:model` id, when the catalog names one. */
  replacement?: string;
  /** True when calls to `model` go to `replacement` (config `redirectDeprecated: true`). */
  redirected: boolean;
}

/** Event names and their payloads. */
export interface SwitchboardEventMap {
  'call.finished': CallFinishedEvent;
  'call.failed': CallFailedEvent;
  retry: RetryEvent;
  fallback: FallbackEvent;
  'cache.hit': CacheHitEvent;
  'model.deprecated': ModelDeprecatedEvent;
}

/** An event name. */
export type SwitchboardEventName = keyof SwitchboardEventMap;

/** A listener; a returned promise is awaited only to log its rejection. */
export type SwitchboardListener<K extends SwitchboardEventName> = (event: SwitchboardEventMap[K]) => void | Promise<void>;

/** Default cap on listeners per event. */
export const DEFAULT_MAX_LISTENERS = 100;

/**
 * The plain form of an error for events and logs. Error messages are clean where they are made (secrets.ts);
 * key shapes are hidden once more, with no registry, since a platform may forward events to its users.
 */
export function eventError(error: unknown): EventError {
  const e = error as { name?: unknown; code?: unknown; message?: unknown } | null;
  return {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    code: typeof e?.code === 'string' ? e.code : 'unknown',
    message: scrubKeyShapes(typeof e?.message === 'string' ? e.message : String(error)),
  };
}

/** A small typed emitter whose listeners can never break the emitter's caller. */
export class SwitchboardEvents {
  private readonly listeners = new Map<SwitchboardEventName, Set<SwitchboardListener<SwitchboardEventName>>>();

  constructor(
    private readonly logger?: Logger,
    private readonly maxListeners: number = DEFAULT_MAX_LISTENERS,
  ) {}

  /**
   * Add a listener (once: adding the same function again changes nothing). Past the per-event cap
   * the listener is not added and a warning is logged. Returns a function that removes it.
   */
  on<K extends SwitchboardEventName>(name: K, listener: SwitchboardListener<K>): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    const stored = listener as SwitchboardListener<SwitchboardEventName>;
    if (!set.has(stored) && set.size >= this.maxListeners) {
      this.logger?.warn('event listener not added: too many listeners', { event: name, max: this.maxListeners });
      return () => undefined;
    }
    set.add(stored);
    return () => this.off(name, listener);
  }

  /** Remove a listener. */
  off<K extends SwitchboardEventName>(name: K, listener: SwitchboardListener<K>): void {
    this.listeners.get(name)?.delete(listener as SwitchboardListener<SwitchboardEventName>);
  }

  /** Listeners of `name`. */
  listenerCount(name: SwitchboardEventName): number {
    return this.listeners.get(name)?.size ?? 0;
  }

  /** True when anyone listens (lets callers skip building a payload). */
  hasListeners(name: SwitchboardEventName): boolean {
    return this.listenerCount(name) > 0;
  }

  /** Deliver `event` to every listener of `name`; failures are logged, never thrown. */
  emit<K extends SwitchboardEventName>(name: K, event: SwitchboardEventMap[K]): void {
    const set = this.listeners.get(name);
    if (!set || set.size === 0) return;
    // A copy: a listener that removes itself (or adds another) must not disturb this delivery.
    for (const listener of [...set]) {
      try {
        const returned = listener(event);
        if (returned && typeof (returned as Promise<void>).then === 'function') {
          (returned as Promise<void>).then(undefined, (error: unknown) => this.report(name, error));
        }
      } catch (error) {
        this.report(name, error);
      }
    }
  }

  private report(name: SwitchboardEventName, error: unknown): void {
    try {
      this.logger?.warn('event listener failed', { event: name, error: eventError(error) });
    } catch {
      // A broken logger must not turn a listener failure into a call failure.
    }
  }
}

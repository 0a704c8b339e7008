/**
 * Deprecations act (API.md "Events"): a call that names a model the catalog marks `deprecated` logs
 * one warning per model per switchboard, naming the replacement when the catalog gives one, and emits
 * one `model.deprecated` event. With config `redirectDeprecated: true` the call goes to the
 * replacement instead (the result's `model` and the telemetry then name the model actually called).
 *
 * The call path asks this of every candidate while planning, so a model that is not deprecated costs
 * one catalog look-up and no allocation.
 */
import type { Logger } from '../core/logger.js';
import type { ModelInfo } from '../core/types.js';
import type { ModelDeprecatedEvent } from '../telemetry/events.js';

/** What the router consults and reports to. */
export interface DeprecationServices {
  /** The catalog's deprecation of a `provider:model`, or undefined (ModelRegistry.deprecationOf). */
  lookup(id: string): ModelInfo['deprecated'] | undefined;
  /** Is a provider registered? (tells `provider:model` replacements from bare model names) */
  hasProvider(provider: string): boolean;
  /** Config `redirectDeprecated`. */
  redirect: boolean;
  logger: Logger;
  /** Emits `model.deprecated` (the events emitter, which never throws into the call). */
  emit(event: ModelDeprecatedEvent): void;
  /** How many models the catalog knows: the bound of the warned set. */
  catalogSize(): number;
}

/** Replacements followed when a replacement is itself deprecated. */
const MAX_HOPS = 4;
/** The warned set never needs fewer slots than this, even for a tiny catalog that grows by discovery. */
const MIN_WARNED = 64;

/** One switchboard's deprecation handling: warned-once set and redirects. */
export class DeprecationRouter {
  /** Deprecated models already warned about: catalog ids only, so bounded by the catalog. */
  private readonly warned = new Set<string>();

  constructor(private readonly services: DeprecationServices) {}

  /**
   * The candidates to call, in order: `candidates` itself (the same array) when none is deprecated or
   * redirection is off; otherwise a copy with each deprecated model replaced, without repeats.
   * Warns once per deprecated model either way.
   */
  route(candidates: string[]): string[] {
    let routed: string[] | undefined;
    for (let index = 0; index < candidates.length; index++) {
      const id = candidates[index]!;
      const deprecated = this.services.lookup(id);
      const target = deprecated ? this.targetOf(id, deprecated) : id;
      if (routed === undefined) {
        if (target === id) continue;
        routed = candidates.slice(0, index);
      }
      if (!routed.includes(target)) routed.push(target);
    }
    return routed ?? candidates;
  }

  /** Where a call to the deprecated `id` goes (itself unless redirected); warns about each deprecated model on the way. */
  private targetOf(id: string, deprecated: NonNullable<ModelInfo['deprecated']>): string {
    const replacement = this.replacementOf(id, deprecated);
    this.warnOnce(id, deprecated, replacement);
    if (!this.services.redirect || replacement === undefined) return id;
    const seen = new Set([id]);
    let current = replacement;
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      const further = this.services.lookup(current);
      if (!further) return current;
      const next = this.replacementOf(current, further);
      this.warnOnce(current, further, next);
      if (next === undefined || seen.has(next)) return current;
      seen.add(current);
      current = next;
    }
    return current;
  }

  /**
   * The replacement as a `provider:model` id: as written when it starts with a registered provider's
   * name, else a model of the same provider (catalogs write `"replacement": "gpt-5-mini"`).
   */
  private replacementOf(id: string, deprecated: NonNullable<ModelInfo['deprecated']>): string | undefined {
    const replacement = deprecated.replacement;
    if (replacement === undefined || replacement === '') return undefined;
    const colon = replacement.indexOf(':');
    if (colon > 0 && this.services.hasProvider(replacement.slice(0, colon))) return replacement;
    return `${id.slice(0, id.indexOf(':'))}:${replacement}`;
  }

  private warnOnce(id: string, deprecated: NonNullable<ModelInfo['deprecated']>, replacement: string | undefined): void {
    if (this.warned.has(id) || this.warned.size >= Math.max(MIN_WARNED, this.services.catalogSize())) return;
    this.warned.add(id);
    const redirected = this.services.redirect && replacement !== undefined;
    const since = deprecated.since ? ` since ${deprecated.since}` : '';
    const advice = replacement === undefined ? 'the catalog names no replacement' : redirected ? `calls go to ${replacement} (redirectDeprecated)` : `use ${replacement}, or set redirectDeprecated: true`;
    const event: ModelDeprecatedEvent = { model: id, redirected };
    if (deprecated.since !== undefined) event.since = deprecated.since;
    if (replacement !== undefined) event.replacement = replacement;
    try {
      this.services.logger.warn(`${id} is deprecated${since}; ${advice}`, { ...event });
    } catch {
      // A broken logger must not break the call that named the model.
    }
    this.services.emit(event);
  }
}

/** The router of one switchboard: its registry's catalog, config `redirectDeprecated`, its logger and events. */
export function deprecationRouterFor(
  registry: { deprecationOf(id: string): ModelInfo['deprecated'] | undefined; hasProvider(provider: string): boolean; readonly catalogSize: number },
  options: { redirect: boolean | undefined; logger: Logger; events: { emit(name: 'model.deprecated', event: ModelDeprecatedEvent): void } },
): DeprecationRouter {
  return new DeprecationRouter({
    lookup: (id) => registry.deprecationOf(id),
    hasProvider: (provider) => registry.hasProvider(provider),
    redirect: options.redirect === true,
    logger: options.logger,
    emit: (event) => options.events.emit('model.deprecated', event),
    catalogSize: () => registry.catalogSize,
  });
}

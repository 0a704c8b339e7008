/**
 * Bounded label values for metrics and stats (RELIABILITY.md "Caller-controlled sizes are bounded").
 * A model or bot name a caller sent becomes a label only when it comes from a bounded set: catalog
 * models (configured and discovered), models and names of configured bots, and models that answered
 * successfully, up to `telemetry.maxModelLabels`. Everything else counts as `other`, so no caller can
 * grow `/metrics`, `sb.stats()` or the memo of attribute sets by inventing names. Upstream response
 * models are admitted the same way, with their own cap.
 */

/** The label of every value outside the bounded set. */
export const OTHER_LABEL = 'other';

/** What the composition root tells the labels about the switchboard. */
export interface KnownNames {
  /** Is `provider:model` in the catalog or named by a bot? */
  model(id: string): boolean;
  /** Is this a configured bot? */
  bot(name: string): boolean;
  /** Is this a configured tenant (`tenants.<id>`)? Absent: no tenant is. */
  tenant?(id: string): boolean;
}

/** The bounded label sets of one switchboard. */
export class MetricLabels {
  /** Unset for telemetry used on its own (no switchboard): then names are admitted on first sight, up to the cap. */
  private known: KnownNames | undefined;
  private readonly admittedModels = new Set<string>();
  private readonly admittedBots = new Set<string>();
  private readonly admittedResponseModels = new Set<string>();

  /** `max`: dynamic models (and, separately, response models) admitted after answering. */
  constructor(private readonly max: number = 1000) {}

  /** Wire in what the switchboard knows (set by the composition root, after the catalog and bots exist). */
  setKnown(known: KnownNames): void {
    this.known = known;
  }

  /** The label of `model` of `provider` (`provider:model` must be known or admitted). */
  model(provider: string, model: string): string {
    return this.hasModel(`${provider}:${model}`) ? model : OTHER_LABEL;
  }

  /** The label of a `provider:model` id, as a whole id (`openai:other` when outside the set). */
  modelId(provider: string, model: string): string {
    const id = `${provider}:${model}`;
    return this.hasModel(id) ? id : `${provider}:${OTHER_LABEL}`;
  }

  /** A bot label: configured bots only (an unknown bot a caller named is `other`). */
  bot(name: string | undefined): string | undefined {
    if (name === undefined) return undefined;
    if (this.known) return this.known.bot(name) ? name : OTHER_LABEL;
    return admit(this.admittedBots, name, this.max) ? name : OTHER_LABEL;
  }

  /**
   * A tenant label: configured tenants only, any other tenant id is `other`, no tenant none. Tenant ids
   * are the callers' (a gateway key's, a session's), so none is admitted on sight: without known names
   * (telemetry on its own) every tenant is `other`.
   */
  tenant(id: string | undefined): string | undefined {
    if (id === undefined) return undefined;
    return this.known?.tenant?.(id) ? id : OTHER_LABEL;
  }

  /** A model answered: from now on it is its own label (while there is room). */
  admitModel(provider: string, model: string): void {
    const id = `${provider}:${model}`;
    if (!this.known?.model(id)) admit(this.admittedModels, id, this.max);
  }

  private hasModel(id: string): boolean {
    if (this.admittedModels.has(id)) return true;
    if (this.known) return this.known.model(id);
    return admit(this.admittedModels, id, this.max);
  }

  /** The label of a response model an upstream reported (admitted on first sight while there is room). */
  responseModel(value: string | undefined): string | undefined {
    if (value === undefined) return undefined;
    return admit(this.admittedResponseModels, value, this.max) ? value : OTHER_LABEL;
  }
}

/** Is `value` in `set`, adding it while the set has room? */
function admit(set: Set<string>, value: string, max: number): boolean {
  if (set.has(value)) return true;
  if (set.size >= max) return false;
  set.add(value);
  return true;
}

/**
 * Choosing a bot's model by capability (API.md "Bots"): `model: { capabilities, providers?,
 * maxInputPerMTok? }` resolves to the cheapest (input + output USD per million tokens) catalog model
 * that is ready, not deprecated, a chat model, priced, and has every capability asked for; the next
 * cheapest (up to MAX_CHOSEN_FALLBACKS) become the fallbacks, unless the bot lists its own, which then
 * stand as written. A model without a price is never chosen: "cheapest" cannot rank it, and a made-up
 * 0 would always win. Resolution runs when the bot is defined and again after `registry.refreshModels()`.
 */
import type { BotConfig, BotDefinition, ModelChoice } from '../config/types.js';
import type { Logger } from '../core/logger.js';
import type { ConfigProblem, ModelInfo } from '../core/types.js';

/** Where the models a choice picks from come from (the switchboard's registry). */
export interface ModelSource {
  /** Catalog and discovered models, deprecated ones left out (ModelRegistry.listModels()). */
  listModels(): ModelInfo[];
  /** Is this provider registered and ready? */
  isReady(provider: string): boolean;
}

/** Fallbacks a choice adds after its primary: each one is a full retry cycle when the call keeps failing. */
export const MAX_CHOSEN_FALLBACKS = 3;

/** What a model costs per million tokens in and out: the ranking key. */
function priceOf(info: ModelInfo): number {
  return info.pricing!.inputPerMTok + info.pricing!.outputPerMTok;
}

/** Every model that satisfies `choice`, cheapest first (ties by id, so the order is stable). */
export function rankModels(choice: ModelChoice, source: ModelSource): ModelInfo[] {
  const providers = choice.providers ? new Set(choice.providers) : undefined;
  const readiness = new Map<string, boolean>();
  const ready = (provider: string): boolean => {
    let known = readiness.get(provider);
    if (known === undefined) {
      known = source.isReady(provider);
      readiness.set(provider, known);
    }
    return known;
  };
  return source
    .listModels()
    .filter(
      (info) =>
        info.pricing !== undefined &&
        !info.deprecated &&
        (info.kind ?? 'chat') === 'chat' &&
        (providers === undefined || providers.has(info.provider)) &&
        (choice.maxInputPerMTok === undefined || info.pricing.inputPerMTok <= choice.maxInputPerMTok) &&
        choice.capabilities.every((capability) => info.capabilities[capability] === true) &&
        ready(info.provider),
    )
    .sort((a, b) => priceOf(a) - priceOf(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The requirement in words, for problems and listings: `tools, vision from openai, anthropic, input at most $1/MTok`. */
export function describeChoice(choice: ModelChoice): string {
  let text = `the capabilities ${choice.capabilities.join(', ')}`;
  if (choice.providers) text += ` from ${choice.providers.join(', ')}`;
  if (choice.maxInputPerMTok !== undefined) text += `, input at most $${choice.maxInputPerMTok}/MTok`;
  return text;
}

/**
 * The bot as the switchboard holds it: `definition` with its choice resolved to ids, or the problem
 * (at `bots.<name>.model`) when no model satisfies it. A bot that names its model is returned as it is.
 */
export function resolveBot(name: string, definition: BotDefinition, source: ModelSource | undefined): { bot: BotConfig } | { problem: ConfigProblem } {
  const { model, ...rest } = definition;
  if (typeof model === 'string') return { bot: { ...rest, model } };
  const key = `bots.${name}.model`;
  if (!source) return { problem: { key, message: 'a model chosen by capability needs the switchboard catalog (define the bot through sb.bots)' } };
  const ranked = rankModels(model, source);
  if (ranked.length === 0) {
    return {
      problem: {
        key,
        message: `no ready, non-deprecated, priced catalog model has ${describeChoice(model)}; add one to the catalog (with pricing), set its provider's credentials, or ask for less`,
      },
    };
  }
  const primary = ranked[0]!.id;
  const fallbacks = definition.fallbacks ? definition.fallbacks.filter((id) => id !== primary) : ranked.slice(1, 1 + MAX_CHOSEN_FALLBACKS).map((info) => info.id);
  const bot: BotConfig = { ...rest, model: primary, modelChoice: model };
  if (fallbacks.length > 0) bot.fallbacks = fallbacks;
  else delete bot.fallbacks;
  return { bot };
}

/** What `connectModelChoices` wires: the bot registry's side of it. */
export interface ChoosingBots {
  useModels(source: ModelSource): void;
  /** Resolve every bot chosen by capability again; the problems of those left as they were. */
  rechoose(): ConfigProblem[];
}

/**
 * Let `bots` choose from `registry`'s models, and choose again after every refresh: a bot whose
 * requirement nothing meets any more keeps its models (a warning says so) rather than failing calls.
 */
export function connectModelChoices(
  bots: ChoosingBots,
  registry: { listModels(): ModelInfo[]; isReady(provider: string): boolean; onRefresh(listener: () => void): void },
  logger: Logger,
): void {
  bots.useModels({ listModels: () => registry.listModels(), isReady: (provider) => registry.isReady(provider) });
  registry.onRefresh(() => {
    for (const problem of bots.rechoose()) logger.warn(`bot model not re-chosen after the refresh; it keeps its models: ${problem.message}`, { key: problem.key });
  });
}

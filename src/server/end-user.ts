/**
 * OpenAI's `user` field (an end-user id for the provider's abuse monitoring) forwarded to the
 * providers of a call whose wire format has such a field: OpenAI-shaped ones (`user`) and Anthropic
 * (`metadata.user_id`), through `providerOptions` (the only way extra fields reach a body). Ollama,
 * HuggingFace and llama.cpp have no such field (docs/gateway.md says so); with a bot, `user` also
 * names the session and becomes its `userId` (session-resolution.ts).
 *
 * A request's providerOptions replace its bot's whole, so the bot's own are carried over here: a
 * bot's configured options must not vanish because a client sent `user`.
 */
import { AnthropicManager } from '../managers/anthropic/anthropic-manager.js';
import { OpenAIManager } from '../managers/openai/openai-manager.js';
import type { BaseLLMManager } from '../managers/base-llm-manager.js';
import type { ProviderOptions } from '../core/types.js';
import { splitModelId } from '../registry/model-catalog.js';
import type { Switchboard } from '../switchboard.js';
import type { CallRoute } from './session-resolution.js';

/** The body fields that carry an end-user id on `manager`'s wire, on top of `existing` options; undefined when it has none. */
function endUserFields(manager: BaseLLMManager, user: string, existing: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (manager instanceof OpenAIManager) return { ...existing, user };
  if (manager instanceof AnthropicManager) {
    const metadata = existing?.metadata;
    return { ...existing, metadata: { ...(typeof metadata === 'object' && metadata !== null ? metadata : {}), user_id: user } };
  }
  return undefined;
}

/** The models a route may call: the model, or the bot's primary and fallbacks. */
function routeCandidates(sb: Switchboard, route: CallRoute): { models: string[]; botOptions?: ProviderOptions } {
  if ('model' in route.target) return { models: [route.target.model] };
  const bot = sb.bots.get('bot' in route.target ? route.target.bot : (route.session?.bot ?? ''));
  if (!bot) return { models: [] };
  return { models: [bot.model, ...(bot.fallbacks ?? [])], botOptions: bot.providerOptions };
}

/**
 * The providerOptions that carry `user` to every provider of the route that takes one (the bot's own
 * options kept), or undefined when none does (the call then needs no providerOptions of its own).
 */
export function endUserOptions(sb: Switchboard, route: CallRoute, user: string | undefined): ProviderOptions | undefined {
  if (user === undefined) return undefined;
  const { models, botOptions } = routeCandidates(sb, route);
  let options: ProviderOptions | undefined;
  for (const model of models) {
    const provider = splitModelId(model)?.provider;
    if (provider === undefined || !sb.registry.hasProvider(provider) || options?.[provider]) continue;
    const fields = endUserFields(sb.registry.getManager(provider), user, botOptions?.[provider]);
    if (fields) (options ??= { ...botOptions })[provider] = fields;
  }
  return options;
}

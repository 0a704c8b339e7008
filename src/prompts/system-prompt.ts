/**
 * Bot system prompts with session metadata variables (API.md "Prompt templates and chains",
 * docs/prompts.md "Bot system prompts with session metadata"): `system: 'You help {customer} customers'` is rendered per call
 * from the session's `metadata`. A system prompt is parsed once per bot definition (the BotRegistry
 * does it when a bot is defined); one without `{identifier}` variables is sent exactly as written,
 * escapes and JSON included, and costs one WeakMap look-up per call. A call whose system prompt needs a
 * value it cannot have (no session, a field missing, a value that is not text or a number) is an
 * InvalidRequestError naming the variable, before any network call.
 */
import type { BotConfig } from '../config/types.js';
import { InvalidRequestError } from '../core/errors.js';
import { excerpt } from '../core/secrets.js';
import type { Session } from '../sessions/session-store.js';
import { withContext } from './error-context.js';
import { missingVariables, PromptTemplate, renderTemplate, variableList } from './prompt-template.js';

/** Parsed system prompts by bot definition (stored definitions are frozen: replaced, never edited). */
const parsed = new WeakMap<BotConfig, PromptTemplate | null>();

/** A bot's system prompt as a template when it names variables; undefined when it is sent as written. */
export function systemTemplateOf(bot: BotConfig): PromptTemplate | undefined {
  let template = parsed.get(bot);
  if (template === undefined) {
    const candidate = typeof bot.system === 'string' ? new PromptTemplate(bot.system) : undefined;
    template = candidate && candidate.variables.length > 0 ? candidate : null;
    parsed.set(bot, template);
  }
  return template ?? undefined;
}

/**
 * The system prompt a call of bot `name` sends: as written, or rendered from `session.metadata` (own
 * fields only; strings and finite numbers). No session, or a field missing, is an InvalidRequestError
 * naming the variables; the metadata values are never shown.
 */
export function systemPromptFor(name: string, bot: BotConfig, session: Session | undefined): string | undefined {
  const template = systemTemplateOf(bot);
  if (!template) return bot.system;
  // Built only for a message: the happy path renders and nothing else.
  const where = () => `The system prompt of bot "${excerpt(name, 64)}"`;
  if (!session) {
    throw new InvalidRequestError(
      `${where()} uses session metadata (the variable${template.variables.length === 1 ? '' : 's'} ${variableList(template.variables)}): call it with a sessionId from sb.sessions.start({ bot, metadata })`,
    );
  }
  const missing = missingVariables(template.variables, session.metadata);
  if (missing.length > 0) {
    throw new InvalidRequestError(`${where()} uses the variable${missing.length === 1 ? '' : 's'} ${variableList(missing)}, missing from this session's metadata; start the session with metadata that has ${missing.length === 1 ? 'it' : 'them'}`);
  }
  try {
    return renderTemplate(template, session.metadata, 'session metadata');
  } catch (error) {
    throw withContext(error as InvalidRequestError, where());
  }
}

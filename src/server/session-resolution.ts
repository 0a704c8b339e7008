/**
 * Which switchboard target a gateway request calls: `model` is `bot:<name>` or `provider:model`;
 * `X-Session-Id` (or, with a bot, OpenAI's `user` field) names a session. An unknown session id starts
 * a session of that bot with that id, the caller's tenant and the configured TTL; a known one must
 * belong to the same bot and tenant. The caller's tenant also goes on every call (`tenantId`), which
 * scopes the response cache, so tenants never share cached answers.
 */
import { NoSuchModelError } from '../core/errors.js';
import { splitModelId } from '../registry/model-catalog.js';
import { excerpt } from '../core/secrets.js';
import type { Session } from '../sessions/session-store.js';
import type { Switchboard } from '../switchboard.js';
import { botsOnlyRefusal, type Caller } from './auth.js';
import { GatewayHttpError } from './errors.js';

/** The header that names a session. */
export const SESSION_HEADER = 'x-session-id';

/** What the request asked for. */
export interface RouteInput {
  /** The body's `model`. */
  model: string;
  /** The X-Session-Id header, when sent. */
  sessionHeader?: string;
  /** The body's `user`, when sent. */
  user?: string;
  caller: Caller;
}

/** The target to call, and the session it runs in. */
export interface CallRoute {
  target: { model: string } | { bot: string } | { sessionId: string };
  sessionId?: string;
  /** The caller's tenant, for the call's `tenantId`. */
  tenantId?: string;
  /** The session as read here, handed to the call so the store is not read again. */
  session?: Session;
}

const BOT_PREFIX = 'bot:';
const SESSION_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

function checkSessionId(id: string, from: 'header' | 'user'): string {
  if (SESSION_ID.test(id)) return id;
  const what = from === 'header' ? 'The X-Session-Id header' : 'The user field (it names the session when model is a bot)';
  throw GatewayHttpError.invalid(`${what} must be 1-128 characters of letters, digits, "_", ".", ":" or "-"`, from === 'header' ? 'X-Session-Id' : 'user');
}

function botOf(model: string, sb: Switchboard): string | undefined {
  if (!model.startsWith(BOT_PREFIX)) {
    if (!splitModelId(model)) {
      throw new NoSuchModelError(`The model "${excerpt(model)}" does not exist here: use "bot:<name>" for a bot (GET /v1/models lists them) or "provider:model" such as "openai:gpt-4o-mini"`);
    }
    return undefined;
  }
  const bot = model.slice(BOT_PREFIX.length);
  if (bot === '') throw GatewayHttpError.invalid('model "bot:" needs a bot name, e.g. "bot:support"', 'model');
  if (!sb.bots.has(bot)) {
    const known = sb.bots.list();
    throw new NoSuchModelError(`Unknown bot "${excerpt(bot)}"${known.length ? `; defined bots: ${known.slice(0, 20).map((name) => `bot:${name}`).join(', ')}` : '; no bots are defined'}`);
  }
  return bot;
}

/** The live session with this id, starting it when unknown (two racing requests end up in one session). */
async function findOrStart(sb: Switchboard, id: string, bot: string, caller: Caller, userId: string | undefined): Promise<Session> {
  const existing = await sb.sessions.get(id);
  if (existing) return existing;
  try {
    return await sb.sessions.start({ bot, id, tenantId: caller.tenant, userId });
  } catch (error) {
    const raced = await sb.sessions.get(id);
    if (raced) return raced;
    throw error;
  }
}

/** Resolve the target of one request; 400/403/404 for what cannot be called. */
export async function resolveRoute(sb: Switchboard, input: RouteInput): Promise<CallRoute> {
  const bot = botOf(input.model, sb);
  if (bot === undefined && input.caller.botsOnly) throw botsOnlyRefusal();
  const fromHeader = input.sessionHeader !== undefined;
  // Without a bot, `user` is only OpenAI's end-user tag; it names a session only for bots.
  const rawId = input.sessionHeader ?? (bot !== undefined ? input.user : undefined);
  const tenant = input.caller.tenant === undefined ? {} : { tenantId: input.caller.tenant };
  if (rawId === undefined) return { target: bot !== undefined ? { bot } : { model: input.model }, ...tenant };
  if (bot === undefined) {
    throw GatewayHttpError.invalid('X-Session-Id names a session of a bot: set model to "bot:<name>" (or drop the header to call a model directly)', 'model');
  }
  const id = checkSessionId(rawId, fromHeader ? 'header' : 'user');
  const session = await findOrStart(sb, id, bot, input.caller, input.user);
  if (session.tenantId !== input.caller.tenant) {
    // Ids are chosen by clients, so one being taken cannot be hidden; whose it is can.
    throw new GatewayHttpError(403, 'This session id cannot be used with this API key; choose another session id', 'permission_error', 'session_forbidden', fromHeader ? 'X-Session-Id' : 'user');
  }
  if (session.bot !== bot) {
    throw GatewayHttpError.invalid(`This session is a session of bot "${session.bot}", not "${bot}": send model "bot:${session.bot}" or choose another session id`, 'model', 'session_bot_mismatch');
  }
  return { target: { sessionId: id }, sessionId: id, session, ...tenant };
}

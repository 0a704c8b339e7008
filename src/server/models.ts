/**
 * `GET /v1/models` and `GET /v1/models/<id>` in OpenAI's list shape: every bot as `bot:<name>`, then
 * the catalog (and discovered) models of registered providers, each with an `x_switchboard` note
 * saying what it is and whether it can be called now.
 */
import type { FastifyInstance } from 'fastify';
import { NoSuchModelError } from '../core/errors.js';
import { excerpt } from '../core/secrets.js';
import type { ModelInfo } from '../core/types.js';
import type { Switchboard } from '../switchboard.js';
import type { Caller } from './auth.js';
import { callerOf, type GatewayContext } from './context.js';

/** One entry of the list. */
export interface ModelEntry {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  x_switchboard: Record<string, unknown>;
}

function readyProviders(sb: Switchboard): Set<string> {
  return new Set(sb.registry.listProviders().filter((status) => status.ready).map((status) => status.name));
}

function botEntry(sb: Switchboard, name: string, created: number, ready: Set<string>): ModelEntry {
  const callable = sb.bots.candidates(name).some((model) => ready.has(model.split(':')[0]!));
  return { id: `bot:${name}`, object: 'model', created, owned_by: 'llm-switchboard', x_switchboard: { kind: 'bot', ready: callable } };
}

function modelEntry(info: ModelInfo, created: number, ready: Set<string>): ModelEntry {
  const note: Record<string, unknown> = { kind: 'model', ready: ready.has(info.provider), local: info.local };
  if (info.contextWindow !== undefined) note.context_window = info.contextWindow;
  if (info.deprecated) note.deprecated = info.deprecated;
  return { id: info.id, object: 'model', created, owned_by: info.provider, x_switchboard: note };
}

/** May this caller call bot `name`? (its tenant's allowedBots) */
function mayCallBot(sb: Switchboard, caller: Caller, name: string): boolean {
  return sb.tenants?.mayCallBot(caller.tenant, name) ?? true;
}

/** May this caller call `id` directly? (not with a bots-only key; its tenant's allowedModels) */
function mayCallModel(sb: Switchboard, caller: Caller, id: string): boolean {
  return !caller.botsOnly && (sb.tenants?.mayCallModel(caller.tenant, id) ?? true);
}

/** Bots first (sorted), then models of registered providers (sorted): those `caller` may call. */
export function listModelEntries(sb: Switchboard, created: number, caller: Caller = {}): ModelEntry[] {
  const ready = readyProviders(sb);
  const bots = [...sb.bots.list()]
    .filter((name) => mayCallBot(sb, caller, name))
    .sort()
    .map((name) => botEntry(sb, name, created, ready));
  const models = sb.registry
    .listModels()
    .filter((info) => sb.registry.hasProvider(info.provider) && mayCallModel(sb, caller, info.id))
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((info) => modelEntry(info, created, ready));
  return [...bots, ...models];
}

/** Register the model routes. */
export function registerModels(app: FastifyInstance, context: GatewayContext): void {
  app.get('/v1/models', async (request) => ({ object: 'list', data: listModelEntries(context.sb, context.startedAt, callerOf(context, request)) }));

  // Model ids hold ':' and '/' (huggingface:meta-llama/Llama-3.1-8B-Instruct): take the rest of the path.
  app.get('/v1/models/*', async (request) => {
    const id = (request.params as { '*': string })['*'];
    const { sb } = context;
    const caller = callerOf(context, request);
    if (id.startsWith('bot:')) {
      const name = id.slice(4);
      // What this caller may not call is not listed, so it is not found either.
      if (!sb.bots.has(name) || !mayCallBot(sb, caller, name)) throw new NoSuchModelError(`Unknown bot "${excerpt(name)}"`);
      return botEntry(sb, name, context.startedAt, readyProviders(sb));
    }
    // Only what GET /v1/models lists: a hosted provider may still answer a name nobody listed, but an
    // entry made up for any name would tell a client that every typo exists.
    const info = sb.registry.listedModel(id);
    if (!info || !mayCallModel(sb, caller, info.id)) throw new NoSuchModelError('No such model: neither the catalog nor discovery lists this id (GET /v1/models lists every model)');
    return modelEntry(info, context.startedAt, readyProviders(sb));
  });
}

/**
 * `POST /v1/completions`: OpenAI's legacy text completion (one `prompt` string) answered by a bot,
 * a session or a model, as `text_completion` JSON or its SSE stream. Text only: a bot that offers
 * tools is refused here, since a text completion has no place for the calls it may make.
 */
import type { FastifyInstance } from 'fastify';
import type { Switchboard } from '../switchboard.js';
import { callerOf, headerValue, newId, type GatewayContext } from './context.js';
import { parseCompletionBody } from './completion-request.js';
import { completionWire } from './completion-shapes.js';
import { endUserOptions } from './end-user.js';
import { GatewayHttpError } from './errors.js';
import { serveGeneration, type GatewayCall } from './generation.js';
import { resolveRoute, SESSION_HEADER, type CallRoute } from './session-resolution.js';

/** Refuse a bot whose default tools its model may call: the calls would have nowhere to go. */
function refuseBotTools(sb: Switchboard, route: CallRoute, model: string): void {
  const name = 'bot' in route.target ? route.target.bot : route.session?.bot;
  const bot = name === undefined ? undefined : sb.bots.get(name);
  if (bot?.tools && bot.tools.length > 0 && bot.toolChoice !== 'none') {
    throw new GatewayHttpError(400, `${model.startsWith('bot:') ? 'This bot' : 'The bot of this session'} offers tools, and a text completion cannot carry tool calls; send the request to /v1/chat/completions`, 'invalid_request_error', 'unsupported_parameter', 'model');
  }
}

/** Register the text completions route. */
export function registerCompletions(app: FastifyInstance, context: GatewayContext): void {
  app.post('/v1/completions', async (request, reply) => {
    const { model, prompt, params, stream, includeUsage, user } = parseCompletionBody(request.body);
    const route = await resolveRoute(context.sb, {
      model,
      sessionHeader: headerValue(request, SESSION_HEADER),
      user,
      caller: callerOf(context, request),
    });
    refuseBotTools(context.sb, route, model);
    const meta = { id: `cmpl-${newId()}`, created: Math.floor(Date.now() / 1000), model, sessionId: route.sessionId };
    const call: GatewayCall = { ...route.target, prompt, params, ...(route.tenantId === undefined ? {} : { tenantId: route.tenantId }) };
    const providerOptions = endUserOptions(context.sb, route, user);
    if (providerOptions !== undefined) call.providerOptions = providerOptions;
    await serveGeneration(context, request, reply, {
      call,
      stream,
      includeUsage,
      wire: completionWire(meta, includeUsage),
      headers: route.sessionId ? { [SESSION_HEADER]: route.sessionId } : {},
      resolved: route.session ? { session: route.session } : undefined,
    });
  });
}

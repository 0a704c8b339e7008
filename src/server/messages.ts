/**
 * `POST /v1/messages` (the Anthropic Messages API) and `POST /v1/messages/count_tokens`, to any
 * provider: a request answered by a bot (`bot:<name>`), a session of one (`X-Session-Id` or
 * `metadata.user_id`), or a model (`provider:model`), as JSON or Anthropic's event stream
 * (messages-request.ts in, messages-shapes.ts out), with errors in Anthropic's shape and its
 * `request-id` header (messages-errors.ts). The gateway key comes as `x-api-key` or Bearer (auth.ts).
 */
import type { FastifyInstance } from 'fastify';
import { callerOf, headerValue, newId, type GatewayContext } from './context.js';
import { endUserOptions } from './end-user.js';
import { GatewayHttpError } from './errors.js';
import { serveGeneration, type GatewayCall } from './generation.js';
import { anthropicErrorHandler } from './messages-errors.js';
import { parseCountTokensBody, parseMessagesBody } from './messages-request.js';
import { messagesWire } from './messages-shapes.js';
import { resolveRoute, SESSION_HEADER } from './session-resolution.js';
import type { ChatMessage } from '../core/types.js';

/** The header telling whether a count is exact (`exact`) or an estimate (`estimate`). */
export const TOKEN_COUNT_HEADER = 'x-switchboard-token-count';

/** Register both routes. */
export function registerMessages(app: FastifyInstance, context: GatewayContext): void {
  const errorHandler = anthropicErrorHandler(context);

  app.post('/v1/messages', { errorHandler }, async (request, reply) => {
    reply.header('request-id', request.id);
    const { model, messages, params, stream, user, tools, toolChoice, parallelToolCalls, responseFormat } = parseMessagesBody(request.body);
    const route = await resolveRoute(context.sb, { model, sessionHeader: headerValue(request, SESSION_HEADER), user, caller: callerOf(context, request) });
    const meta = { id: `msg_${newId()}`, created: Math.floor(Date.now() / 1000), model, sessionId: route.sessionId };
    const call: GatewayCall = { ...route.target, messages, params, ...(route.tenantId === undefined ? {} : { tenantId: route.tenantId }) };
    if (tools !== undefined) call.tools = tools;
    if (toolChoice !== undefined) call.toolChoice = toolChoice;
    if (parallelToolCalls !== undefined) call.parallelToolCalls = parallelToolCalls;
    if (responseFormat !== undefined) call.responseFormat = responseFormat;
    const providerOptions = endUserOptions(context.sb, route, user);
    if (providerOptions !== undefined) call.providerOptions = providerOptions;
    await serveGeneration(context, request, reply, {
      call,
      stream,
      includeUsage: false,
      wire: messagesWire(meta),
      headers: route.sessionId ? { [SESSION_HEADER]: route.sessionId } : {},
      resolved: route.session ? { session: route.session } : undefined,
    });
  });

  app.post('/v1/messages/count_tokens', { errorHandler }, async (request, reply) => {
    reply.header('request-id', request.id);
    const parsed = parseCountTokensBody(request.body);
    if (headerValue(request, SESSION_HEADER) !== undefined) {
      throw GatewayHttpError.invalid('count_tokens counts the request as sent, without a session\'s stored history: drop the X-Session-Id header', 'X-Session-Id');
    }
    const route = await resolveRoute(context.sb, { model: parsed.model, caller: callerOf(context, request) });
    let model: string;
    let messages: ChatMessage[] = parsed.messages;
    const tenantId = route.tenantId ?? callerOf(context, request).tenant;
    if ('bot' in route.target) {
      // What the tenant may not call it may not count either (the library checks models; bots here).
      context.sb.tenants?.checkBot(tenantId, route.target.bot);
      // A bot's call goes to its primary model with its system prompt first: count that.
      const bot = context.sb.bots.get(route.target.bot)!;
      model = context.sb.bots.candidates(route.target.bot)[0]!;
      if (bot.system) messages = [{ role: 'system', content: bot.system }, ...messages];
    } else {
      model = (route.target as { model: string }).model;
    }
    const controller = new AbortController();
    const release = context.inFlight.track(controller);
    const raw = reply.raw;
    // Tracked until the answer is out (a drain waits for it); a client that left stops the upstream count.
    const onClose = () => {
      if (!raw.writableFinished) controller.abort();
      release();
    };
    if (raw.destroyed) onClose();
    else raw.once('close', onClose);
    const counted = await context.sb.countTokens({ model, messages, ...(parsed.tools ? { tools: parsed.tools } : {}), ...('bot' in route.target || tenantId === undefined ? {} : { tenantId }), signal: controller.signal });
    reply.header(TOKEN_COUNT_HEADER, counted.exact ? 'exact' : 'estimate');
    return { input_tokens: counted.inputTokens };
  });
}

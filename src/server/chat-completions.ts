/**
 * `POST /v1/chat/completions`: an OpenAI chat completion request answered by a bot (`bot:<name>`),
 * a session of one (`X-Session-Id` or `user`), or a model (`provider:model`), as JSON or SSE, with
 * tools, images, structured output and reasoning (chat-request.ts in, chat-shapes.ts out).
 */
import type { FastifyInstance } from 'fastify';
import { callerOf, headerValue, newId, type GatewayContext } from './context.js';
import { parseChatBody } from './chat-request.js';
import { chatWire } from './chat-shapes.js';
import { endUserOptions } from './end-user.js';
import { serveGeneration, type GatewayCall } from './generation.js';
import { resolveRoute, SESSION_HEADER } from './session-resolution.js';

/** Register the chat completions route. */
export function registerChatCompletions(app: FastifyInstance, context: GatewayContext): void {
  app.post('/v1/chat/completions', async (request, reply) => {
    const { model, messages, params, stream, includeUsage, user, tools, toolChoice, parallelToolCalls, responseFormat } = parseChatBody(request.body);
    const route = await resolveRoute(context.sb, {
      model,
      sessionHeader: headerValue(request, SESSION_HEADER),
      user,
      caller: callerOf(context, request),
    });
    const meta = { id: `chatcmpl-${newId()}`, created: Math.floor(Date.now() / 1000), model, sessionId: route.sessionId };
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
      includeUsage,
      wire: chatWire(meta, includeUsage),
      headers: route.sessionId ? { [SESSION_HEADER]: route.sessionId } : {},
      resolved: route.session ? { session: route.session } : undefined,
    });
  });
}

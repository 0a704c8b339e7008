/**
 * `POST /v1/chat/completions`: an OpenAI chat completion request answered by a bot (`bot:<name>`),
 * a session of one (`X-Session-Id` or `user`), or a model (`provider:model`), as JSON or SSE.
 */
import type { FastifyInstance } from 'fastify';
import { callerOf, headerValue, newId, type GatewayContext } from './context.js';
import { serveGeneration } from './generation.js';
import { parseChatBody } from './request-body.js';
import { chatWire } from './response-shapes.js';
import { resolveRoute, SESSION_HEADER } from './session-resolution.js';

/** Register the chat completions route. */
export function registerChatCompletions(app: FastifyInstance, context: GatewayContext): void {
  app.post('/v1/chat/completions', async (request, reply) => {
    const body = parseChatBody(request.body);
    const route = await resolveRoute(context.sb, {
      model: body.model,
      sessionHeader: headerValue(request, SESSION_HEADER),
      user: body.user,
      caller: callerOf(context, request),
    });
    const meta = { id: `chatcmpl-${newId()}`, created: Math.floor(Date.now() / 1000), model: body.model, sessionId: route.sessionId };
    await serveGeneration(context, request, reply, {
      call: { ...route.target, messages: body.messages, params: body.params, ...(route.tenantId === undefined ? {} : { tenantId: route.tenantId }) },
      stream: body.stream,
      includeUsage: body.includeUsage,
      wire: chatWire(meta, body.includeUsage),
      headers: route.sessionId ? { [SESSION_HEADER]: route.sessionId } : {},
      resolved: route.session ? { session: route.session } : undefined,
    });
  });
}

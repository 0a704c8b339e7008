/**
 * `POST /v1/completions`: OpenAI's legacy text completion (one `prompt` string) answered by a bot,
 * a session or a model, as `text_completion` JSON or its SSE stream.
 */
import type { FastifyInstance } from 'fastify';
import { callerOf, headerValue, newId, type GatewayContext } from './context.js';
import { serveGeneration } from './generation.js';
import { parseCompletionBody } from './request-body.js';
import { completionWire } from './response-shapes.js';
import { resolveRoute, SESSION_HEADER } from './session-resolution.js';

/** Register the text completions route. */
export function registerCompletions(app: FastifyInstance, context: GatewayContext): void {
  app.post('/v1/completions', async (request, reply) => {
    const body = parseCompletionBody(request.body);
    const route = await resolveRoute(context.sb, {
      model: body.model,
      sessionHeader: headerValue(request, SESSION_HEADER),
      user: body.user,
      caller: callerOf(context, request),
    });
    const meta = { id: `cmpl-${newId()}`, created: Math.floor(Date.now() / 1000), model: body.model, sessionId: route.sessionId };
    await serveGeneration(context, request, reply, {
      call: { ...route.target, prompt: body.prompt, params: body.params, ...(route.tenantId === undefined ? {} : { tenantId: route.tenantId }) },
      stream: body.stream,
      includeUsage: body.includeUsage,
      wire: completionWire(meta, body.includeUsage),
      headers: route.sessionId ? { [SESSION_HEADER]: route.sessionId } : {},
      resolved: route.session ? { session: route.session } : undefined,
    });
  });
}

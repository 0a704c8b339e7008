/**
 * `POST /v1/responses`: the OpenAI Responses API, stateless but for the output items it keeps a while
 * for `item_reference`s (response-items.ts), answered by a bot (`bot:<name>`), a
 * session of one (`X-Session-Id` or `user`), or a model (`provider:model`) on any provider, as a
 * `response` object or its typed event stream (responses-request.ts in, responses-shapes.ts out).
 * Like every route it only translates: routing, retries, fallbacks and caching are the switchboard's.
 */
import type { FastifyInstance } from 'fastify';
import { callerOf, headerValue, newId, type GatewayContext } from './context.js';
import { endUserOptions } from './end-user.js';
import { GatewayHttpError, toHttpFailure } from './errors.js';
import { serveGeneration, type GatewayCall } from './generation.js';
import { NO_ITEMS, referencedIds } from './responses-references.js';
import { parseResponsesBody } from './responses-request.js';
import { responsesFailure, responsesWire } from './responses-shapes.js';
import { resolveRoute, SESSION_HEADER } from './session-resolution.js';

/**
 * A failure before any output, with `param` named as the Responses API names the field (the shared
 * error table names chat's); anything else unchanged.
 */
function inResponsesTerms(error: unknown, bodyLimitBytes: number): unknown {
  const failure = toHttpFailure(error, bodyLimitBytes);
  const renamed = responsesFailure(failure);
  if (renamed === failure) return error;
  const { message, type, code, param } = renamed.body.error;
  return new GatewayHttpError(renamed.status, message, type, code, param, renamed.headers);
}

/** Register the Responses route. */
export function registerResponses(app: FastifyInstance, context: GatewayContext): void {
  app.post('/v1/responses', async (request, reply) => {
    const caller = callerOf(context, request);
    // References name earlier output of this gateway: found first (reading Redis may wait), then converted with the rest.
    const ids = referencedIds(request.body);
    const held = ids.length === 0 ? NO_ITEMS : await context.responseItems.find(caller.tenant, ids);
    const { model, messages, params, stream, user, tools, toolChoice, parallelToolCalls, responseFormat, echo } = parseResponsesBody(request.body, held);
    const route = await resolveRoute(context.sb, {
      model,
      sessionHeader: headerValue(request, SESSION_HEADER),
      user,
      caller,
    });
    const meta = { id: `resp_${newId()}`, createdAt: Math.floor(Date.now() / 1000), model, sessionId: route.sessionId, echo };
    const call: GatewayCall = { ...route.target, messages, params, ...(route.tenantId === undefined ? {} : { tenantId: route.tenantId }) };
    if (tools !== undefined) call.tools = tools;
    if (toolChoice !== undefined) call.toolChoice = toolChoice;
    if (parallelToolCalls !== undefined) call.parallelToolCalls = parallelToolCalls;
    if (responseFormat !== undefined) call.responseFormat = responseFormat;
    const providerOptions = endUserOptions(context.sb, route, user);
    if (providerOptions !== undefined) call.providerOptions = providerOptions;
    try {
      await serveGeneration(context, request, reply, {
        call,
        stream,
        // Usage rides on response.completed: there is no usage event to ask for.
        includeUsage: false,
        wire: responsesWire(meta, (output) => context.responseItems.keep(caller.tenant, output)),
        headers: route.sessionId ? { [SESSION_HEADER]: route.sessionId } : {},
        resolved: route.session ? { session: route.session } : undefined,
      });
    } catch (error) {
      throw inResponsesTerms(error, context.bodyLimitBytes);
    }
  });
}

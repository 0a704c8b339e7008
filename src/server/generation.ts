/**
 * Serve one generation (chat or text completion) as JSON or as OpenAI's SSE stream.
 *
 * Streams: the first part is awaited before anything is written, so a failure before the first
 * delta (after the switchboard's retries and fallbacks) is a normal HTTP error. After that the
 * failure becomes the wire format's failure frames (OpenAI's `data: {"error": ...}`, ending without
 * `[DONE]`; a typed `error`/`response.failed` event), so a client sees the failure rather than a short
 * answer. A client that disconnects aborts the upstream
 * call through the AbortController wired to the response's `close`, and the stream loop stops pulling
 * parts at once (returning the switchboard's stream closes the upstream read too).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { StreamInterruptedError } from '../core/errors.js';
import type { CallParams, ChatMessage, GenerateResult, RichRequestFields, StreamPart } from '../core/types.js';
import type { ResolvedCall } from '../pipeline/call-state.js';
import { logFailure, type GatewayContext } from './context.js';
import { GatewayHttpError, toHttpFailure } from './errors.js';
import { switchboardHeaders, type WireFormat } from './response-shapes.js';
import { SseWriter } from './sse.js';

/** The switchboard call, without its signal. */
export type GatewayCall = ({ model: string } | { bot: string } | { sessionId: string }) &
  ({ messages: ChatMessage[] } | { prompt: string }) & RichRequestFields & { params: CallParams; tenantId?: string };

/** One generation to serve. */
export interface GenerationJob {
  call: GatewayCall;
  stream: boolean;
  includeUsage: boolean;
  wire: WireFormat;
  /** Headers for the answer (session id); the request id is already on the reply. */
  headers: Record<string, string>;
  /** What the route already resolved (the session it read): not read again by the switchboard. */
  resolved?: ResolvedCall;
}

/** Headers already set on the reply (x-request-id), as strings for a raw writeHead. */
function replyHeaders(reply: FastifyReply): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

/** Run the job; errors before any output propagate to the error handler as HTTP errors. */
export async function serveGeneration(context: GatewayContext, request: FastifyRequest, reply: FastifyReply, job: GenerationJob): Promise<void> {
  const controller = new AbortController();
  const release = context.inFlight.track(controller);
  const raw = reply.raw;
  const onClose = () => {
    // Closed before the response finished: the client went away, so stop the upstream call.
    if (!raw.writableFinished) controller.abort();
    release();
  };
  // A client that left while its body was being read has closed already: no 'close' event will come.
  if (raw.destroyed) onClose();
  else raw.once('close', onClose);
  const call = { ...job.call, signal: controller.signal };
  if (!job.stream) {
    let result: GenerateResult;
    try {
      result = 'prompt' in call ? await context.sb.generate(call, job.resolved) : await context.sb.chat(call, job.resolved);
    } catch (error) {
      throw shutdownFailure(raw, controller.signal) ?? error;
    }
    reply.headers({ ...job.headers, ...switchboardHeaders(result) });
    await reply.send(job.wire.json(result));
    return;
  }
  const iterator = context.sb.stream(call, job.resolved)[Symbol.asyncIterator]();
  let first: IteratorResult<StreamPart>;
  try {
    first = await iterator.next();
  } catch (error) {
    throw shutdownFailure(raw, controller.signal) ?? error;
  }
  reply.hijack();
  await streamParts(context, request, reply, job, iterator, first, controller.signal);
}

/**
 * Aborted while the client is still connected: only shutdown past its drain timeout does that. It is
 * a 503 the client may send again, not the aborted call's 499 (which OpenAI clients neither expect
 * nor retry).
 */
export function shutdownFailure(raw: FastifyReply['raw'], signal: AbortSignal): GatewayHttpError | undefined {
  if (!signal.aborted || raw.destroyed) return undefined;
  return new GatewayHttpError(503, 'The gateway shut down before this answer finished; send the request again', 'api_error', 'shutting_down', null, { connection: 'close' });
}

async function streamParts(
  context: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
  job: GenerationJob,
  iterator: AsyncIterator<StreamPart>,
  first: IteratorResult<StreamPart>,
  signal: AbortSignal,
): Promise<void> {
  const sse = new SseWriter(reply.raw);
  sse.open({ ...replyHeaders(reply), ...job.headers });
  const wire = job.wire.stream();
  const typed = job.wire.framing === 'typed';
  const send = typed ? (frame: Record<string, unknown>) => sse.sendTyped(frame) : (frame: Record<string, unknown>) => sse.send(frame);
  let step = first;
  try {
    for (const chunk of wire.opening()) await send(chunk);
    let result: GenerateResult | undefined;
    while (!step.done) {
      // The client has gone: stop pulling. Leaving the loop returns the switchboard's stream, which
      // closes the upstream request even when the provider's read never sees the abort (otherwise
      // every remaining part would be read, and dropped, to the end of a huge stream).
      if (!sse.writable) return;
      const part = step.value;
      if (part.type === 'text-delta') {
        if (part.text !== '') {
          const frames = wire.delta(part.text);
          if (Array.isArray(frames)) for (const frame of frames) await send(frame);
          else await send(frames);
        }
      } else if (part.type === 'finish') {
        result = part.result;
      } else {
        // Reasoning and tool calls; an answer that fails its JSON schema throws from next() instead,
        // and becomes the error event below (never [DONE]).
        for (const chunk of wire.rich(part)) await send(chunk);
      }
      step = await iterator.next();
    }
    if (!result) throw new StreamInterruptedError('The answer ended without its finish');
    for (const chunk of wire.finish(result)) await send(chunk);
    if (job.includeUsage && wire.usage) await send(wire.usage(result));
    if (!typed) await sse.done();
  } catch (error) {
    if (sse.writable) {
      // Still connected, so the abort came from shutdown past its drain timeout.
      const reported = signal.aborted
        ? new GatewayHttpError(503, 'The gateway shut down before this answer finished; send the request again', 'api_error', 'shutting_down')
        : error;
      const failure = toHttpFailure(reported, context.bodyLimitBytes);
      logFailure(context, request, failure);
      for (const frame of wire.failure ? wire.failure(failure) : [failure.body]) await send(frame);
    }
  } finally {
    sse.end();
    // Leaving early (an error while writing) must end the switchboard's stream and its upstream call.
    if (!step.done) await iterator.return?.().catch(() => undefined);
  }
}

/**
 * `POST /v1/embeddings`: OpenAI's embeddings endpoint in front of `sb.embed`, to any provider that
 * embeds (openai, OpenAI-compatible endpoints, huggingface, ollama, llamacpp). A translator only: the
 * body is checked (embeddings-request.ts), the call runs through the library (batches, retries,
 * breakers, rate limits, the tenant-scoped cache, telemetry), and the answer goes back in OpenAI's
 * shape, the vectors as JSON numbers or as base64 little-endian float32 bytes (`encoding_format`,
 * exactly what the openai SDK decodes). A client that disconnects aborts the upstream call.
 */
import { endianness } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { EmbedRequest, EmbedResult } from '../core/types.js';
import { botsOnlyRefusal } from './auth.js';
import { callerOf, type GatewayContext } from './context.js';
import { parseEmbeddingsBody } from './embeddings-request.js';
import { shutdownFailure } from './generation.js';
import { headerSafe } from './response-shapes.js';

/** Float32Array writes the host's byte order; the wire's is little-endian. */
const LITTLE_ENDIAN = endianness() === 'LE';

/** One vector as little-endian float32 bytes in base64 (OpenAI's `encoding_format: "base64"`). */
export function float32Base64(vector: readonly number[]): string {
  if (LITTLE_ENDIAN) return Buffer.from(Float32Array.from(vector).buffer).toString('base64');
  const bytes = Buffer.allocUnsafe(vector.length * 4);
  for (let index = 0; index < vector.length; index++) bytes.writeFloatLE(vector[index]!, index * 4);
  return bytes.toString('base64');
}

/** OpenAI's create-embedding response, with the `x_switchboard` extension chat answers carry too. */
export function embeddingsResponse(result: EmbedResult, model: string, encodingFormat: 'float' | 'base64'): Record<string, unknown> {
  const tokens = result.usage.inputTokens;
  return {
    object: 'list',
    data: result.embeddings.map((vector, index) => ({ object: 'embedding', index, embedding: encodingFormat === 'base64' ? float32Base64(vector) : vector })),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
    x_switchboard: { model: result.model, cost_usd: result.costUsd, cached: result.cached, attempts: result.attempts, latency_ms: Math.round(result.latencyMs), ...(result.responseModel === undefined ? {} : { response_model: result.responseModel }) },
  };
}

/** The `x-switchboard-*` headers of an embedding answer. */
function embeddingHeaders(result: EmbedResult): Record<string, string> {
  const headers: Record<string, string> = { 'x-switchboard-model': headerSafe(result.model), 'x-switchboard-cached': String(result.cached), 'x-switchboard-attempts': String(result.attempts) };
  if (result.costUsd !== null) headers['x-switchboard-cost-usd'] = String(result.costUsd);
  return headers;
}

/** Register the embeddings route. */
export function registerEmbeddings(app: FastifyInstance, context: GatewayContext): void {
  app.post('/v1/embeddings', async (request, reply) => {
    const parsed = parseEmbeddingsBody(request.body, context.sb.config.limits.maxInputChars);
    // Embeddings name a model, never a bot.
    if (callerOf(context, request).botsOnly) throw botsOnlyRefusal();
    const controller = new AbortController();
    const release = context.inFlight.track(controller);
    const raw = reply.raw;
    const onClose = () => {
      // Closed before the answer was written: the client went away, so stop the upstream call.
      if (!raw.writableFinished) controller.abort();
      release();
    };
    if (raw.destroyed) onClose();
    else raw.once('close', onClose);
    const call: EmbedRequest = { model: parsed.model, input: parsed.input, signal: controller.signal };
    if (parsed.dimensions !== undefined) call.dimensions = parsed.dimensions;
    if (parsed.user !== undefined) call.user = parsed.user;
    const tenant = callerOf(context, request).tenant;
    if (tenant !== undefined) call.tenantId = tenant;
    let result: EmbedResult;
    try {
      result = await context.sb.embed(call);
    } catch (error) {
      throw shutdownFailure(raw, controller.signal) ?? error;
    }
    reply.headers(embeddingHeaders(result));
    return reply.send(embeddingsResponse(result, parsed.model, parsed.encodingFormat));
  });
}

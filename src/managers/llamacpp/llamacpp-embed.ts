/**
 * Embeddings of a local GGUF model through node-llama-cpp: `model.createEmbeddingContext()`, then
 * `getEmbeddingFor(text)` per text. The embedding context is made on the first embedding call of a
 * loaded model and lives with that model instance: it is freed when the ModelCache evicts the model
 * (LlamaCppManager.unloadModel), like the chat context. Embedding calls take the model's turn in its
 * call queue, so they never run beside a generation on the same weights.
 *
 * A text longer than the context is a ContextLengthError naming its index (never a silent cut). Usage
 * is the model's own token count of each text. Batch size 64: in-process there is no request bound;
 * a batch is one span, one timeout and one rate-limit permit, and the abort is checked between texts.
 */
import type { LlamaEmbeddingContext } from 'node-llama-cpp';
import { throwIfAborted } from '../../core/abort.js';
import { ContextLengthError } from '../../core/errors.js';
import type { ProviderEmbedding, ProviderEmbedRequest } from '../../core/types.js';
import type { LoadedGguf } from './llama-chat-run.js';

/** Texts per batch of a local model. */
export const LLAMACPP_EMBED_MAX_INPUTS = 64;

/** The embedding context of each loaded model, made once on first use and freed with the model. */
export class EmbeddingContexts {
  private readonly contexts = new WeakMap<LoadedGguf, Promise<LlamaEmbeddingContext>>();

  constructor(private readonly threads: number) {}

  /** The model's embedding context (the same size as its chat context). */
  get(loaded: LoadedGguf): Promise<LlamaEmbeddingContext> {
    let context = this.contexts.get(loaded);
    if (!context) {
      context = loaded.model.createEmbeddingContext({ contextSize: loaded.context.contextSize, threads: this.threads });
      this.contexts.set(loaded, context);
      // A failed creation is not remembered: the next call may succeed (memory freed meanwhile).
      context.catch(() => this.contexts.delete(loaded));
    }
    return context;
  }

  /** Free the model's embedding context, if it has one (before its weights are freed). */
  async dispose(loaded: LoadedGguf): Promise<void> {
    const context = this.contexts.get(loaded);
    if (!context) return;
    this.contexts.delete(loaded);
    const made = await context.catch(() => undefined);
    await made?.dispose();
  }
}

/** One batch: each text's vector as node-llama-cpp computes it, in order, with the tokens it counted. */
export async function embedWithGguf(loaded: LoadedGguf, contexts: EmbeddingContexts, request: ProviderEmbedRequest, signal: AbortSignal): Promise<ProviderEmbedding> {
  const release = await loaded.queue.acquire(signal);
  try {
    const context = await contexts.get(loaded);
    const origin = { provider: 'llamacpp', model: request.modelId };
    const embeddings: number[][] = [];
    let inputTokens = 0;
    for (let index = 0; index < request.input.length; index++) {
      throwIfAborted(signal);
      const text = request.input[index]!;
      const tokens = context.calculateInputLength(text);
      if (tokens > loaded.context.contextSize) {
        throw new ContextLengthError(`input[${index}] is ${tokens} tokens; ${origin.provider}:${origin.model} embeds at most ${loaded.context.contextSize} (providers.llamacpp.contextSize)`, origin);
      }
      const embedding = await context.getEmbeddingFor(text);
      embeddings.push(Array.from(embedding.vector));
      inputTokens += tokens;
    }
    return { embeddings, inputTokens };
  } finally {
    release();
  }
}

/**
 * The response cache: complete, successful provider answers keyed by a hash of the canonical
 * request (RELIABILITY.md "Caches"). Output adapters run on a hit, so the raw provider text is what
 * is stored. A store failure (Redis down) is logged and the call goes to the provider.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../core/logger.js';
import type { ChatRequest, FinishReason, ReasoningBlock, ToolCall, Usage } from '../core/types.js';

/** What is cached: the raw answer of the model that produced it. */
export interface CachedAnswer {
  id: string;
  text: string;
  model: string;
  responseModel?: string;
  finishReason: FinishReason;
  usage: Usage;
  /** The tool calls of the answer (absent: none). */
  toolCalls?: ToolCall[];
  /** Its reasoning blocks, as the provider needs them back. */
  reasoning?: ReasoningBlock[];
  /** The stop sequence that ended it, when the provider said which one did. */
  stopSequence?: string;
  /** An `sb.embed` answer: the vectors, in input order (`text` is then empty). */
  embeddings?: number[][];
}

/** Where cached answers live (memory here; Redis elsewhere). */
export interface ResponseCacheStore {
  get(key: string): Promise<CachedAnswer | undefined>;
  set(key: string, answer: CachedAnswer, ttlMs: number): Promise<void>;
  close(): Promise<void>;
}

/** An in-process store bounded by entries and bytes. */
export class MemoryResponseStore implements ResponseCacheStore {
  private readonly lru: LRUCache<string, CachedAnswer>;

  constructor(options: { max: number; maxBytes: number; ttlMs: number }) {
    this.lru = new LRUCache<string, CachedAnswer>({
      max: options.max,
      maxSize: options.maxBytes > 0 ? options.maxBytes : 64 * 1024 * 1024,
      // Strings are UTF-16 in memory: two bytes a character is the honest size.
      sizeCalculation: (answer) => 2 * (answer.text.length + answer.id.length + answer.model.length + richChars(answer)) + 128,
      ttl: options.ttlMs > 0 ? options.ttlMs : undefined,
    });
  }

  /** Entries held now. */
  get size(): number {
    return this.lru.size;
  }

  async get(key: string): Promise<CachedAnswer | undefined> {
    const hit = this.lru.get(key);
    return hit ? structuredClone(hit) : undefined;
  }

  async set(key: string, answer: CachedAnswer, ttlMs: number): Promise<void> {
    this.lru.set(key, structuredClone(answer), ttlMs > 0 ? { ttl: ttlMs } : undefined);
  }

  async close(): Promise<void> {
    this.lru.clear();
  }
}

/** Sort object keys recursively so equal requests serialise equally. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const item = (value as Record<string, unknown>)[key];
      if (item !== undefined) out[key] = canonical(item);
    }
    return out;
  }
  return value;
}

/** What identifies an answer: the full request, the models that may answer, request adapters, tenant. */
export interface CacheKeyParts {
  tenant?: string;
  candidates: string[];
  request: ChatRequest;
  /** The adapter chain's description of request-changing adapters. */
  adaptersKey: string;
}

/** sha256 of the canonical request, scoped by tenant. Holds no secret: only the request itself. */
export function responseCacheKey(parts: CacheKeyParts): string {
  // timeoutMs changes how long we wait, not the answer.
  const { timeoutMs: _ignored, ...params } = parts.request.params;
  const body = canonical({
    v: 2,
    tenant: parts.tenant ?? '',
    candidates: parts.candidates,
    operation: parts.request.operation,
    // Image parts are in the messages, bytes and all: two images never share an answer.
    messages: parts.request.messages,
    params,
    tools: parts.request.tools,
    toolChoice: parts.request.toolChoice,
    parallelToolCalls: parts.request.parallelToolCalls,
    responseFormat: parts.request.responseFormat,
    providerOptions: parts.request.providerOptions,
    adapters: parts.adaptersKey,
  });
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

/**
 * The key of an `sb.embed` answer: sha256 of the model, the texts in order and the dimensions, scoped
 * by tenant (like `responseCacheKey`, holding nothing but the request). Its own version tag keeps it
 * apart from every generation key.
 */
export function embeddingCacheKey(parts: { tenant?: string; model: string; input: readonly string[]; dimensions?: number }): string {
  const body = canonical({ v: 'embeddings-1', tenant: parts.tenant ?? '', model: parts.model, input: parts.input, dimensions: parts.dimensions });
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

/** Characters an answer's tool calls, reasoning and vectors hold (for the memory store's byte bound). */
function richChars(answer: CachedAnswer): number {
  // A number is 8 bytes: 4 UTF-16 units' worth.
  let chars = answer.stopSequence?.length ?? 0;
  for (const vector of answer.embeddings ?? []) chars += 4 * vector.length;
  for (const call of answer.toolCalls ?? []) chars += call.id.length + call.name.length + call.arguments.length;
  for (const block of answer.reasoning ?? []) chars += block.text.length + (block.signature?.length ?? 0) + (block.redacted?.length ?? 0);
  return chars;
}

/** The cache as the pipeline uses it: lookups and stores that never throw. */
export class ResponseCache {
  constructor(
    private readonly store: ResponseCacheStore,
    private readonly ttlMs: number,
    private readonly logger: Logger,
  ) {}

  /** A cached answer, or undefined on a miss or a store failure. */
  async lookup(key: string): Promise<CachedAnswer | undefined> {
    try {
      return await this.store.get(key);
    } catch (error) {
      this.logger.warn('response cache lookup failed; calling the provider', { error });
      return undefined;
    }
  }

  /** Store a complete answer; failures are logged only. */
  async save(key: string, answer: CachedAnswer): Promise<void> {
    try {
      await this.store.set(key, answer, this.ttlMs);
    } catch (error) {
      this.logger.warn('response cache store failed', { error });
    }
  }

  /** Close the store. */
  async close(): Promise<void> {
    await this.store.close();
  }
}

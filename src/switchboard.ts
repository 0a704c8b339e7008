/**
 * The Switchboard facade: what `createSwitchboard()` returns. Its call methods delegate to the call
 * pipeline (src/pipeline/call-pipeline.ts), which owns a call from start to end; the facade holds the
 * switchboard's parts (registry, sessions, adapters ...) and its lifecycle. It never imports a provider;
 * managers arrive through the registry.
 */
import type { AdapterManager } from './adapters/adapter-manager.js';
import { countRequestTokens, type CountTokensRequest, type TokenCount } from './pipeline/count-tokens.js';
import type { BotRegistry } from './bots/bot-registry.js';
import type { ModelCache } from './cache/model-cache.js';
import type { ResponseCache } from './cache/response-cache.js';
import type { SwitchboardConfig } from './config/types.js';
import { InvalidRequestError, type LLMError } from './core/errors.js';
import type { Logger } from './core/logger.js';
import type { SecretRegistry } from './core/secrets.js';
import type { AnyCallRequest, ChatCallRequest, EmbedRequest, EmbedResult, GenerateRequest, GenerateResult, StreamPart, StreamRequest } from './core/types.js';
import { CallPipeline } from './pipeline/call-pipeline.js';
import { runEmbed, type EmbedServices } from './pipeline/run-embed.js';
import { toLLMError, type ResolvedCall } from './pipeline/call-state.js';
import { Chain, type ChainOptions } from './prompts/chain.js';
import type { ChainStep } from './prompts/chain-steps.js';
import { chainTelemetryFor } from './prompts/chain-telemetry.js';
import type { ModelRegistry } from './registry/model-registry.js';
import { deprecationRouterFor } from './registry/deprecations.js';
import { connectModelChoices } from './bots/model-choice.js';
import type { BudgetManager } from './resilience/budget.js';
import type { CircuitBreakerRegistry } from './resilience/circuit-breaker.js';
import type { ConcurrencyLimiter } from './resilience/concurrency-limiter.js';
import type { RateLimiter } from './resilience/rate-limiter.js';
import type { SessionManager } from './sessions/session-manager.js';
import type { SpendLedger, SpendQuery } from './tenants/spend-ledger.js';
import type { SpendTotals } from './tenants/spend-store.js';
import type { TenantPolicy } from './tenants/tenant-policy.js';
import type { Telemetry } from './telemetry/telemetry.js';

/** Everything the facade is built from (the composition root in src/di/ assembles it). */
export interface SwitchboardServices {
  config: SwitchboardConfig;
  logger: Logger;
  /** This switchboard's credentials and the scrubbing that uses them (logs, spans, upstream text). */
  secrets: SecretRegistry;
  registry: ModelRegistry;
  modelCache: ModelCache;
  adapters: AdapterManager;
  bots: BotRegistry;
  sessions: SessionManager;
  telemetry: Telemetry;
  breakers: CircuitBreakerRegistry;
  rateLimiter: RateLimiter;
  concurrency: ConcurrencyLimiter;
  budgets: BudgetManager;
  /** Configured tenants (`tenants`): allow-lists, rpm, budgets. */
  tenants?: TenantPolicy;
  /** Per-tenant spend (`sb.spend()`). */
  spend?: SpendLedger;
  responseCache?: ResponseCache;
  /** Extra clean-up run by close() (stores, SDK clients). */
  onClose?: () => Promise<void>;
}

/** Options of `sb.batch`. */
export interface BatchOptions {
  /** Calls in flight at once (default 8). */
  concurrency?: number;
}

/** The object `createSwitchboard()` returns. */
export class Switchboard {
  /** Managers by provider, model look-ups, discovery. */
  readonly registry: ModelRegistry;
  /** Loaded model instances (LRU). */
  readonly modelCache: ModelCache;
  /** Adapter factories and activations. */
  readonly adapters: AdapterManager;
  /** Bot types. */
  readonly bots: BotRegistry;
  /** Conversations. */
  readonly sessions: SessionManager;
  /** In-process events for billing and logging. */
  readonly events: Telemetry['events'];
  /** The resolved configuration (credentials included: do not log it). */
  readonly config: SwitchboardConfig;
  /**
   * The credentials this switchboard knows, for scrubbing text only operators read (an application's
   * own logs): `sb.secrets.scrub(text)`. Never apply it to text a caller sent and then show the
   * result to that caller (core/secrets.ts explains why).
   */
  readonly secrets: SecretRegistry;

  /** The configured tenants' rules (`tenants`), for applications that list what a tenant may call (the gateway's /v1/models). */
  readonly tenants: TenantPolicy | undefined;

  private readonly services: SwitchboardServices;
  private readonly pipeline: CallPipeline;
  /** What `embed` runs with: the same guards, limits, cache and telemetry as the call pipeline. */
  private readonly embedServices: EmbedServices;
  private closed = false;

  constructor(services: SwitchboardServices) {
    this.services = services;
    this.registry = services.registry;
    this.modelCache = services.modelCache;
    this.adapters = services.adapters;
    this.bots = services.bots;
    this.sessions = services.sessions;
    this.events = services.telemetry.events;
    this.config = services.config;
    this.secrets = services.secrets;
    this.tenants = services.tenants;
    this.pipeline = new CallPipeline({
      registry: services.registry,
      bots: services.bots,
      sessions: services.sessions,
      adapters: services.adapters,
      observer: services.telemetry.observer,
      breakers: services.breakers,
      rateLimiter: services.rateLimiter,
      budgets: services.budgets,
      tenants: services.tenants,
      spend: services.spend,
      concurrency: services.concurrency,
      limits: services.config.limits,
      requestLimits: services.config.limits,
      rateLimitCooldownMs: services.config.resilience.rateLimitCooldownMs,
      logger: services.logger,
      responseCache: services.responseCache,
      deprecations: deprecationRouterFor(services.registry, { redirect: services.config.redirectDeprecated, logger: services.logger, events: services.telemetry.events }),
    });
    // Bots defined by capability choose from this registry's models, and again after each refresh.
    connectModelChoices(services.bots, services.registry, services.logger);
    this.embedServices = {
      registry: services.registry,
      breakers: services.breakers,
      rateLimiter: services.rateLimiter,
      budgets: services.budgets,
      tenants: services.tenants,
      spend: services.spend,
      concurrency: services.concurrency,
      observer: services.telemetry.observer,
      limits: services.config.limits,
      embedLimits: services.config.limits,
      rateLimitCooldownMs: services.config.resilience.rateLimitCooldownMs,
      logger: services.logger,
      responseCache: services.responseCache,
    };
  }

  /**
   * Embedding vectors for one text or many (API.md "Embeddings"), one per input in input order, from
   * one model: openai, OpenAI-compatible endpoints, huggingface, ollama or llamacpp. Longer input
   * lists are split into the provider's batches and joined; retries, timeouts, breakers, rate limits,
   * the response cache and telemetry apply as for chat.
   */
  async embed(request: EmbedRequest): Promise<EmbedResult> {
    this.assertOpen();
    return runEmbed(request, this.embedServices);
  }

  /** One answer to a prompt (`resolved`: see `chat`). */
  generate(request: GenerateRequest, resolved?: ResolvedCall): Promise<GenerateResult> {
    return this.complete(request, 'generate', resolved);
  }

  /**
   * One answer to a conversation. `resolved` is for callers that already read the call's session
   * (the gateway hands over the one it resolved, so the store is read once per call).
   */
  chat(request: ChatCallRequest, resolved?: ResolvedCall): Promise<GenerateResult> {
    return this.complete(request, 'chat', resolved);
  }

  /** Stream an answer: text deltas (already adapted), then exactly one finish part. */
  stream(request: StreamRequest, resolved?: ResolvedCall): AsyncIterable<StreamPart> {
    this.assertOpen();
    return this.pipeline.stream(request, resolved);
  }

  /**
   * A chain of calls (API.md "Prompt templates and chains"), its steps checked now: `run(vars)` or
   * `stream(vars)` makes each step an ordinary `chat` call of this switchboard (the last one a
   * `stream` call when streaming), under one `invoke_workflow` span.
   */
  chain(steps: readonly ChainStep[], options?: ChainOptions): Chain {
    this.assertOpen();
    const telemetry = chainTelemetryFor(this.services.telemetry.tracer, this.config.telemetry.captureContent, this.secrets, this.services.logger);
    return new Chain(steps, options, { calls: this, limits: this.config.limits, telemetry });
  }

  /** Many calls with bounded concurrency; results keep the input order, failures come back as LLMError values. */
  async batch(requests: AnyCallRequest[], options: BatchOptions = {}): Promise<Array<GenerateResult | LLMError>> {
    if (!Array.isArray(requests)) throw new InvalidRequestError('batch takes an array of generate or chat requests');
    const concurrency = options.concurrency ?? 8;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new InvalidRequestError('batch concurrency must be a whole number >= 1');
    const results = new Array<GenerateResult | LLMError>(requests.length);
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const index = next++;
        const request = requests[index];
        try {
          const kind = typeof request === 'object' && request !== null && 'prompt' in request ? 'generate' : 'chat';
          results[index] = await this.complete(request, kind);
        } catch (error) {
          results[index] = toLLMError(error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, worker));
    return results;
  }

  /**
   * The prompt tokens of a request for one model (API.md "Sessions"): exact where the provider knows
   * the model's tokenizer (OpenAI families, llama.cpp models, Anthropic's count endpoint), otherwise
   * an estimate with `exact: false`.
   */
  countTokens(request: CountTokensRequest): Promise<TokenCount> {
    this.assertOpen();
    return countRequestTokens(request, this.registry, this.config.limits, this.tenants);
  }

  /** In-process summary: totals, active calls, per model, per bot and per tenant figures. */
  stats() {
    const snapshot = this.services.telemetry.stats.snapshot(this.modelCache.keys());
    for (const manager of this.registry.allManagers()) Object.assign(snapshot.byDeployment, manager.deploymentStats());
    return snapshot;
  }

  /**
   * A tenant's spend since `since` (default: all kept, `spend.retentionDays`): USD, tokens and calls
   * of its finished calls, per UTC day, shared by every instance when Redis is configured.
   */
  async spend(query: SpendQuery): Promise<SpendTotals> {
    this.assertOpen();
    if (!this.services.spend) return { costUsd: 0, inputTokens: 0, outputTokens: 0, calls: 0 };
    return this.services.spend.query(query);
  }

  /** Unload model instances, close clients and stores, end timers. Calls after close are refused. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Calls still waiting for a permit or a slot have not started: refuse them (AbortError) and end the limiters' timers.
    this.services.rateLimiter.close();
    this.services.concurrency.close();
    await this.modelCache.clear();
    await Promise.allSettled(this.registry.allManagers().map((manager) => manager.close()));
    await this.services.responseCache?.close();
    await this.sessions.close();
    await this.services.budgets.close?.();
    await this.services.spend?.close();
    await this.services.tenants?.close();
    await this.services.onClose?.();
  }

  private assertOpen(): void {
    if (this.closed) throw new InvalidRequestError('This switchboard is closed; create a new one with createSwitchboard()');
  }

  private async complete(request: AnyCallRequest, kind: 'generate' | 'chat', resolved?: ResolvedCall): Promise<GenerateResult> {
    // Async: a closed switchboard rejects the promise, it does not throw at the call.
    this.assertOpen();
    return this.pipeline.complete(request, kind, resolved);
  }
}

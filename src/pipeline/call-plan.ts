/**
 * Steps 1-3 of a call (ARCHITECTURE.md "One request"): resolve the target (session -> bot -> models),
 * pick the adapter chain, and build the request the models receive: bot system prompt first,
 * params merged (request > bot > provider defaults), then the adapters' request transforms.
 */
import type { AdapterChain } from '../adapters/adapter-chain.js';
import type { AdapterContext } from '../adapters/adapter.js';
import type { BotConfig } from '../config/types.js';
import { InvalidRequestError } from '../core/errors.js';
import { excerpt } from '../core/secrets.js';
import type { ChatMessage, ChatRequest, RichRequestFields } from '../core/types.js';
import { checkToolChoice } from '../core/request-rules.js';
import type { Session } from '../sessions/session-store.js';
import type { HistoryWindow } from './context-fit.js';
import { valueOrThrow, type NormalizedCall } from './normalize-request.js';
import { callerTurn, memorySettings, sendableHistory, type PlanMemory } from './session-memory.js';
import { NO_SUCH_SESSION } from '../sessions/session-manager.js';
import { systemPromptFor } from '../prompts/system-prompt.js';

/** What the planner needs; the Switchboard passes its services. */
export interface PlanServices {
  bots: { get(name: string): BotConfig | undefined; list(): string[] };
  sessions: {
    get(id: string): Promise<Session | undefined>;
    refresh(session: Session): Promise<unknown>;
    loadHistory(session: Session): Promise<ChatMessage[]>;
    appendHistory(session: Session, messages: readonly ChatMessage[], maxMessages: number): Promise<void>;
  };
  adapters: { chainFor(scope: { bot?: string; sessionId?: string }): AdapterChain };
  /**
   * Deprecated catalog models: warned about once, and sent to their replacement with
   * `redirectDeprecated` (src/registry/deprecations.ts). Absent: candidates are called as named.
   */
  deprecations?: { route(candidates: string[]): string[] };
}

/** Everything the router needs to run one call. */
export interface CallPlan {
  operation: 'chat' | 'text_completion';
  bot?: string;
  botConfig?: BotConfig;
  sessionId?: string;
  tenantId?: string;
  userId?: string;
  /** Models to try in order: the target model, or the bot's primary then fallbacks. */
  candidates: string[];
  /** The request after system prompt, stored history, params and request adapters. */
  request: ChatRequest;
  /** Where the session's stored history sits in `request.messages` (memory on), for per-candidate trimming. */
  history?: HistoryWindow;
  /** A memory call: what to append to the session's history when it succeeds. */
  memory?: PlanMemory;
  chain: AdapterChain;
  adapterContext: AdapterContext;
  signal?: AbortSignal;
  useCache: boolean;
}


/**
 * Tools, tool choice, response format and provider options: the request's where it gives them, else the
 * bot's (each field whole: a request's tools replace the bot's). A tool choice is checked against the
 * tools it ends up with (a request may name its bot's tools).
 */
function mergedRichFields(bot: RichRequestFields | undefined, call: RichRequestFields): RichRequestFields {
  const out: RichRequestFields = {};
  const tools = call.tools ?? bot?.tools;
  if (tools !== undefined) out.tools = tools;
  const toolChoice = call.toolChoice ?? bot?.toolChoice;
  if (toolChoice !== undefined) out.toolChoice = call.toolChoice === undefined ? toolChoice : valueOrThrow(checkToolChoice(toolChoice, tools));
  const parallel = call.parallelToolCalls ?? bot?.parallelToolCalls;
  if (parallel !== undefined) out.parallelToolCalls = parallel;
  const format = call.responseFormat ?? bot?.responseFormat;
  if (format !== undefined) out.responseFormat = format;
  const options = call.providerOptions ?? bot?.providerOptions;
  if (options !== undefined) out.providerOptions = options;
  return out;
}

function withSystemPrompt(messages: ChatMessage[], system: string | undefined): ChatMessage[] {
  return system ? [{ role: 'system', content: system }, ...messages] : messages;
}

/**
 * Resolve the target and build the request; no network call happens here. `resolved` is the session a
 * caller already read for this call's `sessionId` (the gateway): the store is then not read again.
 */
export async function planCall(call: NormalizedCall, services: PlanServices, resolved?: Session): Promise<CallPlan> {
  let bot: string | undefined;
  let session: Session | undefined;
  if (call.target.kind === 'model') return planModelCall(call, call.target.model, services);
  if (call.target.kind === 'session') {
    session = resolved?.id === call.target.sessionId ? resolved : await services.sessions.get(call.target.sessionId);
    // The same message whether the id is unknown or another tenant's: a caller must not learn that it exists.
    if (!session || (call.tenantId !== undefined && session.tenantId !== call.tenantId)) throw new InvalidRequestError(NO_SUCH_SESSION);
    bot = session.bot;
    // Sliding expiry: one write, no second read.
    await services.sessions.refresh(session);
  } else {
    bot = call.target.bot;
  }
  const botConfig = services.bots.get(bot);
  if (!botConfig) {
    const known = services.bots.list();
    throw new InvalidRequestError(`Unknown bot "${excerpt(bot)}"${known.length ? `; defined bots: ${known.slice(0, 20).join(', ')}` : ''}; define it with sb.bots.define or config "bots"`);
  }
  // Rendered from the session's metadata when it names variables; refused here, before history is read or any call made.
  const system = systemPromptFor(bot, botConfig, session);
  const sessionId = session?.id;
  const chain = services.adapters.chainFor({ bot, sessionId });
  const tenantId = session?.tenantId ?? call.tenantId;
  const adapterContext: AdapterContext = {
    bot,
    sessionId,
    userId: session?.userId,
    tenantId,
    metadata: session?.metadata ?? {},
    model: botConfig.model,
  };
  const settings = session ? memorySettings(botConfig.memory) : undefined;
  let messages = call.messages;
  let memory: PlanMemory | undefined;
  let stored: ChatMessage[] = [];
  if (settings && session) {
    stored = sendableHistory(await services.sessions.loadHistory(session));
    const turn = callerTurn(call.messages, stored);
    memory = { session, fresh: turn.fresh, stored: stored.length, maxMessages: settings.maxMessages };
    messages = [...turn.system, ...stored, ...turn.fresh];
  }
  const base: ChatRequest = {
    ...mergedRichFields(botConfig, call),
    messages: withSystemPrompt(messages, system),
    params: { ...botConfig.params, ...call.params },
    operation: call.operation,
  };
  const request = await chain.transformRequest(base, adapterContext);
  return {
    operation: call.operation,
    bot,
    botConfig,
    sessionId,
    tenantId,
    userId: session?.userId,
    candidates: routed(services, [botConfig.model, ...(botConfig.fallbacks ?? [])]),
    request,
    history: memory ? historyWindow(request.messages.length, memory, settings!.maxTokens) : undefined,
    memory,
    chain,
    adapterContext,
    signal: call.signal,
    useCache: call.useCache,
  };
}

/**
 * Where the stored history sits in the final request: just before the new messages. Request adapters
 * that add or drop messages do so around the conversation (a system prompt), so the window is found
 * from the end; when it cannot be, the request is sent untrimmed.
 */
function historyWindow(length: number, memory: PlanMemory, maxTokens: number | undefined): HistoryWindow | undefined {
  const end = length - memory.fresh.length;
  const start = end - memory.stored;
  if (memory.stored === 0 || start < 0) return undefined;
  return maxTokens === undefined ? { start, end } : { start, end, maxTokens };
}

/** The candidates as they will be called: deprecated catalog models warned about (and redirected when configured). */
function routed(services: PlanServices, candidates: string[]): string[] {
  return services.deprecations ? services.deprecations.route(candidates) : candidates;
}

/** A call that names a model: no session, no bot, no adapters; synchronous (no await on the hot path). */
export function planModelCall(call: NormalizedCall, model: string, services: PlanServices): CallPlan {
  const candidates = routed(services, [model]);
  return {
    operation: call.operation,
    tenantId: call.tenantId,
    candidates,
    request: { ...mergedRichFields(undefined, call), messages: call.messages, params: call.params, operation: call.operation },
    chain: services.adapters.chainFor({}),
    adapterContext: { metadata: {}, model: candidates[0]! },
    signal: call.signal,
    useCache: call.useCache,
  };
}

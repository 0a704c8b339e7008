/**
 * Every telemetry name the library emits, in one place (TELEMETRY.md). The GenAI semantic
 * conventions (semantic-conventions v1.41.0, `gen-ai-spans.md`, `gen-ai-metrics.md`) are still in
 * Development status: a rename upstream is one edit here. Project-specific names live under
 * `switchboard.*` because no standard exists for them yet (cost: semantic-conventions-genai #287).
 */

/** `gen_ai.operation.name` values. */
export const OPERATION_CHAT = 'chat';
/** `gen_ai.operation.name` for `sb.generate` on a completion endpoint. */
export const OPERATION_TEXT_COMPLETION = 'text_completion';
/** `gen_ai.operation.name` of the agent (bot) span. */
export const OPERATION_INVOKE_AGENT = 'invoke_agent';
/** `gen_ai.operation.name` of an embedding request (`sb.embed`, `POST /v1/embeddings`). */
export const OPERATION_EMBEDDINGS = 'embeddings';
/** Embeddings: the length of the vectors asked for (`dimensions`) or, when none was asked, returned. */
export const ATTR_EMBEDDINGS_DIMENSION_COUNT = 'gen_ai.embeddings.dimension.count';
/** Embeddings: texts in the request (a count; the texts are content and never recorded). */
export const ATTR_SB_EMBEDDINGS_INPUTS = 'switchboard.embeddings.inputs';

// Request attributes, set at span start.
/** Required: the operation (`chat`, `text_completion`, `invoke_agent`). */
export const ATTR_OPERATION_NAME = 'gen_ai.operation.name';
/** Required: the provider (`openai`, `anthropic`, our own names for the rest). */
export const ATTR_PROVIDER_NAME = 'gen_ai.provider.name';
/** The model asked for, without the provider prefix. */
export const ATTR_REQUEST_MODEL = 'gen_ai.request.model';
/** Host of the provider endpoint. */
export const ATTR_SERVER_ADDRESS = 'server.address';
/** Port of the provider endpoint. */
export const ATTR_SERVER_PORT = 'server.port';
/** Request parameter: max output tokens. */
export const ATTR_REQUEST_MAX_TOKENS = 'gen_ai.request.max_tokens';
/** Request parameter: temperature. */
export const ATTR_REQUEST_TEMPERATURE = 'gen_ai.request.temperature';
/** Request parameter: top_p. */
export const ATTR_REQUEST_TOP_P = 'gen_ai.request.top_p';
/** Request parameter: top_k. */
export const ATTR_REQUEST_TOP_K = 'gen_ai.request.top_k';
/** Request parameter: frequency penalty. */
export const ATTR_REQUEST_FREQUENCY_PENALTY = 'gen_ai.request.frequency_penalty';
/** Request parameter: presence penalty. */
export const ATTR_REQUEST_PRESENCE_PENALTY = 'gen_ai.request.presence_penalty';
/** Request parameter: stop sequences (string[]). */
export const ATTR_REQUEST_STOP_SEQUENCES = 'gen_ai.request.stop_sequences';
/** Request parameter: seed. */
export const ATTR_REQUEST_SEED = 'gen_ai.request.seed';
/** Whether the response was streamed. */
export const ATTR_REQUEST_STREAM = 'gen_ai.request.stream';

// Response attributes, set at span end.
/** Provider's response id. */
export const ATTR_RESPONSE_ID = 'gen_ai.response.id';
/** The model name the provider reported. */
export const ATTR_RESPONSE_MODEL = 'gen_ai.response.model';
/** Finish reasons (string[]). */
export const ATTR_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons';
/** Seconds from request to the first text chunk of a stream. */
export const ATTR_RESPONSE_TIME_TO_FIRST_CHUNK = 'gen_ai.response.time_to_first_chunk';
/** Input tokens, cache reads and writes included. */
export const ATTR_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
/** Output tokens, reasoning included. */
export const ATTR_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
/** Input tokens read from the provider's prompt cache. */
export const ATTR_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read.input_tokens';
/** Input tokens written to the provider's prompt cache. */
export const ATTR_USAGE_CACHE_CREATION_INPUT_TOKENS = 'gen_ai.usage.cache_creation.input_tokens';
/** Output tokens spent on reasoning. */
export const ATTR_USAGE_REASONING_OUTPUT_TOKENS = 'gen_ai.usage.reasoning.output_tokens';
/** Low-cardinality failure class (the LLMError `code`). */
export const ATTR_ERROR_TYPE = 'error.type';
/** The `error.type` value for anything that is not a known code (the spec's fallback value). */
export const ERROR_TYPE_OTHER = '_OTHER';

// Agent (bot) span.
/** The bot name. */
export const ATTR_AGENT_NAME = 'gen_ai.agent.name';
/** The session id (span attribute only: never a metric attribute). */
export const ATTR_CONVERSATION_ID = 'gen_ai.conversation.id';

// Chain span (`sb.chain(steps).run()` / `.stream()`): the parent of every step's call spans.
/** `gen_ai.operation.name` of a chain's span: a GenAI workflow whose steps are the calls beneath it. */
export const OPERATION_INVOKE_WORKFLOW = 'invoke_workflow';
/** The chain's name (`sb.chain(steps, { name })`, default `chain`). */
export const ATTR_WORKFLOW_NAME = 'gen_ai.workflow.name';
/** Steps in the chain. */
export const ATTR_SB_CHAIN_STEPS = 'switchboard.chain.steps';
/** Span event on the chain span, once per step whose call answered. */
export const EVENT_CHAIN_STEP = 'switchboard.chain.step';
/** Chain step event, and a failed chain span: the step's index (from 0). */
export const ATTR_SB_CHAIN_STEP_INDEX = 'switchboard.chain.step.index';
/** Chain step event, and a failed chain span: the step's outputKey. */
export const ATTR_SB_CHAIN_OUTPUT_KEY = 'switchboard.chain.step.output_key';

// Content capture (opt-in only).
/** Chat history sent to the model, JSON in the GenAI message format. */
export const ATTR_INPUT_MESSAGES = 'gen_ai.input.messages';
/** What the model answered, JSON in the GenAI message format. */
export const ATTR_OUTPUT_MESSAGES = 'gen_ai.output.messages';
/** System instructions, JSON list of parts. */
export const ATTR_SYSTEM_INSTRUCTIONS = 'gen_ai.system_instructions';
/** Tool definitions offered to the model (content: recorded only with capture on). */
export const ATTR_TOOL_DEFINITIONS = 'gen_ai.tool.definitions';
/** What the request asked the answer to be: `text` or `json`. */
export const ATTR_OUTPUT_TYPE = 'gen_ai.output.type';
/** Environment switch for content capture. */
export const ENV_CAPTURE_MESSAGE_CONTENT = 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT';

// Project attributes.
/** USD cost of the call (absent when the model has no price). */
export const ATTR_SB_COST_USD = 'switchboard.cost.usd';
/** Served from the response cache. */
export const ATTR_SB_CACHE_HIT = 'switchboard.cache.hit';
/** Adapter names applied, in order (string[]). */
export const ATTR_SB_ADAPTERS = 'switchboard.adapters';
/** Provider calls made, retries and fallbacks included. */
export const ATTR_SB_ATTEMPTS = 'switchboard.attempts';
/** The `provider:model` that answered when it was not the primary model. */
export const ATTR_SB_FALLBACK_MODEL = 'switchboard.fallback.model';
/**
 * The deployment an attempt went to (its configured `name`, never its key or URL): on the inference
 * span (the last attempt's), its retry events, and the deployment metric (bounded: configured names only).
 */
export const ATTR_SB_DEPLOYMENT = 'switchboard.deployment';
/** Metric attribute: `ok` or the error type of a call. */
export const ATTR_SB_OUTCOME = 'switchboard.outcome';
/** Metric attribute: `hit` or `miss` of a response-cache lookup. */
export const ATTR_SB_CACHE_RESULT = 'switchboard.cache.result';
/**
 * Metric attribute: the tenant of a call, for configured tenants only (`tenants.<id>`; any other tenant
 * id is `other`, a call without one has none), so no caller can add series.
 */
export const ATTR_SB_TENANT = 'switchboard.tenant';
/** The `switchboard.outcome` value of a successful call. */
export const OUTCOME_OK = 'ok';

// History span event (bots with memory), on the agent span, once per candidate entered.
/** Span event: the stored history a memory call sends to one candidate. */
export const EVENT_HISTORY = 'switchboard.history';
/** History and fallback events: the candidate (`provider:model`). */
export const ATTR_SB_MODEL = 'switchboard.model';
/** History event: stored messages sent. */
export const ATTR_SB_HISTORY_SENT = 'switchboard.history.sent';
/** History event: stored messages trimmed to fit the candidate's context window (or memory.maxTokens). */
export const ATTR_SB_HISTORY_TRIMMED = 'switchboard.history.trimmed';

// Fallback span event, on the agent span, once per move to the next candidate.
/** Span event: a candidate failed and the call moves on (`switchboard.model` failed, `error.type`, `switchboard.deployment` when known). */
export const EVENT_FALLBACK = 'switchboard.fallback';
/** Fallback event: the candidate tried next (`provider:model`). */
export const ATTR_SB_FALLBACK_TO = 'switchboard.fallback.to';

// Retry span event.
/** Span event recorded on the inference span for each retried attempt. */
export const EVENT_RETRY = 'retry';
/** Retry event: number of the attempt that failed (1-based). */
export const ATTR_EVENT_ATTEMPT = 'attempt';
/** Retry event: delay before the next attempt, ms. */
export const ATTR_EVENT_DELAY_MS = 'delay_ms';

// Metrics.
/** Histogram, seconds: duration of one inference (one model tried, retries included). */
export const METRIC_OPERATION_DURATION = 'gen_ai.client.operation.duration';
/** Histogram, tokens: input and output tokens per inference. */
export const METRIC_TOKEN_USAGE = 'gen_ai.client.token.usage';
/** Histogram, seconds: time to the first chunk of a stream. */
export const METRIC_TIME_TO_FIRST_CHUNK = 'gen_ai.client.operation.time_to_first_chunk';
/** Counter, USD. */
export const METRIC_COST = 'switchboard.cost';
/** Counter: pipeline calls by outcome. */
export const METRIC_REQUESTS = 'switchboard.requests';
/** Counter: response-cache lookups by result. */
export const METRIC_CACHE_LOOKUPS = 'switchboard.cache.lookups';
/** Counter: retried attempts. */
export const METRIC_RETRIES = 'switchboard.retries';
/** Counter: moves from a failed candidate to the next. */
export const METRIC_FALLBACKS = 'switchboard.fallbacks';
/** Counter: attempts per deployment (`switchboard.deployment`), with `error.type` on the failed ones. */
export const METRIC_DEPLOYMENT_ATTEMPTS = 'switchboard.deployment.attempts';
/** Deployment attempt unit. */
export const UNIT_ATTEMPTS = '{attempt}';
/** `gen_ai.token.type` attribute of the token histogram. */
export const ATTR_TOKEN_TYPE = 'gen_ai.token.type';
/** `gen_ai.token.type` values. */
export const TOKEN_TYPE_INPUT = 'input';
/** `gen_ai.token.type` for output tokens. */
export const TOKEN_TYPE_OUTPUT = 'output';

/** Units (UCUM). */
export const UNIT_SECONDS = 's';
/** Token unit. */
export const UNIT_TOKENS = '{token}';
/** Cost unit. */
export const UNIT_USD = 'USD';
/** Request unit. */
export const UNIT_REQUESTS = '{request}';
/** Cache lookup unit. */
export const UNIT_LOOKUPS = '{lookup}';
/** Retry unit. */
export const UNIT_RETRIES = '{retry}';
/** Fallback unit. */
export const UNIT_FALLBACKS = '{fallback}';

/** Spec buckets for durations and time to first chunk: 0.01 s doubling to 81.92 s. */
export const DURATION_BUCKETS_S: readonly number[] = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
/** Spec buckets for token counts: 1 growing ×4 to 67108864. */
export const TOKEN_BUCKETS: readonly number[] = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

/**
 * The only attribute keys a metric point may carry: all bounded (providers, models and bots come
 * from config; outcomes and error types are codes). Session and user ids are never here; a tenant id
 * only as `switchboard.tenant` of a configured tenant (metric-labels.ts).
 */
export const METRIC_ATTRIBUTE_ALLOW_LIST: readonly string[] = [
  ATTR_OPERATION_NAME,
  ATTR_PROVIDER_NAME,
  ATTR_REQUEST_MODEL,
  ATTR_RESPONSE_MODEL,
  ATTR_AGENT_NAME,
  ATTR_SB_OUTCOME,
  ATTR_SB_DEPLOYMENT,
  ATTR_TOKEN_TYPE,
  ATTR_ERROR_TYPE,
  ATTR_SB_CACHE_RESULT,
  ATTR_SB_TENANT,
];

/** Instrumentation scope name for the tracer and meter. */
export const INSTRUMENTATION_SCOPE = 'llm-switchboard';

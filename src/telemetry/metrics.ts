/**
 * The metric instruments (TELEMETRY.md "Metrics"): the GenAI client histograms with the spec's
 * bucket boundaries and the `switchboard.*` counters. Every point's attributes pass an allow-list,
 * so an unbounded value (session, user or tenant id) can never become a label.
 */
import { ValueType, type Attributes, type Counter, type Histogram, type Meter } from '@opentelemetry/api';
import type { Usage } from '../core/types.js';
import {
  ATTR_AGENT_NAME,
  ATTR_ERROR_TYPE,
  ATTR_OPERATION_NAME,
  ATTR_PROVIDER_NAME,
  ATTR_REQUEST_MODEL,
  ATTR_RESPONSE_MODEL,
  ATTR_SB_CACHE_RESULT,
  ATTR_SB_DEPLOYMENT,
  ATTR_SB_OUTCOME,
  ATTR_SB_TENANT,
  ATTR_TOKEN_TYPE,
  DURATION_BUCKETS_S,
  METRIC_ATTRIBUTE_ALLOW_LIST,
  METRIC_CACHE_LOOKUPS,
  METRIC_COST,
  METRIC_DEPLOYMENT_ATTEMPTS,
  METRIC_FALLBACKS,
  METRIC_OPERATION_DURATION,
  METRIC_REQUESTS,
  METRIC_RETRIES,
  METRIC_TIME_TO_FIRST_CHUNK,
  METRIC_TOKEN_USAGE,
  OUTCOME_OK,
  TOKEN_BUCKETS,
  TOKEN_TYPE_INPUT,
  TOKEN_TYPE_OUTPUT,
  UNIT_ATTEMPTS,
  UNIT_FALLBACKS,
  UNIT_LOOKUPS,
  UNIT_REQUESTS,
  UNIT_RETRIES,
  UNIT_SECONDS,
  UNIT_TOKENS,
  UNIT_USD,
} from './semconv.js';

const ALLOWED = new Set(METRIC_ATTRIBUTE_ALLOW_LIST);

/** Keep only allow-listed keys with defined values: the single gate every metric point passes. */
export function allowedAttributes(attributes: Record<string, string | undefined>): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== '' && ALLOWED.has(key)) out[key] = value;
  }
  return out;
}

/** What identifies one inference in its metric points. */
export interface InferenceMetricKey {
  operation: string;
  provider: string;
  /** Model name without the provider prefix. */
  model: string;
  bot?: string;
  /** The tenant label (metric-labels.ts): on the token and cost points only. */
  tenant?: string;
}

/** One finished (or failed) inference, as metrics need it. */
export interface InferenceMeasurement {
  durationS: number;
  responseModel?: string;
  /** Present only when the provider reported usage. */
  usage?: Usage;
  /** null: unpriced, no cost point. */
  costUsd: number | null;
  /** Seconds to the first chunk (streams that produced one). */
  timeToFirstChunkS?: number;
  /** Set when the inference failed. */
  errorType?: string;
  /** Embeddings have input tokens only: no output-token point. */
  inputOnly?: boolean;
}

/** Distinct attribute sets remembered (models x bots x outcomes); past it the memo starts over. */
const MAX_ATTRIBUTE_SETS = 1024;

/** The attribute sets of one inference key: the same few objects every call, built once. */
interface InferenceAttributeSets {
  base: Attributes;
  input: Attributes;
  output: Attributes;
  cost: Attributes;
}

/** The instruments, with record methods that apply the allow-list. */
export class SwitchboardMetrics {
  private readonly duration: Histogram;
  private readonly tokens: Histogram;
  private readonly firstChunk: Histogram;
  private readonly cost: Counter;
  private readonly requests: Counter;
  private readonly cacheLookups: Counter;
  private readonly retries: Counter;
  private readonly fallbacks: Counter;
  private readonly deploymentAttempts: Counter;
  /** Filtered attribute sets by their values: the allow-list runs once per distinct set, not per call. */
  private readonly inferenceSets = new Map<string, InferenceAttributeSets>();
  private readonly requestSets = new Map<string, Attributes>();

  constructor(meter: Meter) {
    this.duration = meter.createHistogram(METRIC_OPERATION_DURATION, {
      description: 'GenAI operation duration (one model tried, retries included)',
      unit: UNIT_SECONDS,
      advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_S] },
    });
    this.tokens = meter.createHistogram(METRIC_TOKEN_USAGE, {
      description: 'Number of input and output tokens used',
      unit: UNIT_TOKENS,
      valueType: ValueType.INT,
      advice: { explicitBucketBoundaries: [...TOKEN_BUCKETS] },
    });
    this.firstChunk = meter.createHistogram(METRIC_TIME_TO_FIRST_CHUNK, {
      description: 'Time to the first chunk of a streamed response',
      unit: UNIT_SECONDS,
      advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_S] },
    });
    this.cost = meter.createCounter(METRIC_COST, { description: 'Cost of priced calls in US dollars', unit: UNIT_USD });
    this.requests = meter.createCounter(METRIC_REQUESTS, { description: 'Calls by bot and outcome', unit: UNIT_REQUESTS });
    this.cacheLookups = meter.createCounter(METRIC_CACHE_LOOKUPS, { description: 'Response-cache lookups by result', unit: UNIT_LOOKUPS });
    this.retries = meter.createCounter(METRIC_RETRIES, { description: 'Retried provider attempts', unit: UNIT_RETRIES });
    this.fallbacks = meter.createCounter(METRIC_FALLBACKS, { description: 'Moves from a failed model to the next candidate', unit: UNIT_FALLBACKS });
    this.deploymentAttempts = meter.createCounter(METRIC_DEPLOYMENT_ATTEMPTS, { description: 'Attempts per deployment, error.type on failed ones', unit: UNIT_ATTEMPTS });
  }

  /** One attempt that went to `deployment` (a configured name: bounded), failed with `errorType` when given. */
  recordDeploymentAttempt(provider: string, deployment: string, errorType?: string): void {
    this.deploymentAttempts.add(1, allowedAttributes({ [ATTR_PROVIDER_NAME]: provider, [ATTR_SB_DEPLOYMENT]: deployment, [ATTR_ERROR_TYPE]: errorType }));
  }

  /** Duration, token usage, time to first chunk and cost of one inference. */
  recordInference(key: InferenceMetricKey, measured: InferenceMeasurement): void {
    const sets = this.inferenceAttributes(key, measured.responseModel, measured.errorType);
    this.duration.record(measured.durationS, sets.base);
    if (measured.timeToFirstChunkS !== undefined) this.firstChunk.record(measured.timeToFirstChunkS, sets.base);
    if (measured.usage) {
      this.tokens.record(measured.usage.inputTokens, sets.input);
      if (!measured.inputOnly) this.tokens.record(measured.usage.outputTokens, sets.output);
    }
    // An unpriced call adds no point: a 0 would claim the call was free.
    if (measured.costUsd !== null && Number.isFinite(measured.costUsd) && measured.costUsd >= 0) {
      this.cost.add(measured.costUsd, sets.cost);
    }
  }

  /** One finished pipeline call: `ok` or its error type; `tenant` is its tenant label. */
  recordRequest(bot: string | undefined, errorType?: string, tenant?: string): void {
    const outcome = errorType ?? OUTCOME_OK;
    const id = `${bot ?? ''}\u0000${outcome}\u0000${tenant ?? ''}`;
    this.requests.add(1, remembered(this.requestSets, id, () => allowedAttributes({ [ATTR_AGENT_NAME]: bot, [ATTR_SB_OUTCOME]: outcome, [ATTR_SB_TENANT]: tenant })));
  }

  /** One response-cache lookup. */
  recordCacheLookup(bot: string | undefined, hit: boolean): void {
    this.cacheLookups.add(1, allowedAttributes({ [ATTR_AGENT_NAME]: bot, [ATTR_SB_CACHE_RESULT]: hit ? 'hit' : 'miss' }));
  }

  /** One retried attempt of `provider`/`model`. */
  recordRetry(provider: string, model: string, errorType: string): void {
    this.retries.add(1, allowedAttributes({ [ATTR_PROVIDER_NAME]: provider, [ATTR_REQUEST_MODEL]: model, [ATTR_ERROR_TYPE]: errorType }));
  }

  /** One move away from the failed `provider`/`model`. */
  recordFallback(provider: string, model: string, bot: string | undefined, errorType: string): void {
    this.fallbacks.add(
      1,
      allowedAttributes({ [ATTR_PROVIDER_NAME]: provider, [ATTR_REQUEST_MODEL]: model, [ATTR_AGENT_NAME]: bot, [ATTR_ERROR_TYPE]: errorType }),
    );
  }

  private inferenceAttributes(key: InferenceMetricKey, responseModel: string | undefined, errorType: string | undefined): InferenceAttributeSets {
    const id = `${key.operation}\u0000${key.provider}\u0000${key.model}\u0000${key.bot ?? ''}\u0000${responseModel ?? ''}\u0000${errorType ?? ''}\u0000${key.tenant ?? ''}`;
    return remembered(this.inferenceSets, id, () => {
      const base = {
        [ATTR_OPERATION_NAME]: key.operation,
        [ATTR_PROVIDER_NAME]: key.provider,
        [ATTR_REQUEST_MODEL]: key.model,
        [ATTR_RESPONSE_MODEL]: responseModel,
        [ATTR_ERROR_TYPE]: errorType,
      };
      return {
        base: Object.freeze(allowedAttributes(base)),
        input: Object.freeze(allowedAttributes({ ...base, [ATTR_TOKEN_TYPE]: TOKEN_TYPE_INPUT, [ATTR_SB_TENANT]: key.tenant })),
        output: Object.freeze(allowedAttributes({ ...base, [ATTR_TOKEN_TYPE]: TOKEN_TYPE_OUTPUT, [ATTR_SB_TENANT]: key.tenant })),
        cost: Object.freeze(allowedAttributes({ [ATTR_PROVIDER_NAME]: key.provider, [ATTR_REQUEST_MODEL]: key.model, [ATTR_AGENT_NAME]: key.bot, [ATTR_SB_TENANT]: key.tenant })),
      };
    });
  }
}

/** The value remembered under `id`, built (and frozen) on first use; the memo is bounded by starting over. */
function remembered<T extends object>(memo: Map<string, T>, id: string, build: () => T): T {
  let value = memo.get(id);
  if (value === undefined) {
    if (memo.size >= MAX_ATTRIBUTE_SETS) memo.clear();
    value = Object.freeze(build());
    memo.set(id, value);
  }
  return value;
}

/**
 * `llm-switchboard/server`: the OpenAI-compatible gateway (docs/gateway.md).
 */
import 'reflect-metadata';

export { startGateway, DEFAULT_DRAIN_TIMEOUT_MS, type Gateway, type GatewayOptions } from './gateway.js';
export { createKeyVerifier, isLoopbackHost, type Caller, type KeyVerifier } from './auth.js';
export { toHttpFailure, GatewayHttpError, type HttpFailure, type OpenAIErrorObject } from './errors.js';
export { readiness, type Readiness } from './health.js';
export { createGatewayMetrics, type GatewayMetrics, type GatewayMetricsOptions } from './metrics.js';

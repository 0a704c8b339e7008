/**
 * What an arm is: one way of making the same chat call (a raw SDK, the switchboard in some set-up, a
 * peer library, a gateway), built for one transport. The worker drives it; each arm runs in its own
 * process so JIT state, heap and peak RSS belong to it alone.
 */

/** How a client reaches its upstream. */
export type Transport = 'canned' | 'loopback';

/** What an arm is built from. */
export interface ArmEnv {
  transport: Transport;
  /**
   * The canned fetch (canned); undefined over loopback, where each client runs on its own default as
   * a user would have it: the SDKs on Node's fetch, the switchboard on its transport (src/transport/).
   */
  fetch: typeof fetch | undefined;
  /** `…/v1` for OpenAI-shaped clients. */
  openaiBaseURL: string;
  /** Root URL for Anthropic clients. */
  anthropicBaseURL: string;
  /** Root URL of the fake upstream (loopback only; gateways forward there). */
  upstreamURL: string;
  /** Text chunks per answer. */
  chunks: number;
  /** The key clients send (the fakes accept any). */
  apiKey: string;
  /** The OpenAI model name every OpenAI-shaped arm asks for. */
  model: string;
  /** The user message every arm sends. */
  prompt: string;
}

/** A built arm. */
export interface ArmClient {
  /** One non-streaming chat call; resolves with the answer text. */
  call(): Promise<string>;
  /** One streamed chat call; `onDelta` runs for every text chunk; resolves with the whole text. */
  stream(onDelta: () => void): Promise<string>;
  /** Release everything (clients, servers, child processes). */
  close(): Promise<void>;
  /** A server process the arm talks through (gateways): its CPU and peak RSS are reported too. */
  serverPid?: number;
}

/** Which raw client an arm's ratios are taken against. */
export type Baseline = 'raw-openai' | 'raw-anthropic';

/** One arm in the registry. */
export interface ArmDefinition {
  name: string;
  /** One line for the tables. */
  label: string;
  baseline: Baseline;
  /** Transports it runs in (a cache hit never reaches fetch; gateways need sockets). */
  transports: Transport[];
  /** Why its streams cannot be measured here (the stream figures are left out), if they cannot. */
  noStreams?: string;
  /** Build the client for one transport. */
  create(env: ArmEnv): Promise<ArmClient>;
}

/** The fixed API key the clients send; the fakes accept anything. */
export const BENCH_API_KEY = 'sk-bench-not-a-real-key-000000000000';

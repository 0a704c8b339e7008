/**
 * What the interop tests share: one gateway (in-process, 127.0.0.1:0) in front of both fake
 * providers, the fake OpenAI server (model `openai:gpt-4o-mini`) and the fake Anthropic server
 * (`anthropic:claude-haiku-4-5`, translated both ways by the AnthropicManager), each seen through the
 * contract harnesses' script and wire readers, so every test scripts "call this tool" / "answer this"
 * once and reads the upstream request back in our names whichever provider is behind the gateway.
 */
import { silentLogger, type Logger } from '../../src/core/logger.js';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { anthropicRichWire, toAnthropicRichReply } from '../contract/anthropic-harness.js';
import type { RecordedRequest, RichWire, ScriptedRichReply } from '../contract/contract-harness.js';
import { openAIRichWire, toOpenAIRichReply } from '../contract/openai-harness.js';
import { FakeAnthropicServer } from '../helpers/fake-anthropic-server.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';

/** The gateway key the interop clients use. */
export const GATEWAY_KEY = 'gw-interop-Xb52Mq07Rt83Lk';
const OPENAI_KEY = 'sk-interop-openai-Vd41Hs96';
const ANTHROPIC_KEY = 'sk-ant-interop-Jc73Pw18';

/** One provider behind the gateway. */
export interface Upstream {
  /** `openai` or `anthropic`, for test names. */
  name: string;
  /** The gateway model that reaches it. */
  model: string;
  /** Queue the next answer: text, tool calls (ids and order kept), reasoning. */
  reply(reply: ScriptedRichReply): void;
  /** Queue a JSON answer to a structured-output request (shaped as the provider answers those). */
  replyJson(json: string): void;
  /** The requests it received, oldest first. */
  requests(): RecordedRequest[];
  /** A received request read back in our names. */
  wire(request: RecordedRequest): RichWire;
  /** The end-user id a received request carries (OpenAI `user`, Anthropic `metadata.user_id`). */
  endUser(request: RecordedRequest): unknown;
  /** Forget scripts and recorded requests. */
  reset(): void;
}

/** The running gateway and its two upstreams. */
export interface InteropGateway {
  gw: Gateway;
  /** `<gateway>/v1`, the base URL OpenAI-shaped clients take. */
  baseURL: string;
  upstreams: Upstream[];
  close(): Promise<void>;
}

/** Start both fakes and the gateway in front of them (`logger`: the gateway's, silent by default). */
export async function startInteropGateway(logger: Logger = silentLogger): Promise<InteropGateway> {
  const openai = await FakeOpenAIServer.start({ apiKey: OPENAI_KEY });
  const anthropic = await FakeAnthropicServer.start({ apiKey: ANTHROPIC_KEY });
  const gw = await startGateway({
    config: {
      resilience: { maxRetries: 0 },
      providers: { openai: { apiKey: OPENAI_KEY, baseURL: openai.baseURL }, anthropic: { apiKey: ANTHROPIC_KEY, baseURL: anthropic.url } },
      // A bot with provider options of its own, which a request's `user` must not replace.
      bots: { concierge: { model: 'openai:gpt-4o-mini', providerOptions: { openai: { service_tier: 'default' } } } },
      server: { apiKeys: [{ key: GATEWAY_KEY, tenant: 'interop' }] },
    },
    env: { NODE_ENV: 'test' },
    host: '127.0.0.1',
    port: 0,
    logger,
  });
  const upstreams: Upstream[] = [
    {
      name: 'openai',
      model: 'openai:gpt-4o-mini',
      reply: (reply) => openai.script('gpt-4o-mini', toOpenAIRichReply(reply)),
      replyJson: (json) => openai.script('gpt-4o-mini', { text: json }),
      requests: () => openai.requests,
      wire: openAIRichWire,
      endUser: (request) => (request.body as { user?: unknown }).user,
      reset: () => openai.reset(),
    },
    {
      name: 'anthropic',
      model: 'anthropic:claude-haiku-4-5',
      reply: (reply) => anthropic.script('claude-haiku-4-5', toAnthropicRichReply(reply)),
      replyJson: (json) => anthropic.script('claude-haiku-4-5', { json }),
      requests: () => anthropic.requests,
      wire: anthropicRichWire,
      endUser: (request) => (request.body as { metadata?: { user_id?: unknown } }).metadata?.user_id,
      reset: () => anthropic.reset(),
    },
  ];
  return {
    gw,
    baseURL: `${gw.url}/v1`,
    upstreams,
    close: async () => {
      await gw.close();
      await Promise.all([openai.close(), anthropic.close()]);
    },
  };
}

/** The weather tool every interop test offers, as a JSON Schema. */
export const WEATHER_PARAMETERS: Record<string, unknown> = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };

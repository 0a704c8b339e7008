/**
 * The baselines: the official SDKs used directly, as an application without a manager layer would
 * (SDK retries off, as the layer sets them), and the "every call emits telemetry" floor: the raw
 * openai SDK plus one hand-made GenAI span and three metric records per call on real OTel SDK
 * providers with discarding exporters. And the raw openai SDK on the switchboard's transport
 * (`raw-openai+pool`): what the transport alone changes, apart from the layer.
 */
import Anthropic from '@anthropic-ai/sdk';
import { SpanKind, type Histogram, type Span } from '@opentelemetry/api';
import OpenAI from 'openai';
import { PooledTransport } from '../../src/transport/transport.js';
import { startDiscardingTelemetry } from '../lib/otel.js';
import { BENCH_ANTHROPIC_MODEL, BENCH_MODEL, BENCH_PROMPT } from '../lib/wire.js';
import { BENCH_API_KEY, type ArmClient, type ArmDefinition, type ArmEnv } from './arm.js';

const MESSAGES = [{ role: 'user' as const, content: BENCH_PROMPT }];

function openAIClient(env: ArmEnv, fetchFn: typeof fetch | undefined = env.fetch): OpenAI {
  return new OpenAI({ apiKey: BENCH_API_KEY, baseURL: env.openaiBaseURL, fetch: fetchFn, maxRetries: 0 });
}

/** Non-streaming and streaming chat completions with the bare SDK. */
function rawOpenAI(client: OpenAI) {
  return {
    async call(): Promise<OpenAI.ChatCompletion> {
      return client.chat.completions.create({ model: BENCH_MODEL, messages: MESSAGES });
    },
    async stream(onDelta: (text: string) => void): Promise<OpenAI.CompletionUsage | undefined> {
      const stream = await client.chat.completions.create({ model: BENCH_MODEL, messages: MESSAGES, stream: true, stream_options: { include_usage: true } });
      let usage: OpenAI.CompletionUsage | undefined;
      for await (const chunk of stream) {
        const text = chunk.choices[0]?.delta?.content;
        if (text) onDelta(text);
        if (chunk.usage) usage = chunk.usage;
      }
      return usage;
    },
  };
}

/** Calls and streams of the raw SDK as an arm (text of the answer, a delta count per chunk). */
function rawOpenAIClient(client: OpenAI, close: () => Promise<void> = async () => undefined): ArmClient {
  const raw = rawOpenAI(client);
  return {
    call: async () => (await raw.call()).choices[0]?.message.content ?? '',
    async stream(onDelta) {
      let text = '';
      await raw.stream((delta) => {
        text += delta;
        onDelta();
      });
      return text;
    },
    close,
  };
}

const rawOpenAIArm: ArmDefinition = {
  name: 'raw-openai',
  label: 'raw `openai` SDK',
  baseline: 'raw-openai',
  transports: ['canned', 'loopback'],
  async create(env) {
    return rawOpenAIClient(openAIClient(env));
  },
};

const rawOpenAIPoolArm: ArmDefinition = {
  name: 'raw-openai+pool',
  label: 'raw `openai` SDK on the switchboard transport (its `fetch` option: src/transport/, undici pools)',
  baseline: 'raw-openai',
  transports: ['loopback'],
  async create(env) {
    const transport = new PooledTransport({ env: {} });
    const client = transport.client({ provider: 'openai' });
    return rawOpenAIClient(openAIClient(env, client.fetch), () => transport.close());
  },
};

const rawAnthropicArm: ArmDefinition = {
  name: 'raw-anthropic',
  label: 'raw `@anthropic-ai/sdk`',
  baseline: 'raw-anthropic',
  transports: ['canned', 'loopback'],
  async create(env) {
    const client = new Anthropic({ apiKey: BENCH_API_KEY, baseURL: env.anthropicBaseURL, fetch: env.fetch, maxRetries: 0, openTelemetry: false });
    const request = { model: BENCH_ANTHROPIC_MODEL, max_tokens: 1024, messages: MESSAGES };
    return {
      async call() {
        const message = await client.messages.create(request);
        return message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
      },
      async stream(onDelta) {
        let text = '';
        const stream = await client.messages.create({ ...request, stream: true });
        for await (const event of stream) {
          if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
            text += event.delta.text;
            onDelta();
          }
        }
        return text;
      },
      close: async () => undefined,
    };
  },
};

/** The span a careful hand-instrumented application would make for one chat call. */
function endChatSpan(span: Span, id: string | undefined, model: string | undefined, finish: string | null | undefined, usage: OpenAI.CompletionUsage | undefined): void {
  span.setAttributes({
    'gen_ai.response.id': id ?? '',
    'gen_ai.response.model': model ?? '',
    'gen_ai.response.finish_reasons': [finish ?? 'stop'],
    'gen_ai.usage.input_tokens': usage?.prompt_tokens ?? 0,
    'gen_ai.usage.output_tokens': usage?.completion_tokens ?? 0,
  });
  span.end();
}

const rawOpenAIWithOtelArm: ArmDefinition = {
  name: 'raw-openai+otel',
  label: 'raw `openai` + 1 hand-made span + 3 metric records (OTel SDK, discarding exporters)',
  baseline: 'raw-openai',
  transports: ['canned', 'loopback'],
  async create(env) {
    const telemetry = startDiscardingTelemetry();
    const tracer = telemetry.tracerProvider.getTracer('bench-hand-made');
    const meter = telemetry.meterProvider.getMeter('bench-hand-made');
    const duration: Histogram = meter.createHistogram('gen_ai.client.operation.duration', { unit: 's' });
    const tokens: Histogram = meter.createHistogram('gen_ai.client.token.usage', { unit: '{token}' });
    const url = new URL(env.openaiBaseURL);
    const base = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': BENCH_MODEL };
    const spanAttributes = { ...base, 'server.address': url.hostname, 'server.port': Number(url.port || 443) };
    const record = (started: number, usage: OpenAI.CompletionUsage | undefined, model: string | undefined) => {
      const attributes = { ...base, 'gen_ai.response.model': model ?? '' };
      duration.record((performance.now() - started) / 1000, attributes);
      tokens.record(usage?.prompt_tokens ?? 0, { ...attributes, 'gen_ai.token.type': 'input' });
      tokens.record(usage?.completion_tokens ?? 0, { ...attributes, 'gen_ai.token.type': 'output' });
    };
    const raw = rawOpenAI(openAIClient(env));
    const client: ArmClient = {
      call: () =>
        tracer.startActiveSpan(`chat ${BENCH_MODEL}`, { kind: SpanKind.CLIENT, attributes: spanAttributes }, async (span) => {
          const started = performance.now();
          const completion = await raw.call();
          const choice = completion.choices[0];
          endChatSpan(span, completion.id, completion.model, choice?.finish_reason, completion.usage);
          record(started, completion.usage, completion.model);
          return choice?.message.content ?? '';
        }),
      stream: (onDelta) =>
        tracer.startActiveSpan(`chat ${BENCH_MODEL}`, { kind: SpanKind.CLIENT, attributes: { ...spanAttributes, 'gen_ai.request.stream': true } }, async (span) => {
          const started = performance.now();
          let text = '';
          const usage = await raw.stream((delta) => {
            text += delta;
            onDelta();
          });
          endChatSpan(span, undefined, BENCH_MODEL, 'stop', usage);
          record(started, usage, BENCH_MODEL);
          return text;
        }),
      close: () => telemetry.shutdown(),
    };
    return client;
  },
};

/** The raw arms. */
export const rawArms: ArmDefinition[] = [rawOpenAIArm, rawOpenAIPoolArm, rawAnthropicArm, rawOpenAIWithOtelArm];

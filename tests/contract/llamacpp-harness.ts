/**
 * The llama.cpp harness of the rich-message contract. An in-process model has no server to script, so
 * node-llama-cpp itself is wrapped: its LlamaChat records every generation the manager asks for
 * (history, functions, grammar, options: "the wire") and, when an answer is scripted, steers sampling
 * to it token by token through node-llama-cpp's own `tokenBias`. The real model, chat wrapper,
 * function-call parser and grammars still run; only which token wins is decided by the script.
 * Usage stays the model's own count (the script cannot set it), failures and hangs cannot be scripted.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChatHistoryItem, ChatModelFunctions, LlamaGrammar, LlamaModel } from 'node-llama-cpp';
import type { CallParams } from '../../src/core/types.js';
import { grammarSchema } from '../../src/managers/llamacpp/json-grammar.js';
import { LlamaCppManager } from '../../src/managers/llamacpp/llamacpp-manager.js';
import type { NodeLlamaCpp } from '../../src/managers/llamacpp/node-llama-cpp-loader.js';
import { makeManagerDeps } from '../helpers/manager-deps.js';
import { writeTinyGguf } from '../helpers/tiny-gguf.js';
import type { RecordedRequest, RichContractHarness, RichWire, ScriptedRichReply } from './contract-harness.js';

/** What the manager asked node-llama-cpp for in one `LlamaChat.generateResponse`. */
export interface AskedGeneration {
  history: ChatHistoryItem[];
  functions?: ChatModelFunctions;
  /** The schema of the grammar (in grammar form), when a grammar was given. */
  grammarSchema?: unknown;
  options: Record<string, unknown>;
}

/**
 * node-llama-cpp with a LlamaChat that records every generation it is asked for and, when an answer
 * is scripted, steers sampling to it: each step's `tokenBias` lifts the script's next token far above
 * the rest (greedy sampling then takes it; a grammar still masks what it forbids). The script ends with
 * a newline, which ends a turn in the tiny model's chat template.
 */
export function steeredNodeLlamaCpp(real: NodeLlamaCpp, asked: AskedGeneration[], scripts: ScriptedRichReply[]): NodeLlamaCpp {
  const scriptText = (chat: { chatWrapper: { generateFunctionCall(name: string, params: unknown): { toString(): string } } }, script: ScriptedRichReply, options: Record<string, unknown>): string => {
    const calls = script.toolCalls ?? [];
    if (calls.length > 0 && options.functions) return calls.map((call) => chat.chatWrapper.generateFunctionCall(call.name, JSON.parse(call.arguments)).toString()).join('');
    if (calls.length > 0) return JSON.stringify({ name: calls[0]!.name, arguments: JSON.parse(calls[0]!.arguments) as unknown });
    return script.text;
  };
  const steering = (model: LlamaModel, text: string) => {
    const tokens = model.tokenize(`${text}\n`, false, 'trimLeadingSpace');
    let step = 0;
    return () => {
      const bias = new real.TokenBias(model.tokenizer);
      bias.set(tokens[Math.min(step++, tokens.length - 1)]!, { logit: 1e4 });
      return bias;
    };
  };
  class RecordingLlamaChat extends real.LlamaChat {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    override generateResponse(history: ChatHistoryItem[], options: any = {}): any {
      const { functions, grammar, signal: _signal, onTextChunk: _onText, ...rest } = options as Record<string, unknown>;
      asked.push({ history: structuredClone(history), functions: functions as ChatModelFunctions | undefined, grammarSchema: grammar ? grammarSchema(grammar as LlamaGrammar) : undefined, options: rest });
      const script = scripts.shift();
      const steered = script ? { ...options, tokenBias: steering(this.model, scriptText(this, script, options as Record<string, unknown>)) } : options;
      return super.generateResponse(history, steered);
    }
  }
  return { ...real, LlamaChat: RecordingLlamaChat } as NodeLlamaCpp;
}

const isForcedCallSchema = (schema: unknown): schema is { oneOf?: unknown[] } => {
  const alternatives = ((schema as { oneOf?: unknown[] }).oneOf ?? [schema]) as Array<{ properties?: Record<string, { const?: unknown }> }>;
  return alternatives.every((alternative) => typeof alternative?.properties?.name?.const === 'string' && alternative.properties.arguments !== undefined);
};

/** What node-llama-cpp was asked, in our names. It has no tool choice and no call ids: neither is ever on its wire. */
function llamaRichWire(request: RecordedRequest): RichWire {
  const asked = request.body as AskedGeneration;
  const wire: RichWire = { tools: [], assistantToolCalls: [], toolResults: [], images: [], reasoningBlocksSent: [] };
  for (const [name, fn] of Object.entries(asked.functions ?? {})) wire.tools.push({ name, description: fn.description, parameters: fn.params });
  const schema = asked.grammarSchema;
  if (schema !== undefined && isForcedCallSchema(schema)) {
    const alternatives = (schema.oneOf ?? [schema]) as Array<{ properties: { name: { const: string }; arguments: unknown } }>;
    for (const alternative of alternatives) wire.tools.push({ name: alternative.properties.name.const, parameters: alternative.properties.arguments });
    wire.toolChoice = alternatives.length === 1 ? { name: alternatives[0]!.properties.name.const } : 'required';
  } else if (schema !== undefined) {
    const any = JSON.stringify(schema) === JSON.stringify({ type: 'object', additionalProperties: true });
    wire.responseFormat = any ? { type: 'json' } : { type: 'json_schema', schema };
  }
  for (const item of asked.history) {
    if (item.type !== 'model') continue;
    for (const part of item.response) {
      if (typeof part === 'string' || part.type !== 'functionCall') continue;
      wire.assistantToolCalls.push({ id: '', name: part.name, arguments: part.params });
      wire.toolResults.push({ toolCallId: '', content: typeof part.result === 'string' ? part.result : JSON.stringify(part.result) });
    }
  }
  return wire;
}

export async function llamaRichHarness(): Promise<RichContractHarness> {
  const real = (await import('node-llama-cpp')) as NodeLlamaCpp;
  const asked: AskedGeneration[] = [];
  const scripts: ScriptedRichReply[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-llama-rich-'));
  // Room for the functions' documentation, about one token per character with the tiny vocabulary.
  await writeTinyGguf(join(dir, 'tiny.gguf'), { seed: 1, contextLength: 4096 });
  const manager = new LlamaCppManager(makeManagerDeps(), { modelsDir: dir, threads: 1, gpu: false, contextSize: 0 }, { importModule: async () => steeredNodeLlamaCpp(real, asked, scripts) });
  const notScriptable = () => {
    throw new Error('an in-process model has no server to fail or hang');
  };
  return {
    manager,
    modelId: 'tiny',
    reply: (reply) => scripts.push(reply),
    replyRich: (reply) => scripts.push(reply),
    fail: notScriptable,
    hang: notScriptable,
    requests: () => asked.map((body) => ({ method: 'generateResponse', path: 'tiny', headers: {}, body })),
    paramsOnWire: (request) => {
      const options = (request.body as AskedGeneration).options;
      const penalty = options.repeatPenalty as { frequencyPenalty?: number; presencePenalty?: number } | undefined;
      const wire: Record<string, unknown> = { temperature: options.temperature, maxTokens: options.maxTokens, topP: options.topP, topK: options.topK, seed: options.seed, stop: options.customStopTriggers, frequencyPenalty: penalty?.frequencyPenalty, presencePenalty: penalty?.presencePenalty };
      for (const key of Object.keys(wire)) if (wire[key] === undefined) delete wire[key];
      return wire as CallParams;
    },
    supportedParams: ['temperature', 'maxTokens', 'topP', 'topK', 'seed', 'stop', 'frequencyPenalty', 'presencePenalty'],
    // Usage is exact, but it is the model's own count: a script cannot set it.
    reportsUsage: false,
    capabilities: { tools: true, vision: false, json: true, reasoning: false, returnsReasoning: false, sendsReasoningBack: false, toolCallIds: false, parallelToolCalls: false },
    richWire: llamaRichWire,
    providerOption: { key: 'topK', value: 7, read: (request) => (request.body as AskedGeneration).options.topK },
    close: async () => {
      await manager.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

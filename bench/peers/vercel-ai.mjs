/**
 * Peer arm: the Vercel AI SDK (`ai` 6 with `@ai-sdk/openai` 3), chat-completions model, retries off,
 * telemetry off (its default). Plain ESM so it resolves `ai` from bench/node_modules.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText } from 'ai';

/** @param {import('../arms/arm.ts').ArmEnv} env */
export async function create(env) {
  const provider = createOpenAI({ apiKey: env.apiKey, baseURL: env.openaiBaseURL, fetch: env.fetch });
  // .chat(): the chat completions API, the same endpoint every other arm calls (the default is Responses).
  const model = provider.chat(env.model);
  const messages = [{ role: 'user', content: env.prompt }];
  return {
    async call() {
      const result = await generateText({ model, messages, maxRetries: 0 });
      return result.text;
    },
    /** @param {() => void} onDelta */
    async stream(onDelta) {
      let failure;
      const result = streamText({ model, messages, maxRetries: 0, onError: ({ error }) => (failure = error) });
      let text = '';
      for await (const delta of result.textStream) {
        text += delta;
        onDelta();
      }
      if (failure) throw failure;
      return text;
    },
    async close() {},
  };
}

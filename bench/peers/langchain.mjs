/**
 * Peer arm: LangChain.js (`@langchain/openai` 1.5.8 ChatOpenAI on `@langchain/core` 1.4), retries
 * off, no tracing (LANGSMITH_* unset). Plain ESM so it resolves from bench/node_modules.
 */
import { ChatOpenAI } from '@langchain/openai';

/** @param {import('../arms/arm.ts').ArmEnv} env */
export async function create(env) {
  const model = new ChatOpenAI({
    model: env.model,
    apiKey: env.apiKey,
    maxRetries: 0,
    streamUsage: true,
    configuration: { baseURL: env.openaiBaseURL, fetch: env.fetch },
  });
  const messages = [{ role: 'user', content: env.prompt }];
  const textOf = (content) => (typeof content === 'string' ? content : content.map((part) => part.text ?? '').join(''));
  return {
    async call() {
      const message = await model.invoke(messages);
      return textOf(message.content);
    },
    /** @param {() => void} onDelta */
    async stream(onDelta) {
      let text = '';
      for await (const chunk of await model.stream(messages)) {
        const delta = textOf(chunk.content);
        if (delta) {
          text += delta;
          onDelta();
        }
      }
      return text;
    },
    async close() {},
  };
}

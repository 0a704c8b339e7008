/**
 * Every embedding upstream on 127.0.0.1 for the embedding tests (library, gateway, interop): the fake
 * OpenAI server (as `openai` and as the named OpenAI-compatible endpoint `vllm`), a second one as a
 * HuggingFace endpoint / TEI server (its `POST /`, demanding the HF token), the fake Ollama server, and
 * a tiny GGUF file for llamacpp, with
 * the `providers` config that points a switchboard at all of them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeOpenAIServer } from './fake-openai-server.js';
import { startFakeOllamaServer, type FakeOllamaServer } from './fake-ollama-server.js';
import { writeTinyGguf } from './tiny-gguf.js';

/** The key the fake OpenAI server demands (and the OpenAI provider sends). */
export const EMBED_OPENAI_KEY = 'sk-embed-test-Qx81Vn27Lr55Tz';
/** The HF token the HF provider sends to the endpoint. */
export const EMBED_HF_TOKEN = 'hf_embedTestToken00001';
/** The Ollama embedding model the fake has pulled. */
export const OLLAMA_EMBED_MODEL = 'nomic-embed-text';
/** The tiny GGUF's name: `llamacpp:tiny-embed`. */
export const GGUF_NAME = 'tiny-embed';

/** The running upstreams. */
export interface EmbedUpstreams {
  openai: FakeOpenAIServer;
  /** The HF endpoint (the fake OpenAI server's feature-extraction routes). */
  hf: FakeOpenAIServer;
  ollama: FakeOllamaServer;
  /** Where the tiny GGUF lives (`<dir>/<GGUF_NAME>.gguf`). */
  modelsDir: string;
  /** `providers` config for all of them. */
  providers(): Record<string, unknown>;
  close(): Promise<void>;
}

/** Start the fakes and write the tiny GGUF. */
export async function startEmbedUpstreams(): Promise<EmbedUpstreams> {
  const openai = await FakeOpenAIServer.start({ apiKey: EMBED_OPENAI_KEY });
  const hf = await FakeOpenAIServer.start({ apiKey: EMBED_HF_TOKEN });
  const ollama = await startFakeOllamaServer([{ name: OLLAMA_EMBED_MODEL, size: 274_302_450, architecture: 'nomic-bert', contextLength: 2048, capabilities: ['embedding'] }]);
  const modelsDir = await mkdtemp(join(tmpdir(), 'switchboard-embed-'));
  await writeTinyGguf(join(modelsDir, `${GGUF_NAME}.gguf`), { seed: 7 });
  return {
    openai,
    hf,
    ollama,
    modelsDir,
    providers: () => ({
      openai: { apiKey: EMBED_OPENAI_KEY, baseURL: openai.baseURL, timeoutMs: 10_000 },
      openaiCompatible: { vllm: { baseURL: openai.baseURL, apiKey: EMBED_OPENAI_KEY } },
      huggingface: { apiKey: EMBED_HF_TOKEN, endpointUrl: hf.url, timeoutMs: 10_000 },
      ollama: { baseURL: ollama.url },
      llamacpp: { modelsDir, contextSize: 128 },
    }),
    close: async () => {
      await Promise.all([openai.close(), hf.close(), ollama.close()]);
      await rm(modelsDir, { recursive: true, force: true });
    },
  };
}

/**
 * `llm-switchboard/testing`: a scripted provider so platforms can test their bots, sessions and
 * adapters with no network. Register it with `sb.registry.register(new FakeProvider())`.
 */
export { FakeProvider } from './fake-provider.js';
export { FAKE_EMBED_DIMENSIONS, fakeEmbedding } from './fake-embedding.js';
export type { FakeCall, FakeFailure, FakeHttpFailure, FakeInterruption, FakeProviderOptions, FakeReply } from './fake-script.js';

/**
 * The testing FakeProvider's default provider name. The provider is registered at run time, so it is
 * in no definition list; config still lets bots name it (managers/builtin-providers.ts
 * RUNTIME_PROVIDER_NAMES), as platforms test their config's bots against it.
 */
export const FAKE_PROVIDER_NAME = 'fake';

/**
 * The docs tables of providers (docs/providers.md): what each is configured with, and how its errors
 * differ from plain HTTP. Rendered from the definitions so they cannot drift:
 * tests/unit/managers/provider-table.test.ts fails when the page's tables differ from these.
 */
import { BUILTIN_PROVIDER_DEFINITIONS } from './builtin-providers.js';
import { envVariablesOf, secretFieldsOf, type ProviderDefinition } from './provider-definition.js';

/** The markers around a generated table in a Markdown page (`name` tells the tables apart). */
export function tableMarkers(name: 'providers' | 'error-quirks'): { begin: string; end: string } {
  return {
    begin: `<!-- ${name}-table:begin (generated from src/managers/builtin-providers.ts by src/managers/provider-table.ts; do not edit by hand) -->`,
    end: `<!-- ${name}-table:end -->`,
  };
}

/** A Markdown table cell: pipes escaped, never empty. */
function cell(text: string): string {
  return text === '' ? '-' : text.replace(/\|/g, '\\|');
}

function codeList(items: readonly string[]): string {
  return items.map((item) => `\`${item}\``).join(', ');
}

/** One row: the provider name, its section, what it talks to, its variables, secret fields and fetch. */
function row(definition: ProviderDefinition): string {
  const map = definition.section === 'map';
  const name = map ? '`<name>`' : `\`${definition.id}\``;
  const section = map ? `\`providers.${definition.id}.<name>\`` : `\`providers.${definition.id}\``;
  const columns = [name, section, definition.description, codeList(envVariablesOf(definition)), codeList(secretFieldsOf(definition)), definition.takesFetch ? 'yes' : 'no'];
  return `| ${columns.map(cell).join(' | ')} |`;
}

/** The Markdown table of `definitions` (default: the built-in list), one row each, in list order. */
export function renderProvidersTable(definitions: readonly ProviderDefinition[] = BUILTIN_PROVIDER_DEFINITIONS): string {
  const header = '| provider | config section | talks to | environment variables | secret fields | takes `fetch` |';
  const rule = '| --- | --- | --- | --- | --- | --- |';
  return [header, rule, ...definitions.map(row)].join('\n');
}

/** One row of the quirks table: what the provider's SDK does differently from plain HTTP. */
function quirksRow(definition: ProviderDefinition): string {
  const quirks = definition.errorQuirks ?? {};
  const name = definition.section === 'map' ? '`<name>` (`openaiCompatible`)' : `\`${definition.id}\``;
  const streamTypes = Object.entries(quirks.streamErrorTypes ?? {}).map(([type, status]) => `\`${type}\` = ${status}`);
  const classes = [
    ...(quirks.timeoutErrorNames ?? []).map((n) => `\`${n}\` → TimeoutError`),
    ...(quirks.connectionErrorNames ?? []).filter((n) => !(quirks.timeoutErrorNames ?? []).includes(n)).map((n) => `\`${n}\` → retryable`),
    ...(quirks.abortErrorNames ?? []).map((n) => `\`${n}\` → AbortError`),
  ];
  const columns = [name, (quirks.retryableStatuses ?? []).join(', '), streamTypes.join(', '), classes.join(', '), (quirks.quotaHints ?? []).map((h) => `"${h}"`).join(', ')];
  return `| ${columns.map(cell).join(' | ')} |`;
}

/** The Markdown table of each definition's error quirks (ErrorQuirks in src/core/error-mapping.ts). */
export function renderErrorQuirksTable(definitions: readonly ProviderDefinition[] = BUILTIN_PROVIDER_DEFINITIONS): string {
  const header = '| provider | also retried | stream error types (= status) | SDK error classes | quota words (429 or 400) |';
  const rule = '| --- | --- | --- | --- | --- |';
  return [header, rule, ...definitions.map(quirksRow)].join('\n');
}

/**
 * docs/providers.md's tables are the built-in list rendered (src/managers/provider-table.ts): a
 * provider added, an environment variable renamed or a quirk changed without the page fails here.
 * To refresh the page, paste the "expected" text this test prints between the markers.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { renderErrorQuirksTable, renderProvidersTable, tableMarkers } from '../../../src/managers/provider-table.js';

const PAGE = readFileSync(new URL('../../../docs/providers.md', import.meta.url), 'utf8');

/** The text between a table's markers on the page (undefined when the markers are missing). */
function tableOnPage(name: 'providers' | 'error-quirks'): string | undefined {
  const { begin, end } = tableMarkers(name);
  const from = PAGE.indexOf(begin);
  const to = PAGE.indexOf(end);
  if (from < 0 || to < from) return undefined;
  return PAGE.slice(from + begin.length, to).trim();
}

describe('docs/providers.md', () => {
  it('lists every built-in provider as renderProvidersTable renders the list', () => {
    expect(tableOnPage('providers')).toBe(renderProvidersTable());
  });

  it("shows every built-in provider's error quirks as renderErrorQuirksTable renders them", () => {
    expect(tableOnPage('error-quirks')).toBe(renderErrorQuirksTable());
  });

  it('renders a user-land definition like a built-in one', () => {
    const table = renderProvidersTable([
      { id: 'acme', description: 'Acme | chat', configSchema: { apiKey: { default: '', format: 'sb-string', env: 'ACME_API_KEY', sensitive: true } }, create: () => [] },
    ]);
    expect(table.split('\n')[2]).toBe('| `acme` | `providers.acme` | Acme \\| chat | `ACME_API_KEY` | `apiKey` | no |');
  });
});

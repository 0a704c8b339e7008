/**
 * `switchboard models [--refresh] [--provider p] [--json]`: providers (ready, or why not) and the
 * models the catalog and discovery know, with context windows, prices and deprecations.
 */
import { NoSuchProviderError } from '../../core/errors.js';
import type { ModelInfo, ProviderStatus } from '../../core/types.js';
import type { Switchboard } from '../../switchboard.js';
import { EXIT_OK, reportError, type CliIO } from '../cli-io.js';
import { openSwitchboard, type SwitchboardFlags } from '../open-switchboard.js';

/** Flags of `switchboard models`. */
export interface ModelsFlags extends SwitchboardFlags {
  /** Ask every ready provider for its models first (network calls). */
  refresh?: boolean;
  provider?: string;
  json?: boolean;
}

/** Run `switchboard models`; returns the exit code. */
export async function runModels(flags: ModelsFlags, io: CliIO): Promise<number> {
  let sb: Switchboard | undefined;
  try {
    sb = await openSwitchboard(io, flags);
    if (flags.refresh) {
      const { failures } = await sb.registry.refreshModels();
      for (const failure of failures) io.stderr.write(`warning: could not list the models of ${failure.provider}: ${failure.message}\n`);
    }
    let providers = sb.registry.listProviders();
    if (flags.provider !== undefined) {
      providers = providers.filter((status) => status.name === flags.provider);
      if (providers.length === 0) throw new NoSuchProviderError(flags.provider, sb.registry.listProviders().map((status) => status.name));
    }
    const models = sb.registry.listModels({ provider: flags.provider, includeDeprecated: true }).sort((a, b) => a.id.localeCompare(b.id));
    io.stdout.write(flags.json ? `${JSON.stringify({ providers, models }, null, 2)}\n` : formatListing(providers, models));
    return EXIT_OK;
  } catch (error) {
    return reportError(io, error, flags.verbose ?? false);
  } finally {
    await sb?.close();
  }
}

/** The human-readable listing: two aligned tables. */
export function formatListing(providers: ProviderStatus[], models: ModelInfo[]): string {
  const providerRows = providers.map((status) => [status.name, status.ready ? 'ready' : `not ready: ${status.reason ?? 'unknown reason'}`]);
  const modelRows = models.map((info) => [
    info.id,
    info.contextWindow === undefined ? '-' : String(info.contextWindow),
    info.pricing ? formatPrice(info.pricing.inputPerMTok) : '-',
    info.pricing ? formatPrice(info.pricing.outputPerMTok) : '-',
    notes(info),
  ]);
  const parts = [table(['PROVIDER', 'STATUS'], providerRows)];
  parts.push(models.length ? table(['MODEL', 'CONTEXT', 'IN $/MTOK', 'OUT $/MTOK', 'NOTES'], modelRows) : 'No models known (try --refresh).\n');
  return parts.join('\n');
}

function notes(info: ModelInfo): string {
  const found: string[] = [];
  if (info.local) found.push('local');
  if (info.deprecated) {
    const details = [info.deprecated.since ? `since ${info.deprecated.since}` : '', info.deprecated.replacement ? `use ${info.deprecated.replacement}` : '']
      .filter(Boolean)
      .join('; ');
    found.push(details ? `deprecated (${details})` : 'deprecated');
  }
  return found.join(', ');
}

function formatPrice(perMTok: number): string {
  return perMTok.toFixed(4).replace(/0{1,2}$/, '');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

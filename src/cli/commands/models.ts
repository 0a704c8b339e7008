/**
 * `switchboard models [--refresh] [--provider p] [--json] [--save file]`: providers (ready, or why
 * not), the models the catalog and discovery know, with context windows, prices and deprecations, and
 * what each bot defined by capability resolved to. `--save` writes the whole catalog (every provider's
 * models, whatever `--provider` shows) to a JSON or YAML file that `models` can point at.
 */
import { resolve } from 'node:path';
import type { ModelChoice } from '../../config/types.js';
import { describeChoice } from '../../bots/model-choice.js';
import { NoSuchProviderError } from '../../core/errors.js';
import type { ModelInfo, ProviderStatus } from '../../core/types.js';
import { canonicalModelInfo } from '../../registry/catalog-file.js';
import type { Switchboard } from '../../switchboard.js';
import { EXIT_OK, reportError, type CliIO } from '../cli-io.js';
import { openSwitchboard, type SwitchboardFlags } from '../open-switchboard.js';

/** Flags of `switchboard models`. */
export interface ModelsFlags extends SwitchboardFlags {
  /** Ask every ready provider for its models first (network calls). */
  refresh?: boolean;
  provider?: string;
  json?: boolean;
  /** Write the catalog plus what discovery found to this file (relative to the working directory). */
  save?: string;
}

/** A bot whose model was chosen by capability, and what it resolved to. */
export interface ChosenBot {
  bot: string;
  model: string;
  fallbacks: string[];
  modelChoice: ModelChoice;
}

/** The bots of `sb` defined by capability, in definition order. */
function chosenBots(sb: Switchboard): ChosenBot[] {
  return sb.bots.list().flatMap((name) => {
    const bot = sb.bots.get(name);
    return bot?.modelChoice ? [{ bot: name, model: bot.model, fallbacks: [...(bot.fallbacks ?? [])], modelChoice: bot.modelChoice }] : [];
  });
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
    // One field order whatever built an entry (catalog or discovery), so equal facts print as equal text.
    const models = sb.registry.listModels({ provider: flags.provider, includeDeprecated: true }).sort((a, b) => a.id.localeCompare(b.id)).map(canonicalModelInfo);
    const bots = chosenBots(sb);
    io.stdout.write(flags.json ? `${JSON.stringify({ providers, models, bots }, null, 2)}\n` : formatListing(providers, models, bots));
    if (flags.save !== undefined) {
      await sb.registry.saveCatalog(resolve(io.cwd ?? process.cwd(), flags.save));
      io.stderr.write(`saved ${sb.registry.listModels({ includeDeprecated: true }).length} models to ${flags.save}\n`);
    }
    return EXIT_OK;
  } catch (error) {
    return reportError(io, error, flags.verbose ?? false);
  } finally {
    await sb?.close();
  }
}

/** The human-readable listing: aligned tables of providers, models and (when any) bots chosen by capability. */
export function formatListing(providers: ProviderStatus[], models: ModelInfo[], bots: ChosenBot[] = []): string {
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
  if (bots.length > 0) {
    const botRows = bots.map((chosen) => [chosen.bot, chosen.model, chosen.fallbacks.join(', ') || '-', describeChoice(chosen.modelChoice)]);
    parts.push(table(['BOT', 'CHOSE', 'FALLBACKS', 'BY'], botRows));
  }
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

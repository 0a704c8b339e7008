/**
 * How every command builds its Switchboard: config files from `--config` (else the defaults and
 * SWITCHBOARD_CONFIG), the CLI's environment and directory, and log lines on the CLI's stderr.
 */
import { createSwitchboard } from '../create-switchboard.js';
import { createConsoleLogger } from '../core/logger.js';
import type { Switchboard } from '../switchboard.js';
import type { CliIO } from './cli-io.js';

/** Options shared by the commands that need a switchboard. */
export interface SwitchboardFlags {
  /** `--config <file>`, repeatable; later files win. */
  config?: string[];
  /** `--verbose`: debug logs and stacks. */
  verbose?: boolean;
}

/** Build the switchboard a command uses; the caller closes it. */
export function openSwitchboard(io: CliIO, flags: SwitchboardFlags, onModelLoadProgress?: (modelId: string, progress: number) => void): Promise<Switchboard> {
  const extra = io.switchboard ?? {};
  // A config the caller loaded already is served as it is: nothing to read from files or the environment.
  const loading = extra.loadedConfig ? {} : { configFile: flags.config && flags.config.length > 0 ? flags.config : undefined, env: io.env ?? process.env };
  return createSwitchboard({
    ...extra,
    ...loading,
    cwd: io.cwd ?? process.cwd(),
    logger: extra.logger ?? createConsoleLogger(flags.verbose ? 'debug' : 'warn', (line) => io.stderr.write(`${line}\n`)),
    onModelLoadProgress: onModelLoadProgress ?? extra.onModelLoadProgress,
  });
}

/**
 * The `switchboard` command line as a function: parse `argv`, run one command, return its exit code.
 * main.ts calls it with the real process streams; tests call it in-process with collectors.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { EXIT_FAILURE, EXIT_OK, reportError, type CliIO } from './cli-io.js';
import { runChat, type ChatFlags } from './commands/chat.js';
import { runModels, type ModelsFlags } from './commands/models.js';
import { registerServeCommand } from './commands/serve.js';

/** Run the CLI with `argv` (the arguments after the program name). Never throws; never exits the process. */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  let exitCode = EXIT_OK;
  const program = new Command('switchboard')
    .description('Talk to any configured LLM provider through llm-switchboard.')
    .version(packageVersion(), '-V, --version')
    // Set before the subcommands are added: commander copies these settings into each of them.
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .showHelpAfterError('(run "switchboard <command> --help" for usage)');

  program
    .command('models')
    .description('List providers (ready, or why not), known models with context windows, prices and deprecations, and the models bots chose by capability')
    .option('--refresh', 'ask every ready provider for its models first')
    .option('--provider <name>', 'only this provider')
    .option('--json', 'print JSON instead of tables')
    .option('--save <file>', 'write the catalog plus what discovery found to a .json, .yaml or .yml file (atomically)')
    .option('--config <file>', 'config file, JSON or YAML (repeatable; later files win)', collect, [])
    .option('--verbose', 'debug logs and full stacks')
    .action(async (flags: ModelsFlags) => {
      exitCode = await runModels(flags, io);
    });

  program
    .command('chat')
    .description('Stream one answer to stdout; usage and cost go to stderr')
    .argument('[prompt...]', 'the prompt (read from stdin when omitted)')
    .option('--model <provider:model>', 'the model, e.g. openai:gpt-4o-mini')
    .option('--bot <name>', 'a bot type from config')
    .option('--session <id>', 'continue a session (with --bot: start it when missing)')
    .option('--system <text>', 'system prompt')
    .option('--temperature <n>', 'sampling temperature (0-2)', parseNumber)
    .option('--max-tokens <n>', 'most output tokens', parseWholeNumber)
    .option('--config <file>', 'config file (repeatable; later files win)', collect, [])
    .option('--verbose', 'debug logs and full stacks')
    .action(async (prompt: string[], flags: ChatFlags) => {
      exitCode = await runChat(prompt, flags, io);
    });

  registerServeCommand(program, io, (code) => {
    exitCode = code;
  });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    // Help, version and usage errors: commander has already written what it had to say.
    if (error instanceof CommanderError) return error.exitCode;
    reportError(io, error, argv.includes('--verbose'));
    return EXIT_FAILURE;
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseNumber(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number)) throw new InvalidArgumentError('must be a number');
  return number;
}

function parseWholeNumber(value: string): number {
  const number = parseNumber(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('must be a whole number >= 1');
  return number;
}

/** The package version (package.json is two levels up from both src/cli and dist/cli). */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

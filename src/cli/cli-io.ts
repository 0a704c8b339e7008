/**
 * What the command line reads and writes, passed in rather than taken from `process`, so the whole
 * CLI runs in-process in tests (and inside other tools) exactly as it runs from a shell.
 */
import type { CreateSwitchboardOptions } from '../create-switchboard.js';
import { LLMError } from '../core/errors.js';
import { scrubSecrets } from '../core/secrets.js';

/** A place to write text: process.stdout/stderr or a test's collector. */
export interface CliOutput {
  write(text: string): unknown;
  /** A terminal draws a live progress bar; a pipe or file gets plain lines. */
  isTTY?: boolean;
}

/** Where the CLI talks to. */
export interface CliIO {
  stdout: CliOutput;
  stderr: CliOutput;
  /** Environment for config `${NAME}` references and variables (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Directory config paths are relative to (default process.cwd()). */
  cwd?: string;
  /**
   * Read for the prompt when none is given on the command line and stdin is not a terminal.
   * A function, so that stdin is opened only when it is read.
   */
  stdin?: () => AsyncIterable<string | Uint8Array> & { isTTY?: boolean };
  /** Aborts the call under way (main.ts wires Ctrl-C to it). */
  signal?: AbortSignal;
  /** More createSwitchboard options (tests register a FakeProvider through `managers`). */
  switchboard?: Omit<CreateSwitchboardOptions, 'configFile' | 'env' | 'cwd'>;
}

/** Exit code of a command that did its job. */
export const EXIT_OK = 0;
/** Exit code of a failure (bad input, config, provider error). */
export const EXIT_FAILURE = 1;
/** Exit code when the call was aborted (Ctrl-C): the shell convention for SIGINT. */
export const EXIT_INTERRUPTED = 130;

/**
 * Print a failure: the message only (errors say what to change), or with `verbose` the stack and
 * cause chain. Returns the exit code.
 */
export function reportError(io: CliIO, error: unknown, verbose: boolean): number {
  const err = error instanceof Error ? error : new Error(String(error));
  const label = LLMError.isInstance(err) ? err.name : 'Error';
  // Our errors are scrubbed already; anything else (a file-system error, a bug) is scrubbed here.
  io.stderr.write(scrubSecrets(`error: ${label}: ${err.message}\n`));
  if (verbose) {
    if (err.stack) io.stderr.write(scrubSecrets(`${err.stack}\n`));
    let cause: unknown = err.cause;
    for (let depth = 0; cause !== undefined && depth < 5; depth++) {
      io.stderr.write(scrubSecrets(`caused by: ${cause instanceof Error ? (cause.stack ?? `${cause.name}: ${cause.message}`) : String(cause)}\n`));
      cause = cause instanceof Error ? cause.cause : undefined;
    }
  }
  return LLMError.isInstance(err) && err.code === 'aborted' ? EXIT_INTERRUPTED : EXIT_FAILURE;
}

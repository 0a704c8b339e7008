#!/usr/bin/env node
/**
 * The `switchboard` executable: real process streams into runCli, Ctrl-C aborts the call under way
 * (a second Ctrl-C exits at once), and the exit code comes back from the command.
 */
import { runCli } from './run-cli.js';

const controller = new AbortController();
let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  controller.abort();
});
// `switchboard chat ... | head` closes stdout early: that is not an error worth a stack.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  stdin: () => process.stdin,
  signal: controller.signal,
});

/**
 * `switchboard chat --model provider:model | --bot name [--session id] "prompt"`: streams the answer
 * to stdout as it arrives, then prints usage and cost to stderr (stdout stays pipeable).
 */
import { InvalidRequestError } from '../../core/errors.js';
import type { CallParams, ChatMessage, GenerateResult, TargetFields } from '../../core/types.js';
import type { Switchboard } from '../../switchboard.js';
import { EXIT_OK, reportError, type CliIO } from '../cli-io.js';
import { createLoadProgress } from '../load-progress.js';
import { openSwitchboard, type SwitchboardFlags } from '../open-switchboard.js';

/** Flags of `switchboard chat`. */
export interface ChatFlags extends SwitchboardFlags {
  model?: string;
  bot?: string;
  session?: string;
  system?: string;
  temperature?: number;
  maxTokens?: number;
}

/** A prompt read from stdin may not be larger than this. */
const MAX_STDIN_BYTES = 4 * 1024 * 1024;

/** Run `switchboard chat`; returns the exit code. */
export async function runChat(promptWords: string[], flags: ChatFlags, io: CliIO): Promise<number> {
  const progress = createLoadProgress(io.stderr);
  let sb: Switchboard | undefined;
  try {
    checkTarget(flags);
    const prompt = promptWords.join(' ').trim() || (await readStdin(io));
    if (!prompt) throw new InvalidRequestError('Give a prompt: switchboard chat --model openai:gpt-4o-mini "Hello"');
    sb = await openSwitchboard(io, flags, (modelId, fraction) => progress.report(modelId, fraction));
    const target = await resolveTarget(sb, flags);
    const messages: ChatMessage[] = flags.system ? [{ role: 'system', content: flags.system }] : [];
    messages.push({ role: 'user', content: prompt });
    const params: CallParams = {};
    if (flags.temperature !== undefined) params.temperature = flags.temperature;
    if (flags.maxTokens !== undefined) params.maxTokens = flags.maxTokens;
    let result: GenerateResult | undefined;
    let last = '';
    for await (const part of sb.stream({ ...target, messages, params, signal: io.signal })) {
      if (part.type === 'text-delta') {
        progress.finish();
        io.stdout.write(part.text);
        last = part.text;
      } else if (part.type === 'finish') {
        result = part.result;
      }
    }
    if (!last.endsWith('\n')) io.stdout.write('\n');
    progress.finish();
    if (result) io.stderr.write(formatSummary(result, target.sessionId));
    return EXIT_OK;
  } catch (error) {
    progress.finish();
    return reportError(io, error, flags.verbose ?? false);
  } finally {
    await sb?.close();
  }
}

/** Usage, cost and where the answer came from, for stderr. */
export function formatSummary(result: GenerateResult, sessionId?: string): string {
  const usage = result.usage;
  const extras = [
    usage.cacheReadTokens ? `cache read ${usage.cacheReadTokens}` : '',
    usage.cacheWriteTokens ? `cache write ${usage.cacheWriteTokens}` : '',
    usage.reasoningTokens ? `reasoning ${usage.reasoningTokens}` : '',
  ].filter(Boolean);
  const facts = [
    `model: ${result.model}`,
    `finish: ${result.finishReason}`,
    `attempts: ${result.attempts}`,
    `${Math.round(result.latencyMs)} ms`,
    result.cached ? 'cached' : '',
    result.adapters.length ? `adapters: ${result.adapters.join(', ')}` : '',
    sessionId ? `session: ${sessionId}` : '',
  ].filter(Boolean);
  return [
    facts.join(' | '),
    `usage: ${usage.inputTokens} input + ${usage.outputTokens} output = ${usage.totalTokens} tokens${extras.length ? ` (${extras.join(', ')})` : ''}`,
    `cost: ${result.costUsd === null ? 'unknown (unpriced model)' : `$${formatUsd(result.costUsd)}`}`,
  ].join('\n') + '\n';
}

/** Enough decimals for a fraction of a cent, without trailing zeros. */
export function formatUsd(value: number): string {
  if (value === 0) return '0';
  const fixed = value.toFixed(value >= 0.01 ? 4 : 8).replace(/0+$/, '').replace(/\.$/, '');
  return fixed === '0' ? value.toExponential(2) : fixed;
}

function checkTarget(flags: ChatFlags): void {
  if (flags.model !== undefined && (flags.bot !== undefined || flags.session !== undefined)) {
    throw new InvalidRequestError('Use either --model or --bot/--session, not both');
  }
  if (flags.model === undefined && flags.bot === undefined && flags.session === undefined) {
    throw new InvalidRequestError('Name what answers: --model provider:model (e.g. openai:gpt-4o-mini), --bot <name> or --session <id>');
  }
}

/**
 * The call target. `--session` continues a session from the configured store; with `--bot` too,
 * a missing session is started under that id (the memory store forgets sessions when the process ends).
 */
async function resolveTarget(sb: Switchboard, flags: ChatFlags): Promise<TargetFields> {
  if (flags.model !== undefined) return { model: flags.model };
  if (flags.session === undefined) return { bot: flags.bot };
  const existing = await sb.sessions.get(flags.session);
  if (existing) {
    if (flags.bot !== undefined && existing.bot !== flags.bot) {
      throw new InvalidRequestError(`Session "${flags.session}" belongs to bot "${existing.bot}", not "${flags.bot}"`);
    }
    return { sessionId: existing.id };
  }
  if (flags.bot === undefined) {
    throw new InvalidRequestError(`No live session "${flags.session}"; add --bot <name> to start one with this id`);
  }
  const started = await sb.sessions.start({ bot: flags.bot, id: flags.session });
  return { sessionId: started.id };
}

async function readStdin(io: CliIO): Promise<string> {
  const stdin = io.stdin?.();
  if (!stdin || stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
    bytes += buffer.length;
    if (bytes > MAX_STDIN_BYTES) throw new InvalidRequestError(`The prompt on stdin is larger than ${MAX_STDIN_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8').trim();
}

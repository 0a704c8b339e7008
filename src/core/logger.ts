/**
 * A minimal structured logger interface the library logs through. A switchboard wraps whatever
 * logger it is given in `scrubbingLogger` with its own secret registry, so a key that slips into an
 * upstream message never reaches a log (logs are read by operators, never sent to callers).
 */
import { scrubSecrets, type SecretRegistry } from './secrets.js';

/** Log levels, least to most severe. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** What the library logs through; pass your own (pino, winston) via `createSwitchboard({ logger })`. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

function describe(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}

/**
 * A JSON-lines logger on stderr at or above `level`, each written line scrubbed by `secrets`
 * (default: the process-wide registry); lines below the level cost nothing.
 */
export function createConsoleLogger(
  level: LogLevel = 'warn',
  write: (line: string) => void = (line) => process.stderr.write(line + '\n'),
  secrets?: SecretRegistry,
): Logger {
  const scrub = secrets ? (text: string) => secrets.scrub(text) : scrubSecrets;
  const emit = (at: Exclude<LogLevel, 'silent'>) => (message: string, fields?: Record<string, unknown>) => {
    if (ORDER[at] < ORDER[level]) return;
    const record: Record<string, unknown> = { level: at, time: new Date().toISOString(), msg: message };
    if (fields) for (const [key, value] of Object.entries(fields)) record[key] = describe(value);
    let line: string;
    try {
      line = JSON.stringify(record);
    } catch {
      line = JSON.stringify({ level: at, msg: message });
    }
    write(scrub(line));
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** A logger that drops everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Fields nested deeper than this are logged as they are (ours are flat records). */
const MAX_SCRUB_DEPTH = 4;

function scrubField(value: unknown, secrets: SecretRegistry, depth: number): unknown {
  if (typeof value === 'string') return secrets.scrub(value);
  if (value instanceof Error) return { name: value.name, message: secrets.scrub(value.message) };
  if (depth >= MAX_SCRUB_DEPTH || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => scrubField(item, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) out[key] = scrubField(child, secrets, depth + 1);
  return out;
}

/**
 * `logger` with every message and string field scrubbed by `secrets` before it is written (for
 * loggers the user hands in: pino, winston). The silent logger is returned as it is.
 */
export function scrubbingLogger(logger: Logger, secrets: SecretRegistry): Logger {
  if (logger === silentLogger) return logger;
  const wrap =
    (level: keyof Logger) =>
    (message: string, fields?: Record<string, unknown>): void => {
      logger[level](secrets.scrub(message), fields === undefined ? undefined : (scrubField(fields, secrets, 0) as Record<string, unknown>));
    };
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}

/**
 * A minimal structured logger interface the library logs through. Every line passes through
 * `scrubSecrets`, so a key that slips into an upstream message never reaches the log.
 */
import { scrubSecrets } from './secrets.js';

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

/** A JSON-lines logger on stderr at or above `level`, secrets scrubbed. */
export function createConsoleLogger(level: LogLevel = 'warn', write: (line: string) => void = (line) => process.stderr.write(line + '\n')): Logger {
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
    write(scrubSecrets(line));
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** A logger that drops everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

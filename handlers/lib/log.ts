/**
 * Structured JSON logging for handlers (any pipeline). Production writes one JSON line per entry through
 * Powertools Logger (level from POWERTOOLS_LOG_LEVEL / LOG_LEVEL, default INFO); tests use MemoryLogger.
 * Attributes pass through `scrub()`: values under sensitive keys (tokens, signatures, subscribe URLs that carry
 * tokens, secrets) are replaced, and long strings are cut, so a mistake cannot put a secret or a whole record
 * into the logs.
 */
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';

export type LogAttributes = Record<string, unknown>;

export interface Logger {
  debug(message: string, attributes?: LogAttributes): void;
  info(message: string, attributes?: LogAttributes): void;
  warn(message: string, attributes?: LogAttributes): void;
  error(message: string, attributes?: LogAttributes): void;
}

const SENSITIVE_KEYS = new Set(
  [
    'token', 'tokens', 'accesstoken', 'refreshtoken', 'idtoken', 'secret', 'clientsecret', 'password', 'authorization',
    'cookie', 'signature', 'subscribeurl', 'unsubscribeurl', 'privatekey',
  ],
);

export const REDACTED = '[redacted]';
/** Longest string value written to a log entry; longer ones are cut and marked. */
export const MAX_LOGGED_STRING = 512;

function isSensitive(key: string): boolean {
  return SENSITIVE_KEYS.has(key.toLowerCase().replace(/[-_]/g, ''));
}

/** A copy of `value` safe to log: sensitive keys redacted, long strings truncated, errors reduced to name/message. */
export function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') {
    return value.length > MAX_LOGGED_STRING ? `${value.slice(0, MAX_LOGGED_STRING)}...[${value.length} chars]` : value;
  }
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: scrub(value.message, depth + 1), ...(code !== undefined ? { code } : {}) };
  }
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = isSensitive(k) ? REDACTED : scrub(v, depth + 1);
  return out;
}

/** A Logger over Powertools Logger for `service`. */
export function createLogger(service: string): Logger {
  const logger = new PowertoolsLogger({ serviceName: service });
  const write = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, attributes?: LogAttributes) => {
    if (attributes) logger[level](message, scrub(attributes) as LogAttributes);
    else logger[level](message);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly attributes?: LogAttributes;
}

/** Keeps every entry in memory (tests), scrubbed exactly as production would write it. */
export class MemoryLogger implements Logger {
  readonly entries: LogEntry[] = [];
  private push(level: LogEntry['level'], message: string, attributes?: LogAttributes): void {
    this.entries.push({ level, message, attributes: attributes ? (scrub(attributes) as LogAttributes) : undefined });
  }
  debug(message: string, attributes?: LogAttributes): void {
    this.push('debug', message, attributes);
  }
  info(message: string, attributes?: LogAttributes): void {
    this.push('info', message, attributes);
  }
  warn(message: string, attributes?: LogAttributes): void {
    this.push('warn', message, attributes);
  }
  error(message: string, attributes?: LogAttributes): void {
    this.push('error', message, attributes);
  }
  /** Everything logged, as one string (for "this never appears in the logs" assertions). */
  text(): string {
    return this.entries.map((e) => JSON.stringify(e)).join('\n');
  }
}

/** A Logger that drops everything (benchmarks). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

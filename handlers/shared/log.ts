/**
 * Structured JSON logging for handlers (any pipeline). Production writes one JSON line per entry through
 * Powertools Logger (level from POWERTOOLS_LOG_LEVEL / LOG_LEVEL, default INFO); tests use MemoryLogger.
 * Attributes pass through `scrub()`: values under sensitive keys (tokens, signatures, subscribe URLs that carry
 * tokens, secrets) are replaced, and long strings are cut, so a mistake cannot put a secret or a whole record
 * into the logs.
 */
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { writeSync } from 'node:fs';

export type LogAttributes = Record<string, unknown>;

export interface Logger {
  debug(message: string, attributes?: LogAttributes): void;
  info(message: string, attributes?: LogAttributes): void;
  warn(message: string, attributes?: LogAttributes): void;
  error(message: string, attributes?: LogAttributes): void;
}

const normalizeKey = (key: string): string => key.toLowerCase().replace(/[-_]/g, '');

/** Attribute names whose values are never logged, compared case-insensitively with "-" and "_" removed. */
const SENSITIVE_KEYS: readonly string[] = [
  'token', 'tokens', 'accesstoken', 'refreshtoken', 'idtoken', 'secret', 'clientsecret', 'password', 'authorization',
  'cookie', 'signature', 'subscribeurl', 'unsubscribeurl', 'privatekey',
];

export const REDACTED = '[redacted]';
/** Longest string value written to a log entry; longer ones are cut and marked. */
export const MAX_LOGGED_STRING = 512;

export interface LogOptions {
  /** Attribute names redacted beside the built-in ones (a pipeline's own secrets, e.g. an OAuth "code"). */
  readonly sensitiveKeys?: readonly string[];
}

export type Scrub = (value: unknown) => unknown;

/**
 * A function returning a copy of a value safe to log: values under sensitive keys (at any depth) redacted, long
 * strings truncated, arrays cut to 50 items, errors reduced to name, message and their non-secret classifiers
 * (SDK error code, OAuth `error`, HTTP status) — never the cause, request or response objects an error may carry.
 */
export function scrubber(options: LogOptions = {}): Scrub {
  const sensitive = new Set([...SENSITIVE_KEYS, ...(options.sensitiveKeys ?? [])].map(normalizeKey));
  const walk = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') {
      return value.length > MAX_LOGGED_STRING ? `${value.slice(0, MAX_LOGGED_STRING)}...[${value.length} chars]` : value;
    }
    if (depth > 6 || value === null || typeof value !== 'object') return value;
    if (value instanceof Error) {
      const e = value as { code?: unknown; error?: unknown; status?: unknown };
      return {
        name: value.name,
        message: walk(value.message, depth + 1),
        ...(e.code !== undefined ? { code: e.code } : {}),
        ...(typeof e.error === 'string' ? { oauthError: e.error } : {}),
        ...(typeof e.status === 'number' ? { status: e.status } : {}),
      };
    }
    if (Array.isArray(value)) return value.slice(0, 50).map((v) => walk(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = sensitive.has(normalizeKey(k)) ? REDACTED : walk(v, depth + 1);
    return out;
  };
  return (value) => walk(value, 0);
}

/** The built-in scrubber (see `scrubber`). */
export const scrub: Scrub = scrubber();

/**
 * Writes `text` and a newline to file descriptor `fd` with write(2), the whole line. A descriptor that would block
 * (EAGAIN: something made the pipe non-blocking) gets the rest through the process's stream instead, which
 * handles that; nothing is lost either way.
 */
function writeLine(fd: 1 | 2, text: string): void {
  const bytes = Buffer.from(`${text}\n`, 'utf8');
  let at = 0;
  try {
    while (at < bytes.length) at += writeSync(fd, bytes, at);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    (fd === 1 ? process.stdout : process.stderr).write(bytes.subarray(at));
  }
}

/** Where log lines go: write(2) on stdout/stderr. Tests replace `write` to read what a logger writes. */
export const logOutput: { write: (fd: 1 | 2, line: string) => void } = { write: writeLine };

/**
 * What Powertools Logger calls on its console: one finished JSON line per entry (console.<level>(line)); stdout for
 * info/debug, stderr for warn/error, as Powertools' own Console would.
 */
const toStdout = (line: unknown) => logOutput.write(1, String(line));
const toStderr = (line: unknown) => logOutput.write(2, String(line));
const DIRECT_CONSOLE = { log: toStdout, info: toStdout, debug: toStdout, trace: toStdout, warn: toStderr, error: toStderr };

/**
 * Powertools Logger with its entries written straight to the file descriptors. Powertools builds a `Console` on
 * `process.stdout` when a logger is constructed, which loads Node's stream implementation at import: about a sixth
 * of an SDK-free handler's cold import (client-events-transform, docs/performance.md). The entries, their format
 * and the stdout/stderr split are Powertools' own; only the last step (console.<level>(line)) differs.
 * `setConsole` is Powertools' own hook for choosing the console (its POWERTOOLS_DEV mode uses the global one).
 */
class DirectLogger extends PowertoolsLogger {}
(DirectLogger.prototype as unknown as { setConsole(this: { console: unknown }): void }).setConsole = function setConsole() {
  this.console = DIRECT_CONSOLE;
};

/** A Logger over Powertools Logger for `service`. */
export function createLogger(service: string, options: LogOptions = {}): Logger {
  const clean = options.sensitiveKeys ? scrubber(options) : scrub;
  const logger = new DirectLogger({ serviceName: service });
  const write = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, attributes?: LogAttributes) => {
    if (attributes) logger[level](message, clean(attributes) as LogAttributes);
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
  private readonly clean: Scrub;
  constructor(options: LogOptions = {}) {
    this.clean = options.sensitiveKeys ? scrubber(options) : scrub;
  }
  private push(level: LogEntry['level'], message: string, attributes?: LogAttributes): void {
    this.entries.push({ level, message, attributes: attributes ? (this.clean(attributes) as LogAttributes) : undefined });
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

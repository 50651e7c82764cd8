/**
 * Structured JSON logging for the Buy with Prime handlers. Production uses Powertools Logger (one JSON line per
 * entry on stdout, picked up by CloudWatch Logs from Lambda and from the ECS awslogs driver alike); tests inject
 * their own sink. Every attribute passes through `redact()`, so a token, secret, code or verifier put into a log
 * entry by mistake is replaced before it is written.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export type LogAttributes = Record<string, unknown>;

export interface Log {
  debug(message: string, attributes?: LogAttributes): void;
  info(message: string, attributes?: LogAttributes): void;
  warn(message: string, attributes?: LogAttributes): void;
  error(message: string, attributes?: LogAttributes): void;
}

/** Attribute names whose values are never logged, compared case-insensitively with "-" and "_" removed. */
const SENSITIVE = new Set(
  [
    'access_token', 'refresh_token', 'id_token', 'token', 'tokens', 'client_secret', 'secret', 'code', 'code_verifier',
    'verifier', 'authorization', 'verification-token', 'password', 'cookie', 'set-cookie', 'data_key', 'plaintext',
  ].map(normalizeKey),
);

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

export const REDACTED = '[redacted]';

/** A copy of `value` with every sensitive attribute (at any depth) replaced by "[redacted]". */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    // Name, message and the non-secret classifiers (SDK/OAuth error code, OAuth "error", HTTP status) only:
    // never the cause, response or request objects an error may carry.
    const e = value as { code?: unknown; error?: unknown; status?: unknown };
    return {
      name: value.name,
      message: value.message,
      ...(e.code !== undefined ? { errorCode: e.code } : {}),
      ...(typeof e.error === 'string' ? { oauthError: e.error } : {}),
      ...(typeof e.status === 'number' ? { status: e.status } : {}),
    };
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SENSITIVE.has(normalizeKey(k)) ? REDACTED : redact(v, depth + 1);
  }
  return out;
}

/** A Log over Powertools Logger for `service` (level from POWERTOOLS_LOG_LEVEL / LOG_LEVEL, default INFO). */
export function createLog(service: string): Log {
  const logger = new Logger({ serviceName: service });
  const write = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, attributes?: LogAttributes) => {
    if (attributes) logger[level](message, redact(attributes) as LogAttributes);
    else logger[level](message);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/** A Log that keeps every entry in memory (tests) and can also forward to another Log. */
export class MemoryLog implements Log {
  readonly entries: { level: string; message: string; attributes?: LogAttributes }[] = [];
  private push(level: string, message: string, attributes?: LogAttributes): void {
    this.entries.push({ level, message, attributes: attributes ? (redact(attributes) as LogAttributes) : undefined });
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
  /** Everything logged, as one string (for "no secret appears" assertions). */
  text(): string {
    return this.entries.map((e) => JSON.stringify(e)).join('\n');
  }
}

/**
 * Logging for the Buy with Prime handlers: handlers/shared/log.ts (Powertools JSON lines on stdout, picked up by
 * CloudWatch Logs from Lambda and from the ECS awslogs driver alike) with the OAuth flow's own secrets redacted
 * beside the built-in ones: authorization codes, PKCE verifiers, verification tokens, cookies and data keys.
 */
import { createLogger, MemoryLogger, scrubber, type Logger } from '../../shared/log.js';

export { REDACTED, type LogAttributes } from '../../shared/log.js';
export type Log = Logger;

const BWP_SENSITIVE_KEYS = ['code', 'code_verifier', 'verifier', 'verification-token', 'set-cookie', 'data_key', 'plaintext'];

/** A copy of `value` with every sensitive attribute (at any depth) replaced by "[redacted]". */
export const redact = scrubber({ sensitiveKeys: BWP_SENSITIVE_KEYS });

/** A Log over Powertools Logger for `service` (level from POWERTOOLS_LOG_LEVEL / LOG_LEVEL, default INFO). */
export function createLog(service: string): Log {
  return createLogger(service, { sensitiveKeys: BWP_SENSITIVE_KEYS });
}

/** A Log that keeps every entry in memory (tests), redacted as production would write it. */
export class MemoryLog extends MemoryLogger {
  constructor() {
    super({ sensitiveKeys: BWP_SENSITIVE_KEYS });
  }
}

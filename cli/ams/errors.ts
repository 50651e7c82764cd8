/**
 * Errors of the AMS subscription CLI, each carrying the process exit code scripts can rely on:
 *   0 success, 1 API or runtime error, 2 usage or configuration error, 3 authentication/authorization error,
 *   4 `status`/`subscribe` finished but found a subscription in a problem state or failed to create one.
 */
import { CliError, EXIT } from '../shared/errors.js';

export { CliError, ConfigurationError, EXIT, UsageError, type ExitCode } from '../shared/errors.js';

/** The token endpoint refused the credentials, or the API answered 401/403 (exit 3). */
export class AuthError extends CliError {
  constructor(message: string, readonly status?: number) {
    super(message, EXIT.auth);
  }
}

/** The Ads API answered with an error status, or could not be reached (exit 1). */
export class ApiError extends CliError {
  constructor(message: string, readonly status?: number, readonly code?: string) {
    super(message, EXIT.runtime);
  }
}

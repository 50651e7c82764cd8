/**
 * Exit codes and usage errors shared by every command-line tool, so scripts can rely on one meaning per code:
 *   0 success, 1 API or runtime error, 2 usage or configuration error, 3 authentication/authorization error,
 *   4 the command finished but found something in a problem state (e.g. `ams status`).
 */
export const EXIT = { ok: 0, runtime: 1, usage: 2, auth: 3, problems: 4 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  constructor(message: string, readonly exitCode: ExitCode = EXIT.runtime) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad arguments or an unknown command (exit 2). The tool prefixes its name and command once when printing. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/** Missing or malformed credentials, config or Terraform outputs (exit 2). */
export class ConfigurationError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/** `--help` / `-h`: the tool prints its usage on stdout and exits 0. */
export class HelpRequested extends UsageError {
  constructor(readonly usage = '') {
    super(usage);
  }
}

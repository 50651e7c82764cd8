/**
 * The shape of a handler's environment contract: the variables a Lambda (or the Fargate container) reads, named
 * once and imported by the stack that sets them and the handler that reads them. No cdktf import: handlers and
 * CLIs load contracts/ too.
 *
 * `__tests__/platform/contracts.test.ts` synthesizes every stack and checks each function's `environment` against
 * the contract its handler entry declares (`export const contract = ...` in handlers/<pipeline>/<fn>/index.ts),
 * and checks the handler's source for variables read outside its contract.
 */

export interface HandlerEnvContract {
  /** The zip name of the handler (contracts/handlers.ts handlerZipName). */
  readonly zip: string;
  /** The service name of its log lines (handlers/shared/log.ts createLogger). */
  readonly service: string;
  /** Every variable the handler reads, by a name the code uses (`contract.env.streamName`). */
  readonly env: Readonly<Record<string, string>>;
  /** Names in `env` the stack sets only when the configuration asks for them (the handler has a default). */
  readonly optional?: readonly string[];
  /** Names in `env` no stack ever sets: overrides for tests and local runs (a stack setting one is an error). */
  readonly testOnly?: readonly string[];
  /**
   * Variables the stack sets for a library bundled into the handler rather than for the handler's own code, with
   * the library that reads them (e.g. Powertools Logger reads POWERTOOLS_SERVICE_NAME).
   */
  readonly library?: Readonly<Record<string, string>>;
  /** Variables the stack sets that nothing in the bundle reads, each with the reason it is set anyway. */
  readonly unread?: Readonly<Record<string, string>>;
}

/**
 * Variables the Lambda runtime defines (AWS Lambda Developer Guide, "Defined runtime environment variables"). A
 * handler may read them without a contract entry; a function cannot set the reserved ones.
 */
export const LAMBDA_RUNTIME_ENV = [
  '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_EXECUTION_ENV', 'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR', 'TZ',
] as const;

/** The Powertools Logger variable naming the service of every log line (Powertools for AWS Lambda, Logger). */
export const POWERTOOLS_SERVICE_NAME = 'POWERTOOLS_SERVICE_NAME';
const POWERTOOLS_LOGGER = '@aws-lambda-powertools/logger';

/** `library` entry of a contract whose stack sets POWERTOOLS_SERVICE_NAME. */
export const POWERTOOLS_LOGGER_ENV = { [POWERTOOLS_SERVICE_NAME]: POWERTOOLS_LOGGER } as const;

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Construct } from 'constructs';
import { AssetType, Fn, Lazy, TerraformAsset } from 'cdktf';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { LambdaFunction as AwsLambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { fromRoot } from '../lib/paths.js';
import type { Alerts } from './alarms.js';
import type { Naming } from './naming.js';
import type { QueueWithDlq } from './queue-with-dlq.js';
import { inlinePolicy, policyDocument, serviceRole, type PolicyStatement } from './iam.js';
import { controlsOf } from './controls.js';
import { suppress } from '../policy/suppress.js';

/** What a function's role needs for active tracing (Lambda Developer Guide, "Visualize Lambda function invocations using AWS X-Ray"). */
export const XRAY_WRITE_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'] as const;

/** Where `make build` (scripts/build-handlers.ts) writes one deterministic zip per handler. */
export const HANDLER_ZIP_DIR = fromRoot('dist', 'handlers');

export function handlerZipPath(handler: string): string {
  return resolve(HANDLER_ZIP_DIR, `${handler}.zip`);
}

export type { PolicyStatement } from './iam.js';

export interface LambdaFunctionProps {
  readonly naming: Naming;
  /** Purpose segment of the function name, e.g. "sp-traffic-fanout". */
  readonly purpose: string;
  /** Handler folder under handlers/ (its zip is dist/handlers/<handler>.zip). */
  readonly handler: string;
  /** Memory in MB. Required: every function states it. */
  readonly memoryMb: number;
  /** Timeout in seconds. Required: every function states it. */
  readonly timeoutSeconds: number;
  /** Log retention in days. */
  readonly logRetentionDays: number;
  readonly environment?: Record<string, string>;
  /** Permissions beyond writing its own logs. */
  readonly statements?: readonly PolicyStatement[];
  /** Runtime. Default nodejs22.x. */
  readonly runtime?: string;
  /** Architecture. Default arm64. */
  readonly architecture?: 'arm64' | 'x86_64';
  /** Reserved concurrency; unset by default (the account pool). */
  readonly reservedConcurrency?: number;
  /** X-Ray active tracing. Default: the stack's `controls.lambdaTracing` (modules/controls.ts). */
  readonly tracing?: boolean;
  /** Alerts topic; when given, an alarm fires on any function error. */
  readonly alerts?: Alerts;
  readonly description?: string;
}

export interface SqsEventSourceOptions {
  /** Records per invocation (1-10000). Default 10. */
  readonly batchSize?: number;
  /** Seconds to gather a batch (0-300). Default 0; must be >= 1 when batchSize > 10. */
  readonly maxBatchingWindowSeconds?: number;
  /** Upper bound on concurrent invocations from this queue (2-1000). Unset by default. */
  readonly maximumConcurrency?: number;
}

/**
 * A Lambda function built from a prebuilt deterministic zip (a FILE asset, `source_code_hash =
 * filebase64sha256(zip)`), with its own role, its own log group with retention, JSON logging, explicit memory
 * and timeout, and an optional error alarm. Its failure path is added by the event-source helpers
 * (partial batch responses into a queue with a DLQ) or by the caller.
 */
export class LambdaFunction extends Construct {
  readonly fn: AwsLambdaFunction;
  readonly role: IamRole;
  readonly logGroup: CloudwatchLogGroup;
  readonly functionName: string;
  readonly timeoutSeconds: number;
  private readonly statements: PolicyStatement[];

  constructor(scope: Construct, id: string, props: LambdaFunctionProps) {
    super(scope, id);
    const zip = handlerZipPath(props.handler);
    if (!existsSync(zip)) {
      throw new Error(`handler zip ${zip} is missing: run "make build" first`);
    }
    this.functionName = props.naming.name('lambda', props.purpose);
    this.timeoutSeconds = props.timeoutSeconds;

    this.logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: `/aws/lambda/${this.functionName}`,
      retentionInDays: props.logRetentionDays,
    });

    this.statements = [
      {
        Sid: 'WriteOwnLogs',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: `${this.logGroup.arn}:*`,
      },
      ...(props.statements ?? []),
    ];

    // Lambda documents no confused-deputy key for assuming the execution role (modules/iam.ts SERVICE_GUIDANCE).
    this.role = serviceRole(this, 'role', { name: props.naming.name('iamRole', props.purpose), service: 'lambda.amazonaws.com' });
    const policy = inlinePolicy(this, 'policy', this.role, 'least-privilege', Lazy.stringValue({ produce: () => policyDocument(this.statements) }));

    const tracing = props.tracing ?? controlsOf(this).lambdaTracing;
    const policies = [policy];
    if (tracing) {
      const xray = inlinePolicy(this, 'tracing-policy', this.role, 'xray-tracing', [{ Sid: 'WriteTraces', Action: [...XRAY_WRITE_ACTIONS], Resource: '*' }]);
      suppress(xray, 'iam-no-wildcard', 'X-Ray trace and sampling actions support no resource-level permissions: AWS requires Resource "*" for them (Service Authorization Reference, AWS X-Ray).');
      policies.push(xray);
    }

    const asset = new TerraformAsset(this, 'code', { path: zip, type: AssetType.FILE });
    this.fn = new AwsLambdaFunction(this, 'fn', {
      functionName: this.functionName,
      description: props.description,
      role: this.role.arn,
      runtime: props.runtime ?? 'nodejs22.x',
      architectures: [props.architecture ?? 'arm64'],
      handler: 'index.handler',
      filename: asset.path,
      sourceCodeHash: Fn.filebase64sha256(asset.path),
      memorySize: props.memoryMb,
      timeout: props.timeoutSeconds,
      reservedConcurrentExecutions: props.reservedConcurrency,
      environment: props.environment ? { variables: props.environment } : undefined,
      loggingConfig: { logFormat: 'JSON', logGroup: this.logGroup.name, applicationLogLevel: 'INFO', systemLogLevel: 'WARN' },
      tracingConfig: tracing ? { mode: 'Active' } : undefined,
      dependsOn: [this.logGroup, ...policies],
    });

    props.alerts?.alarm(`${props.purpose}-errors`, {
      alarmDescription: `${this.functionName} reported errors: read its log group ${this.logGroup.name}.`,
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      dimensions: { FunctionName: this.functionName },
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
    });
  }

  get arn(): string {
    return this.fn.arn;
  }

  /** Adds permissions to the function's role. */
  grant(...statements: PolicyStatement[]): void {
    this.statements.push(...statements);
  }

  /**
   * Consumes `queue` with partial batch responses (ReportBatchItemFailures): a failed record returns to the
   * queue and, after maxReceiveCount receives, moves to its DLQ. Refuses a queue whose visibility timeout is
   * less than 6x this function's timeout (AWS's guidance for SQS event sources).
   */
  addSqsEventSource(id: string, queue: QueueWithDlq, opts: SqsEventSourceOptions = {}): LambdaEventSourceMapping {
    if (queue.visibilityTimeoutSeconds < 6 * this.timeoutSeconds) {
      throw new Error(
        `${this.functionName}: queue visibility timeout ${queue.visibilityTimeoutSeconds}s must be at least 6x the ` +
          `function timeout (${6 * this.timeoutSeconds}s)`,
      );
    }
    const batchSize = opts.batchSize ?? 10;
    const window = opts.maxBatchingWindowSeconds ?? 0;
    if (batchSize > 10 && window < 1) {
      throw new Error(`${this.functionName}: a batch size above 10 needs a batching window of at least 1 second`);
    }
    this.grant({
      Sid: `Consume${id.replace(/[^A-Za-z0-9]/g, '')}`,
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
      Resource: queue.arn,
    });
    return new LambdaEventSourceMapping(this, id, {
      eventSourceArn: queue.arn,
      functionName: this.fn.arn,
      batchSize,
      maximumBatchingWindowInSeconds: window,
      functionResponseTypes: ['ReportBatchItemFailures'],
      scalingConfig: opts.maximumConcurrency ? { maximumConcurrency: opts.maximumConcurrency } : undefined,
      dependsOn: [this.role],
    });
  }
}

import { Construct } from 'constructs';
import { DynamodbTable as AwsDynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import type { Naming } from './naming.js';
import { controlsOf } from './controls.js';

export type KeyType = 'S' | 'N' | 'B';

/** A key attribute: a name (type S) or a name with its type. */
export type KeySpec = string | { readonly name: string; readonly type: KeyType };

export interface DynamodbTableProps {
  readonly naming: Naming;
  /** Purpose segment of the table name, e.g. "bwp-tokens". */
  readonly purpose: string;
  /** Partition key. */
  readonly partitionKey: KeySpec;
  /** Optional sort key. */
  readonly sortKey?: KeySpec;
  /** Attribute holding an epoch-seconds expiry; enables DynamoDB TTL on it. Default none. */
  readonly ttlAttribute?: string;
  /**
   * Server-side encryption with this customer managed KMS key (ARN). Default: SSE with the AWS managed key
   * (`alias/aws/dynamodb`), explicitly enabled either way.
   */
  readonly kmsKeyArn?: string;
  /** Point-in-time recovery. Default true. */
  readonly pointInTimeRecovery?: boolean;
  /** Deletion protection. Default: the stack's `controls.tableDeletionProtection` (on; off in a stack without controls). */
  readonly deletionProtection?: boolean;
  /** DynamoDB Streams view type; no stream by default. */
  readonly streamViewType?: 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES';
}

function keyOf(spec: KeySpec): { name: string; type: KeyType } {
  return typeof spec === 'string' ? { name: spec, type: 'S' } : spec;
}

/**
 * A DynamoDB table with the team's defaults: on-demand billing, point-in-time recovery, server-side encryption
 * explicitly enabled (AWS managed key, or a customer managed key), an optional TTL attribute, named through the
 * naming module.
 */
export class DynamodbTable extends Construct {
  readonly table: AwsDynamodbTable;
  readonly tableName: string;

  constructor(scope: Construct, id: string, props: DynamodbTableProps) {
    super(scope, id);
    this.tableName = props.naming.name('dynamodb', props.purpose);
    const pk = keyOf(props.partitionKey);
    const sk = props.sortKey ? keyOf(props.sortKey) : undefined;
    this.table = new AwsDynamodbTable(this, 'table', {
      name: this.tableName,
      billingMode: 'PAY_PER_REQUEST',
      hashKey: pk.name,
      rangeKey: sk?.name,
      attribute: [pk, ...(sk ? [sk] : [])],
      pointInTimeRecovery: { enabled: props.pointInTimeRecovery ?? true },
      serverSideEncryption: { enabled: true, kmsKeyArn: props.kmsKeyArn },
      ttl: props.ttlAttribute ? { enabled: true, attributeName: props.ttlAttribute } : undefined,
      deletionProtectionEnabled: props.deletionProtection ?? controlsOf(this).tableDeletionProtection,
      streamEnabled: props.streamViewType ? true : undefined,
      streamViewType: props.streamViewType,
    });
  }

  get name(): string {
    return this.table.name;
  }

  get arn(): string {
    return this.table.arn;
  }

  get streamArn(): string {
    return this.table.streamArn;
  }
}

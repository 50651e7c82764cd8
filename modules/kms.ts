/**
 * Customer managed KMS keys: every key gets an explicit key policy (never the default one, which lets any principal of
 * the account with KMS permissions in IAM use the key): administration for the account root (so the account can never
 * be locked out of the key, and IAM admins can repair its policy) and the configured key admins, and cryptographic use
 * only for the principals named by the caller, each with an encryption-context condition.
 */
import { Aspects, TerraformStack, type IAspect } from 'cdktf';
import type { Construct, IConstruct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { KmsKeyPolicy } from '@cdktf/provider-aws/lib/kms-key-policy';
import { ownAccount, ownArn, ownPartition, policyJson, serviceStatement } from './iam.js';
import type { Naming } from './naming.js';

/** Administration without cryptographic use (AWS KMS Developer Guide, "Default key policy": key administrators). */
export const KMS_ADMIN_ACTIONS = [
  'kms:Create*', 'kms:Describe*', 'kms:Enable*', 'kms:List*', 'kms:Put*', 'kms:Update*', 'kms:Revoke*', 'kms:Disable*',
  'kms:Get*', 'kms:Delete*', 'kms:TagResource', 'kms:UntagResource', 'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion',
  'kms:RotateKeyOnDemand',
] as const;

/** The administration statements of a key policy: the account root, and `adminArns` when given. */
export function keyAdminStatements(scope: Construct, adminArns: readonly string[] = []): Record<string, unknown>[] {
  const rootArn = `arn:${ownPartition(scope)}:iam::${ownAccount(scope)}:root`;
  return [
    { Sid: 'AccountRootAdministers', Effect: 'Allow', Principal: { AWS: rootArn }, Action: [...KMS_ADMIN_ACTIONS], Resource: '*' },
    ...(adminArns.length ? [{ Sid: 'KeyAdministrators', Effect: 'Allow', Principal: { AWS: [...adminArns] }, Action: [...KMS_ADMIN_ACTIONS], Resource: '*' }] : []),
  ];
}

/** What CloudWatch Logs needs on a key that encrypts log groups (CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS KMS"). */
export const LOGS_KEY_ACTIONS = ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey'] as const;

/**
 * `controls.logGroupKms`: one key per stack (rotation on) whose policy lets CloudWatch Logs of this region use it for
 * log groups of this account and region only (kms:EncryptionContext:aws:logs:arn), and an aspect that sets it on every
 * log group of the stack (associating a key is an in-place change; the group waits for the key policy).
 */
export function encryptLogGroups(stack: TerraformStack, naming: Naming, region: string): KmsKey {
  const key = new KmsKey(stack, 'logs-key', {
    description: `Encrypts the CloudWatch Logs log groups of ${stack.node.id}`,
    enableKeyRotation: true,
    deletionWindowInDays: 30,
  });
  new KmsAlias(stack, 'logs-key-alias', { name: `alias/${naming.name('kmsAlias', 'logs')}`, targetKeyId: key.keyId });
  const policy = new KmsKeyPolicy(stack, 'logs-key-policy', {
    keyId: key.keyId,
    policy: policyJson([
      ...keyAdminStatements(stack),
      serviceStatement(stack, {
        sid: 'CloudWatchLogsUsesKey',
        service: `logs.${region}.amazonaws.com`,
        actions: [...LOGS_KEY_ACTIONS],
        resource: '*',
        condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': ownArn(stack, 'logs', region, 'log-group:*') } },
      }),
    ]),
  });
  const aspect: IAspect = {
    visit(node: IConstruct) {
      if (!(node instanceof CloudwatchLogGroup) || node.kmsKeyIdInput !== undefined) return;
      node.kmsKeyId = key.arn;
      // The group waits for the key policy that lets CloudWatch Logs use the key (CreateLogGroup/AssociateKmsKey fail before).
      node.addOverride('depends_on', [...(node.dependsOn ?? []), `${policy.terraformResourceType}.${policy.friendlyUniqueId}`]);
    },
  };
  Aspects.of(stack).add(aspect);
  return key;
}

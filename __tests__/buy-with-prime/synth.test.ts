/**
 * Synth tests of the Buy with Prime stack for both deploy targets (lambda with and without a custom domain;
 * fargate with one NAT gateway and with none): wiring, IAM scoping, names, failure paths, and the policy checks.
 */
import '../../lib/fast-synth.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith } from '../../config/index.js';
import { checkAll, failures, formatFindings } from '../../policy/index.js';
import { BWP_ROUTES } from '../../stacks/buy-with-prime/stack.js';
import { BWP_REPOSITORY_LOGICAL_ID, splitCidr } from '../../stacks/buy-with-prime/fargate.js';
import { resources, synthConfig, type SynthStack } from '../helpers/synth.js';

const PEM = '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE9NrnQefbdiD4Tk65eY2r/fXtf4VV\nPIBdR7qP73NhRBdNhUNfERayW67OP+ufvhpgdWUcbxXQkos8KkwL8yRMzQ==\n-----END PUBLIC KEY-----\n';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bwp/client-AbCdEf';
const CERT_ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';
const SOURCE = 'aws.partner/buywithprime/partner-1-events';
const BASE = {
  enabled: true,
  clientId: 'client-1',
  clientSecretArn: SECRET_ARN,
  verificationPublicKey: PEM,
  partnerEventSource: SOURCE,
  eventTypes: ['ORDER_CONFIRMED', 'REFUND_REQUESTED'],
  processorTimeoutSeconds: 45,
};

function synth(bwp: Record<string, unknown>): { stack: SynthStack; all: SynthStack[]; cleanup: () => void } {
  const config = configWith({ ams: { enabled: false }, buyWithPrime: { ...BASE, ...bwp } });
  const { stacks, cleanup } = synthConfig(config);
  const stack = stacks.find((s) => s.name === 'buy-with-prime-us-east-1');
  if (!stack) throw new Error(`no buy-with-prime stack among ${stacks.map((s) => s.name).join(', ')}`);
  return { stack, all: stacks, cleanup };
}

const one = (stack: SynthStack, type: string) => {
  const all = Object.values(resources(stack, type));
  expect(all, type).toHaveLength(1);
  return all[0] as Record<string, any>;
};
const policyOf = (body: Record<string, any>) => JSON.parse(body.policy) as { Statement: Record<string, any>[] };
const text = (stack: SynthStack) => JSON.stringify(stack.json);

function expectPolicyClean(stacks: SynthStack[]): void {
  const bad = failures(checkAll(stacks.map((s) => ({ name: s.name, json: s.json }))));
  expect(bad, formatFindings(bad)).toEqual([]);
}

function expectCommonParts(stack: SynthStack): void {
  // Token store and events table: on-demand, PITR, SSE; TTL for launches.
  const tables = Object.values(resources(stack, 'aws_dynamodb_table')) as Record<string, any>[];
  expect(tables.map((t) => t.name).sort()).toEqual(['trib-use1-bwp-events', 'trib-use1-bwp-tokens']);
  for (const t of tables) {
    expect(t.billing_mode).toBe('PAY_PER_REQUEST');
    expect(t.point_in_time_recovery.enabled).toBe(true);
    expect(t.server_side_encryption.enabled).toBe(true);
  }
  expect(tables.find((t) => t.name.endsWith('tokens'))!.ttl).toEqual({ enabled: true, attribute_name: 'ttl' });
  // The token table is protected from deletion by default (issue 13, item 6).
  expect(tables.find((t) => t.name.endsWith('tokens'))!.deletion_protection_enabled).toBe(true);
  // Stored raw event details expire (eventRetentionDays).
  expect(tables.find((t) => t.name.endsWith('events'))!.ttl).toEqual({ enabled: true, attribute_name: 'expires_at' });
  const key = one(stack, 'aws_kms_key');
  expect(key.enable_key_rotation).toBe(true);
  // Explicit key policy: the account root administers (never locked out) but cannot use the key through IAM;
  // only the processor and the install app use it, only with the token encryption context.
  const rawKeyPolicy = one(stack, 'aws_kms_key_policy').policy as string;
  // Partition and account come from the stack's locals (an ARN the stack owns; no STS call at plan), as plain
  // ${local.x} references, so the document is JSON the policy checks can read.
  const keyPolicy = JSON.parse(rawKeyPolicy) as { Statement: Record<string, any>[] };
  const [root, processorUse, appUse] = keyPolicy.Statement;
  expect(root.Sid).toBe('AccountRootAdministers');
  expect(root.Principal.AWS).toBe('arn:${local.partition}:iam::${local.account_id}:root');
  expect((stack.json.locals as Record<string, string>).account_id).toMatch(/^\$\{element\(split\(":", aws_sns_topic\.alerts_topic_\w+\.arn\), 4\)\}$/);
  expect(root.Action).toContain('kms:Put*'); // PutKeyPolicy: the account can always repair the policy
  expect(root.Action.some((a: string) => /Decrypt|Encrypt|GenerateDataKey/.test(a))).toBe(false);
  for (const use of [processorUse, appUse]) {
    expect(use.Condition).toEqual({ StringEquals: { 'kms:EncryptionContext:purpose': 'bwp-oauth-tokens' } });
    expect(use.Principal.AWS).toMatch(/^\$\{aws_iam_role\./);
  }
  expect(processorUse.Action).toEqual(['kms:GenerateDataKey', 'kms:Decrypt']);
  expect(appUse.Action).toBe('kms:GenerateDataKey');

  // Partner event bus on the configured source, one rule per event type, SQS target with retry policy and DLQ.
  const bus = one(stack, 'aws_cloudwatch_event_bus');
  expect(bus.name).toBe(SOURCE);
  expect(bus.event_source_name).toBe(SOURCE);
  const rules = Object.values(resources(stack, 'aws_cloudwatch_event_rule')) as Record<string, any>[];
  // Routed by detail-type from the configured source (documents.buywithprime.amazon.com/bwp-api/docs/subscribe-to-events).
  expect(rules.map((r) => JSON.parse(r.event_pattern)).sort((a, b) => a['detail-type'][0].localeCompare(b['detail-type'][0]))).toEqual([
    { source: [SOURCE], 'detail-type': ['ORDER_CONFIRMED'] },
    { source: [SOURCE], 'detail-type': ['REFUND_REQUESTED'] },
  ]);
  for (const r of rules) expect(r.name.length).toBeLessThanOrEqual(64);
  const queues = resources(stack, 'aws_sqs_queue');
  const [queueId] = Object.entries(queues).find(([, q]) => q.name === 'trib-use1-bwp-events')!;
  const [dlqId] = Object.entries(queues).find(([, q]) => q.name === 'trib-use1-bwp-events-dlq')!;
  expect(queues[queueId].visibility_timeout_seconds).toBe(6 * 45);
  const targets = Object.values(resources(stack, 'aws_cloudwatch_event_target')) as Record<string, any>[];
  expect(targets).toHaveLength(2);
  for (const t of targets) {
    expect(t.arn).toBe(`\${aws_sqs_queue.${queueId}.arn}`);
    expect(t.dead_letter_config.arn).toBe(`\${aws_sqs_queue.${dlqId}.arn}`);
    expect(t.retry_policy).toEqual({ maximum_retry_attempts: 185, maximum_event_age_in_seconds: 86400 });
  }
  // Queue and DLQ accept messages from events.amazonaws.com only for these rules.
  for (const policy of Object.values(resources(stack, 'aws_sqs_queue_policy')) as Record<string, any>[]) {
    const allow = policyOf(policy).Statement.find((s) => s.Effect === 'Allow')!;
    expect(allow.Principal).toEqual({ Service: 'events.amazonaws.com' });
    expect(allow.Condition.ArnEquals['aws:SourceArn']).toHaveLength(2);
    for (const arn of allow.Condition.ArnEquals['aws:SourceArn']) expect(arn).toMatch(/^\$\{aws_cloudwatch_event_rule\.rule-[a-z_]+\.arn\}$/);
  }
  // Processor: partial batch responses from the queue; least privilege (no delete on tokens, reads only its secret).
  const mapping = one(stack, 'aws_lambda_event_source_mapping');
  expect(mapping.function_response_types).toEqual(['ReportBatchItemFailures']);
  expect(mapping.scaling_config).toEqual({ maximum_concurrency: 5 });
  expect(mapping.event_source_arn).toBe(`\${aws_sqs_queue.${queueId}.arn}`);
  const policies = resources(stack, 'aws_iam_role_policy');
  const processorPolicy = policyOf(Object.entries(policies).find(([id]) => id.startsWith('processor_policy'))![1]);
  const actions = processorPolicy.Statement.flatMap((s) => [s.Action].flat());
  // Delete only on the events table (personal data deletion), never on the token store.
  const tokenStmt = processorPolicy.Statement.find((s) => s.Sid === 'TokenLeaseAndRefresh')!;
  expect([tokenStmt.Action].flat()).not.toContain('dynamodb:DeleteItem');
  const eventsStmt = processorPolicy.Statement.find((s) => s.Sid === 'EventsTable')!;
  expect(eventsStmt.Resource).toMatch(/aws_dynamodb_table\.events-table_table_[0-9A-F]+\.arn|events-table/);
  expect(actions.every((a: string) => !a.includes('*'))).toBe(true);
  const secretStmt = processorPolicy.Statement.find((s) => s.Sid === 'ReadClientSecret')!;
  expect(secretStmt.Resource).toEqual([SECRET_ARN, `${SECRET_ARN}-??????`]);
  const kmsStmt = processorPolicy.Statement.find((s) => s.Sid === 'TokenEnvelopeKey')!;
  expect(kmsStmt.Condition).toEqual({ StringEquals: { 'kms:EncryptionContext:purpose': 'bwp-oauth-tokens' } });
  // DLQ depth alarm and per-rule delivery failure alarms.
  const alarms = Object.values(resources(stack, 'aws_cloudwatch_metric_alarm')) as Record<string, any>[];
  expect(alarms.some((a) => a.alarm_name === 'trib-use1-bwp-events-dlq-depth')).toBe(true);
  expect(alarms.filter((a) => a.metric_name === 'FailedInvocations')).toHaveLength(2);
  // No secret material, no data source that calls AWS.
  expect(stack.json.data).toBeUndefined();
  expect(resources(stack, 'aws_secretsmanager_secret_version')).toEqual({});
  expect(text(stack)).not.toMatch(/client_secret"\s*:/);
}

describe('buy-with-prime stack, lambda target', () => {
  let s: ReturnType<typeof synth>;
  beforeAll(() => {
    s = synth({ deployTarget: 'lambda' });
  });
  afterAll(() => s?.cleanup());

  it('puts the install app behind an HTTPS HTTP API with one route per endpoint, no VPC', () => {
    const { stack } = s;
    expect(stack.name).toBe('buy-with-prime-us-east-1');
    const api = one(stack, 'aws_apigatewayv2_api');
    expect(api.protocol_type).toBe('HTTP');
    expect(api.disable_execute_api_endpoint).toBe(false);
    const routes = Object.values(resources(stack, 'aws_apigatewayv2_route')) as Record<string, any>[];
    expect(routes.map((r) => r.route_key).sort()).toEqual([...BWP_ROUTES].sort());
    const integration = one(stack, 'aws_apigatewayv2_integration');
    expect(integration).toMatchObject({ integration_type: 'AWS_PROXY', payload_format_version: '2.0' });
    const stage = one(stack, 'aws_apigatewayv2_stage');
    expect(stage.name).toBe('$default');
    expect(stage.default_route_settings).toMatchObject({ throttling_rate_limit: 20, throttling_burst_limit: 50 });
    expect(stage.access_log_settings.format).not.toContain('querystring'); // the code travels in the query
    const permission = one(stack, 'aws_lambda_permission');
    expect(permission.principal).toBe('apigateway.amazonaws.com');
    expect(permission.source_arn).toBe('${aws_apigatewayv2_api.api.execution_arn}/*/*');
    expect(resources(stack, 'aws_vpc')).toEqual({});
    expect(resources(stack, 'aws_nat_gateway')).toEqual({});
    const fns = Object.values(resources(stack, 'aws_lambda_function')) as Record<string, any>[];
    expect(fns.map((f) => f.function_name).sort()).toEqual(['trib-use1-bwp-events', 'trib-use1-bwp-oauth']);
    const oauth = fns.find((f) => f.function_name.endsWith('oauth'))!;
    expect(oauth.environment.variables.BWP_PUBLIC_BASE_URL).toBe('${aws_apigatewayv2_api.api.api_endpoint}');
    expect(oauth.environment.variables.BWP_CLIENT_SECRET_ID).toBe(SECRET_ARN);
    expect(oauth.timeout).toBe(10);
    expect(stack.json.output?.install_url.value).toBe('${aws_apigatewayv2_api.api.api_endpoint}/install');
  });

  it('scopes the install app role to the token table, the KMS key (with context) and the secret', () => {
    const policy = policyOf(Object.entries(resources(s.stack, 'aws_iam_role_policy')).find(([id]) => id.startsWith('oauth_policy'))![1]);
    const store = policy.Statement.find((x) => x.Sid === 'TokenStore')!;
    expect(store.Action).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']);
    expect(store.Resource).toMatch(/^\$\{aws_dynamodb_table\.tokens_table_\w+\.arn\}$/);
    expect(policy.Statement.every((x) => x.Resource !== '*')).toBe(true);
    // The install app stores tokens but never decrypts them: GenerateDataKey only (issue 13, item 6).
    expect(policy.Statement.find((x) => x.Sid === 'TokenEnvelopeKey')!.Action).toBe('kms:GenerateDataKey');
  });

  it('has the shared token store and partner event wiring', () => expectCommonParts(s.stack));
  it('passes the policy checks', () => expectPolicyClean(s.all));

  it('with a certificate: a custom domain replaces the execute-api endpoint', () => {
    const d = synth({ deployTarget: 'lambda', publicBaseUrl: 'https://bwp.example.com', certificateArn: CERT_ARN });
    try {
      expect(one(d.stack, 'aws_apigatewayv2_api').disable_execute_api_endpoint).toBe(true);
      const domain = one(d.stack, 'aws_apigatewayv2_domain_name');
      expect(domain.domain_name).toBe('bwp.example.com');
      expect(domain.domain_name_configuration).toMatchObject({ certificate_arn: CERT_ARN, endpoint_type: 'REGIONAL', security_policy: 'TLS_1_2' });
      expect(one(d.stack, 'aws_apigatewayv2_api_mapping').stage).toBe('$default');
      const oauth = (Object.values(resources(d.stack, 'aws_lambda_function')) as Record<string, any>[]).find((f) => f.function_name.endsWith('oauth'))!;
      expect(oauth.environment.variables.BWP_PUBLIC_BASE_URL).toBe('https://bwp.example.com');
      expectPolicyClean(d.all);
    } finally {
      d.cleanup();
    }
  });
});

describe('buy-with-prime stack, fargate target', () => {
  let s: ReturnType<typeof synth>;
  beforeAll(() => {
    s = synth({ deployTarget: 'fargate', publicBaseUrl: 'https://bwp.example.com', certificateArn: CERT_ARN, fargate: { imageTag: 'v7' } });
  });
  afterAll(() => s?.cleanup());

  it('builds a two-AZ VPC with public and private subnets and one NAT gateway', () => {
    const { stack } = s;
    expect(one(stack, 'aws_vpc').cidr_block).toBe('10.60.0.0/16');
    const subnets = Object.values(resources(stack, 'aws_subnet')) as Record<string, any>[];
    expect(subnets.map((x) => [x.availability_zone, x.cidr_block, x.tags.tier]).sort()).toEqual([
      ['us-east-1a', '10.60.0.0/18', 'public'],
      ['us-east-1a', '10.60.128.0/18', 'private'],
      ['us-east-1b', '10.60.192.0/18', 'private'],
      ['us-east-1b', '10.60.64.0/18', 'public'],
    ]);
    expect(Object.keys(resources(stack, 'aws_nat_gateway'))).toHaveLength(1);
    expect(one(stack, 'aws_vpc_endpoint').service_name).toBe('com.amazonaws.us-east-1.dynamodb');
    expect(one(stack, 'aws_flow_log').traffic_type).toBe('REJECT');
    expect(resources(stack, 'aws_apigatewayv2_api')).toEqual({});
    expect(Object.values(resources(stack, 'aws_lambda_function'))).toHaveLength(1); // only the processor
  });

  it('serves HTTPS on the ALB with the configured certificate, redirects HTTP, health-checks /health', () => {
    const { stack } = s;
    const alb = one(stack, 'aws_lb');
    expect(alb).toMatchObject({ internal: false, load_balancer_type: 'application', drop_invalid_header_fields: true });
    expect(alb.name.length).toBeLessThanOrEqual(32);
    const listeners = Object.values(resources(stack, 'aws_lb_listener')) as Record<string, any>[];
    const https = listeners.find((l) => l.port === 443)!;
    expect(https).toMatchObject({ protocol: 'HTTPS', certificate_arn: CERT_ARN, ssl_policy: 'ELBSecurityPolicy-TLS13-1-2-2021-06' });
    const http = listeners.find((l) => l.port === 80)!;
    expect(http.default_action[0]).toMatchObject({ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', status_code: 'HTTP_301' } });
    const tg = one(stack, 'aws_lb_target_group');
    expect(tg).toMatchObject({ target_type: 'ip', port: 8080 });
    expect(tg.health_check).toMatchObject({ path: '/health', matcher: '200' });
  });

  it('runs the image from an immutable, scanned ECR repository on Fargate with circuit breaker and autoscaling', () => {
    const { stack } = s;
    const repo = resources(stack, 'aws_ecr_repository')[BWP_REPOSITORY_LOGICAL_ID] as Record<string, any>;
    expect(repo).toMatchObject({ image_tag_mutability: 'IMMUTABLE', image_scanning_configuration: { scan_on_push: true } });
    const service = one(stack, 'aws_ecs_service');
    expect(service.deployment_circuit_breaker).toEqual({ enable: true, rollback: true });
    expect(service.launch_type).toBe('FARGATE');
    expect(service.network_configuration.assign_public_ip).toBe(false);
    expect(service.network_configuration.subnets.every((x: string) => x.includes('private'))).toBe(true);
    expect(service.lifecycle.ignore_changes).toEqual(['desired_count']);
    const task = one(stack, 'aws_ecs_task_definition');
    expect(task.runtime_platform.cpu_architecture).toBe('ARM64');
    const [container] = JSON.parse(task.container_definitions);
    expect(container.image).toBe(`\${aws_ecr_repository.${BWP_REPOSITORY_LOGICAL_ID}.repository_url}:v7`);
    expect(container.readonlyRootFilesystem).toBe(true);
    expect(container.logConfiguration.logDriver).toBe('awslogs');
    const env = Object.fromEntries(container.environment.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env.BWP_PUBLIC_BASE_URL).toBe('https://bwp.example.com');
    expect(env.PORT).toBe('8080');
    expect(JSON.stringify(container)).not.toMatch(/secrets"/);
    const scaling = one(stack, 'aws_appautoscaling_target');
    expect(scaling).toMatchObject({ min_capacity: 2, max_capacity: 4, scalable_dimension: 'ecs:service:DesiredCount' });
    expect(one(stack, 'aws_appautoscaling_policy').target_tracking_scaling_policy_configuration.target_value).toBe(60);
    const logs = Object.values(resources(stack, 'aws_cloudwatch_log_group')) as Record<string, any>[];
    for (const l of logs) expect(l.retention_in_days).toBe(30);
  });

  it('gives the tasks least privilege: the token store, the KMS key, the secret; ECR auth is the one suppressed "*"', () => {
    const policies = resources(s.stack, 'aws_iam_role_policy') as Record<string, Record<string, any>>;
    const task = policyOf(Object.entries(policies).find(([id]) => id.includes('task-policy'))![1]);
    expect(task.Statement.map((x) => x.Sid)).toEqual(['TokenStore', 'TokenEnvelopeKey', 'ReadClientSecret']);
    expect(task.Statement.find((x) => x.Sid === 'TokenEnvelopeKey')!.Action).toBe('kms:GenerateDataKey');
    const [authId, auth] = Object.entries(policies).find(([id]) => id.includes('registry-auth'))!;
    expect(policyOf(auth).Statement).toEqual([{ Effect: 'Allow', Sid: 'RegistryAuth', Action: 'ecr:GetAuthorizationToken', Resource: '*' }]);
    expect(auth['//'].tributary_suppressions['iam-no-wildcard']).toMatch(/requires Resource "\*"/);
    expect(authId).toBeTruthy();
    const pull = policyOf(Object.entries(policies).find(([id]) => id.includes('execution-policy'))![1]);
    expect(pull.Statement[0].Resource).toBe(`\${aws_ecr_repository.${BWP_REPOSITORY_LOGICAL_ID}.arn}`);
  });

  it('has the shared token store and partner event wiring', () => expectCommonParts(s.stack));
  it('passes the policy checks', () => expectPolicyClean(s.all));

  it('pins the image by digest when configured and rate-limits /launch per client IP with WAF', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const d = synth({ deployTarget: 'fargate', publicBaseUrl: 'https://bwp.example.com', certificateArn: CERT_ARN, fargate: { imageDigest: digest, launchRateLimitPer5Min: 50 } });
    try {
      const [container] = JSON.parse(one(d.stack, 'aws_ecs_task_definition').container_definitions);
      expect(container.image).toBe(`\${aws_ecr_repository.${BWP_REPOSITORY_LOGICAL_ID}.repository_url}@${digest}`);
      const acl = one(d.stack, 'aws_wafv2_web_acl');
      expect(acl.scope).toBe('REGIONAL');
      const [badInputs, rule] = acl.rule;
      expect(badInputs.statement.managed_rule_group_statement).toEqual({ name: 'AWSManagedRulesKnownBadInputsRuleSet', vendor_name: 'AWS' });
      expect(rule.action).toEqual({ block: {} });
      expect(rule.statement.rate_based_statement).toMatchObject({ limit: 50, aggregate_key_type: 'IP' });
      expect(rule.statement.rate_based_statement.scope_down_statement.byte_match_statement).toMatchObject({ search_string: '/launch', positional_constraint: 'STARTS_WITH' });
      expect(one(d.stack, 'aws_wafv2_web_acl_association').resource_arn).toMatch(/aws_lb\./);
      // WAF logs: blocked requests only; the query string (authorization code), cookies and the token redacted.
      const logging = one(d.stack, 'aws_wafv2_web_acl_logging_configuration');
      expect(logging.redacted_fields).toEqual([{ query_string: {} }, { single_header: { name: 'verification-token' } }, { single_header: { name: 'cookie' } }]);
      expect(logging.logging_filter.default_behavior).toBe('DROP');
    } finally {
      d.cleanup();
    }
  });

  it('natGateways 0: no NAT, tasks in the public subnets with public IPs', () => {
    const z = synth({ deployTarget: 'fargate', publicBaseUrl: 'https://bwp.example.com', certificateArn: CERT_ARN, fargate: { natGateways: 0 } });
    try {
      expect(resources(z.stack, 'aws_nat_gateway')).toEqual({});
      expect(resources(z.stack, 'aws_eip')).toEqual({});
      const service = one(z.stack, 'aws_ecs_service');
      expect(service.network_configuration.assign_public_ip).toBe(true);
      expect(service.network_configuration.subnets.every((x: string) => x.includes('public'))).toBe(true);
      expectPolicyClean(z.all);
    } finally {
      z.cleanup();
    }
  });
});

describe('splitCidr', () => {
  it('splits a block into equal subnets', () => {
    expect([0, 1, 2, 3].map((i) => splitCidr('10.60.0.0/16', 4, i))).toEqual(['10.60.0.0/18', '10.60.64.0/18', '10.60.128.0/18', '10.60.192.0/18']);
    expect(splitCidr('192.168.4.0/24', 4, 3)).toBe('192.168.4.192/26');
  });
});

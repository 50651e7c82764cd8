/**
 * Client-events stacks synthesized for real (buildApp + app.synth) for 1 and 2 regions, with and without Zendesk:
 * Cognito (clientId attribute not writable by users, trigger and its grants), the REST API (TOKEN authorizer and its
 * cache TTL, request model and validator, PutEvents integration and templates, stage variables, access logs,
 * throttling, deployment triggers, the account-level CloudWatch role choice), EventBridge (bus, rules, targets with
 * retry policies and DLQs, the Zendesk connection that keeps credentials out of Terraform), Firehose (transform,
 * dynamic partitioning, newline handled by the transform), IAM scoping, alarms, outputs, the policy rules, and an
 * offline `terraform validate` + `plan` of both variants.
 */
import { PARKING_PLACES, parkingOutputName } from '../../contracts/operations.js';
import '../../lib/fast-synth.js';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith, loadConfig } from '../../config/index.js';
import { fromRoot } from '../../lib/paths.js';
import { checkAll, failures, formatFindings } from '../../policy/index.js';
import { ACCESS_LOG_FORMAT } from '../../modules/access-log.js';
import { tokenFromHeader } from '../../handlers/client-events/authorizer/core.js';
import {
  API_GATEWAY_LOG_ACTIONS, AUTHORIZATION_HEADER_PATTERN, CLIENT_EVENTS_DATA_PREFIX, CLIENT_EVENTS_JQ,
  CLIENT_EVENTS_OUTPUTS, PROCESSING_FAILED_FILTER_PATTERN, terraformLiteral,
} from '../../stacks/client-events/stack.js';
import {
  BAD_REQUEST_BODY_TEMPLATE, CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS, CORS_MAX_AGE_SECONDS, corsResponsePrelude, INTEGRATION_CLIENT_ERROR_TEMPLATE, PUT_EVENTS_REQUEST_TEMPLATE,
  PUT_EVENTS_RESPONSE_TEMPLATE, REQUEST_MODEL_SCHEMA, RULE_PATTERNS, ZENDESK_INPUT_TRANSFORMER, ZENDESK_PLACEHOLDER_PASSWORD, ZENDESK_SAMPLE_INPUT_TRANSFORMER,
} from '../../stacks/client-events/templates.js';
import { expectPolicyClean, isTracingSuppression } from '../helpers/policy.js';
import { only, ref, resources, statements, synthConfig, type SynthStack } from '../helpers/synth.js';

type Body = Record<string, unknown>;
const byId = (stack: SynthStack, type: string, id: string): Body => {
  const body = resources(stack, type)[id];
  expect(body, `${stack.name} ${type}.${id}`).toBeDefined();
  return body;
};
const byIdPart = (stack: SynthStack, type: string, part: string): [string, Body] => {
  const hits = Object.entries(resources(stack, type)).filter(([id]) => id.startsWith(part));
  expect(hits, `${stack.name} ${type} ${part}*`).toHaveLength(1);
  return hits[0];
};

const ZENDESK = { enabled: true, ticketsEndpoint: 'https://acme.zendesk.com/api/v2/tickets.json', secretName: 'tributary/zendesk-secret-name' };
const hasTerraform = spawnSync('terraform', ['version'], { encoding: 'utf8' }).status === 0;
if (!hasTerraform) console.warn('client-events-stack.test.ts: terraform is not installed; the offline plan is skipped');

describe('two regions, defaults (no Zendesk)', () => {
  let synth: ReturnType<typeof synthConfig>;
  let s: SynthStack;
  beforeAll(() => {
    synth = synthConfig(configWith({ ams: { enabled: false }, clientEvents: { enabled: true, regions: ['us-east-1', 'eu-west-1'] } }));
    s = synth.stacks.find((x) => x.name === 'client-events-us-east-1')!;
  });
  afterAll(() => synth?.cleanup());

  it('one stack per region, each pinned to its region, named client-events-<region>', () => {
    expect(synth.stacks.map((x) => x.name)).toEqual(['client-events-eu-west-1', 'client-events-us-east-1']);
    for (const x of synth.stacks) expect(x.json.provider!.aws[0].region).toBe(x.name.replace('client-events-', ''));
    const eu = synth.stacks[0];
    expect(only(eu, 'aws_cloudwatch_event_bus')[1].name).toBe('trib-euw1-client-events');
    expect(only(eu, 'aws_api_gateway_integration')[1].uri).toBe('arn:aws:apigateway:eu-west-1:events:action/PutEvents');
  });

  it('no Zendesk resources and one target DLQ', () => {
    for (const t of ['aws_cloudwatch_event_connection', 'aws_cloudwatch_event_api_destination']) expect(resources(s, t)).toEqual({});
    expect(Object.keys(resources(s, 'aws_cloudwatch_event_rule'))).toEqual(['rule-all']);
    expect(Object.values(resources(s, 'aws_sqs_queue')).map((q) => q.name)).toEqual(['trib-use1-client-events-to-s3-dlq']);
  });

  it('Cognito: e-mail sign-in, password policy, clientId readable but not writable by the app client, PostConfirmation trigger', () => {
    const [poolId, pool] = only(s, 'aws_cognito_user_pool');
    const [fnId] = byIdPart(s, 'aws_lambda_function', 'post-confirmation');
    expect(pool).toMatchObject({
      name: 'trib-use1-client-events',
      username_attributes: ['email'],
      auto_verified_attributes: ['email'],
      deletion_protection: 'ACTIVE',
      user_pool_tier: 'LITE',
      mfa_configuration: 'OPTIONAL', software_token_mfa_configuration: { enabled: true },
      user_pool_add_ons: { advanced_security_mode: 'OFF' },
      password_policy: { minimum_length: 12, require_lowercase: true, require_uppercase: true, require_numbers: true, require_symbols: true },
      lambda_config: { post_confirmation: ref('aws_lambda_function', fnId, 'arn') },
    });
    expect(pool.schema).toEqual([
      {
        name: 'clientId', attribute_data_type: 'String', mutable: true, developer_only_attribute: false, required: false,
        string_attribute_constraints: { min_length: '1', max_length: '64' },
      },
    ]);
    const [, client] = only(s, 'aws_cognito_user_pool_client');
    expect(client).toMatchObject({
      user_pool_id: ref('aws_cognito_user_pool', poolId, 'id'),
      generate_secret: false,
      explicit_auth_flows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      prevent_user_existence_errors: 'ENABLED',
      access_token_validity: 60,
      id_token_validity: 60,
      refresh_token_validity: 30,
      token_validity_units: [{ access_token: 'minutes', id_token: 'minutes', refresh_token: 'days' }],
      read_attributes: ['email', 'email_verified', 'custom:clientId'],
    });
    expect(client.write_attributes).toEqual(['email']);
    expect(client.write_attributes).not.toContain('custom:clientId');
  });

  it('PostConfirmation: AdminUpdateUserAttributes on this pool only (a separate policy, no cycle), invoked by this pool only', () => {
    const [poolId] = only(s, 'aws_cognito_user_pool');
    const [roleId] = byIdPart(s, 'aws_iam_role', 'post-confirmation');
    const policy = byId(s, 'aws_iam_role_policy', 'post-confirmation-pool-policy');
    expect(policy.role).toBe(ref('aws_iam_role', roleId, 'id'));
    expect(statements(policy.policy)).toEqual([
      { Effect: 'Allow', Sid: 'SetClientId', Action: ['cognito-idp:AdminUpdateUserAttributes'], Resource: ref('aws_cognito_user_pool', poolId, 'arn') },
    ]);
    expect(byId(s, 'aws_lambda_permission', 'post-confirmation-invoke')).toMatchObject({
      principal: 'cognito-idp.amazonaws.com', source_arn: ref('aws_cognito_user_pool', poolId, 'arn'), action: 'lambda:InvokeFunction',
    });
    const [, fn] = byIdPart(s, 'aws_lambda_function', 'post-confirmation');
    expect(fn).toMatchObject({ timeout: 5, environment: { variables: { CLIENT_ID_ATTRIBUTE: 'custom:clientId' } } });
  });

  it('authorizer: TOKEN type on the Authorization header, cache TTL from config (300), header pattern, pool settings in its environment', () => {
    const [apiId] = only(s, 'aws_api_gateway_rest_api');
    const [authId, auth] = only(s, 'aws_api_gateway_authorizer');
    const [fnId, fn] = byIdPart(s, 'aws_lambda_function', 'authorizer');
    expect(auth).toMatchObject({
      type: 'TOKEN',
      identity_source: 'method.request.header.Authorization',
      authorizer_result_ttl_in_seconds: 300,
      identity_validation_expression: AUTHORIZATION_HEADER_PATTERN,
      authorizer_uri: ref('aws_lambda_function', fnId, 'invoke_arn'),
    });
    expect(new RegExp(AUTHORIZATION_HEADER_PATTERN).test('Bearer aaa.bbb.c-_c')).toBe(true);
    expect(new RegExp(AUTHORIZATION_HEADER_PATTERN).test('Basic dXNlcjpwYXNz')).toBe(false);
    const [poolId] = only(s, 'aws_cognito_user_pool');
    const [clientId] = only(s, 'aws_cognito_user_pool_client');
    expect((fn.environment as { variables: Body }).variables).toEqual({
      USER_POOL_ID: ref('aws_cognito_user_pool', poolId, 'id'),
      USER_POOL_CLIENT_ID: ref('aws_cognito_user_pool_client', clientId, 'id'),
      CLIENT_ID_ATTRIBUTE: 'custom:clientId',
    });
    expect(byId(s, 'aws_lambda_permission', 'authorizer-invoke')).toMatchObject({
      principal: 'apigateway.amazonaws.com',
      source_arn: `${ref('aws_api_gateway_rest_api', apiId, 'execution_arn')}/authorizers/${ref('aws_api_gateway_authorizer', authId, 'id')}`,
    });
  });

  // Issue 12, defect 7: auth schemes are case-insensitive (RFC 9110 section 11.1) and one or more spaces separate
  // the scheme from the token (section 11.4); the identity validation expression refused "bearer <jwt>" before the
  // authorizer (which accepts it) ever ran. Both must agree on every header form.
  it('identity validation expression and authorizer agree: any case of "Bearer", one or more spaces, or the bare token', () => {
    const pattern = new RegExp(String(only(s, 'aws_api_gateway_authorizer')[1].identity_validation_expression));
    const jwt = 'eyJraWQiOiJrIn0.eyJzdWIiOiJ1In0.c2ln-_';
    const accepted = [jwt, `Bearer ${jwt}`, `bearer ${jwt}`, `BEARER ${jwt}`, `bEaReR ${jwt}`, `Bearer   ${jwt}`];
    const refused = [`Basic ${jwt}`, `Bearer`, `Bearer ${jwt} x`, `Bearer a.b`, `Bearer ${jwt}.d`, `Token ${jwt}`, ''];
    for (const h of accepted) {
      expect(pattern.test(h), h).toBe(true);
      expect(tokenFromHeader(h), h).toBe(jwt);
    }
    for (const h of refused) {
      expect(pattern.test(h), h).toBe(false);
      expect(tokenFromHeader(h), h).toBeUndefined();
    }
  });

  it('POST /event: CUSTOM authorization, body validated against the 1-10 entries model', () => {
    const [authId] = only(s, 'aws_api_gateway_authorizer');
    const [, resource] = only(s, 'aws_api_gateway_resource');
    expect(resource.path_part).toBe('event');
    const [modelId, model] = only(s, 'aws_api_gateway_model');
    expect(model).toMatchObject({ name: 'ClientEvents', content_type: 'application/json' });
    expect(JSON.parse(String(model.schema))).toEqual(REQUEST_MODEL_SCHEMA);
    const [validatorId, validator] = only(s, 'aws_api_gateway_request_validator');
    expect(validator).toMatchObject({ validate_request_body: true });
    const [, method] = only(s, 'aws_api_gateway_method');
    expect(method).toMatchObject({
      http_method: 'POST',
      authorization: 'CUSTOM',
      authorizer_id: ref('aws_api_gateway_authorizer', authId, 'id'),
      request_validator_id: ref('aws_api_gateway_request_validator', validatorId, 'id'),
      request_models: { 'application/json': ref('aws_api_gateway_model', modelId, 'name') },
    });
    expect(only(s, 'aws_api_gateway_gateway_response')[1]).toMatchObject({
      response_type: 'BAD_REQUEST_BODY', status_code: '400', response_templates: { 'application/json': BAD_REQUEST_BODY_TEMPLATE },
    });
  });

  it('integration: EventBridge PutEvents with a role that may put on this bus only; templates and responses', () => {
    const [busId] = only(s, 'aws_cloudwatch_event_bus');
    const [, integration] = only(s, 'aws_api_gateway_integration');
    expect(integration).toMatchObject({
      type: 'AWS',
      integration_http_method: 'POST',
      uri: 'arn:aws:apigateway:us-east-1:events:action/PutEvents',
      credentials: ref('aws_iam_role', 'api-role', 'arn'),
      passthrough_behavior: 'NEVER',
      request_parameters: {
        'integration.request.header.X-Amz-Target': "'AWSEvents.PutEvents'",
        'integration.request.header.Content-Type': "'application/x-amz-json-1.1'",
      },
      request_templates: { 'application/json': terraformLiteral(PUT_EVENTS_REQUEST_TEMPLATE) },
    });
    expect(JSON.parse(String(byId(s, 'aws_iam_role', 'api-role').assume_role_policy)).Statement[0].Principal).toEqual({ Service: 'apigateway.amazonaws.com' });
    expect(statements(byId(s, 'aws_iam_role_policy', 'api-role-policy').policy)).toEqual([
      { Effect: 'Allow', Sid: 'PutClientEvents', Action: ['events:PutEvents'], Resource: ref('aws_cloudwatch_event_bus', busId, 'arn') },
    ]);
    const responses = resources(s, 'aws_api_gateway_integration_response');
    // Issue 12, defect 3: a PutEvents call refused as a whole (4xx) is the client's error: 400 (the template keeps
    // 500/503 for setup errors and throttling), not 500 "try again later".
    expect(Object.values(responses).map((r) => [r.status_code, r.selection_pattern ?? null])).toEqual([['200', null], ['400', '4\\d{2}'], ['503', '5\\d{2}']]);
    expect(responses['api-integration-response-200'].response_templates).toEqual({ 'application/json': terraformLiteral(PUT_EVENTS_RESPONSE_TEMPLATE) });
    expect(responses['api-integration-response-400'].response_templates).toEqual({ 'application/json': terraformLiteral(INTEGRATION_CLIENT_ERROR_TEMPLATE) });
    // Terraform would read "${sep}" as an interpolation: the synthesized text escapes it.
    expect(String((responses['api-integration-response-200'].response_templates as Body)['application/json'])).toContain('$${sep}{');
    expect(Object.values(resources(s, 'aws_api_gateway_method_response')).map((r) => r.status_code)).toEqual(['200', '400', '500', '503']);
  });

  it('stage: variables for the template, JSON access logs, throttling and metrics; deployment redeploys on changes', () => {
    const [busId] = only(s, 'aws_cloudwatch_event_bus');
    const [deploymentId, deployment] = only(s, 'aws_api_gateway_deployment');
    expect(deployment.lifecycle).toEqual({ create_before_destroy: true });
    expect((deployment.triggers as Body).redeployment).toMatch(/^[0-9a-f]{64}$/);
    expect((deployment.triggers as Body).resources).toMatch(/^\$\{sha1\(jsonencode\(\[aws_api_gateway_resource\.api-event\.id, aws_api_gateway_method\.api-method\.id, aws_api_gateway_integration\.api-integration\.id, /);
    const [, stage] = only(s, 'aws_api_gateway_stage');
    expect(stage).toMatchObject({
      stage_name: 'v1',
      deployment_id: ref('aws_api_gateway_deployment', deploymentId, 'id'),
      variables: { environment: 'dev', eventBusName: ref('aws_cloudwatch_event_bus', busId, 'name') },
      access_log_settings: { destination_arn: ref('aws_cloudwatch_log_group', 'api-access-logs', 'arn'), format: ACCESS_LOG_FORMAT.restApi },
    });
    expect(stage.depends_on).toEqual(['aws_api_gateway_account.api-gateway-account']);
    expect(byId(s, 'aws_cloudwatch_log_group', 'api-access-logs')).toMatchObject({ name: '/aws/apigateway/trib-use1-client-events/access', retention_in_days: 30 });
    const [, settings] = only(s, 'aws_api_gateway_method_settings');
    expect(settings).toMatchObject({
      method_path: '*/*',
      settings: { metrics_enabled: true, logging_level: 'OFF', data_trace_enabled: false, throttling_rate_limit: 50, throttling_burst_limit: 100 },
    });
    // Execution logging is off by default: no execution log group.
    expect(Object.keys(resources(s, 'aws_cloudwatch_log_group'))).not.toContain('api-execution-logs');
    expect(JSON.parse(ACCESS_LOG_FORMAT.restApi)).toMatchObject({ requestId: '$context.requestId', clientId: '$context.authorizer.clientId', status: '$context.status' });
  });

  it('API Gateway account CloudWatch role ("manage", the default): scoped inline log writes (no managed policy), reset on destroy', () => {
    const [, account] = only(s, 'aws_api_gateway_account');
    expect(account).toMatchObject({ cloudwatch_role_arn: ref('aws_iam_role', 'api-gateway-cloudwatch-role', 'arn'), reset_on_delete: true });
    expect(account.depends_on).toEqual(['aws_iam_role_policy.api-gateway-cloudwatch-logs']);
    expect(byId(s, 'aws_iam_role', 'api-gateway-cloudwatch-role').name).toBe('trib-use1-apigateway-cloudwatch');
    // Issue 16 item 4: AmazonAPIGatewayPushToCloudWatchLogs granted log reads and writes on "*".
    expect(resources(s, 'aws_iam_role_policy_attachment')).toEqual({});
    const policy = byId(s, 'aws_iam_role_policy', 'api-gateway-cloudwatch-logs');
    expect(policy.role).toBe(ref('aws_iam_role', 'api-gateway-cloudwatch-role', 'id'));
    const [st] = JSON.parse(policy.policy as string).Statement;
    expect(st.Action).toEqual([...API_GATEWAY_LOG_ACTIONS]);
    expect(st.Action).not.toContain('logs:GetLogEvents');
    expect(st.Resource).toEqual([
      'arn:${local.partition}:logs:us-east-1:${local.account_id}:log-group:*',
      'arn:${local.partition}:logs:us-east-1:${local.account_id}:log-group:*:log-stream:*',
    ]);
  });

  it('Firehose: transform processor, JQ partitioning on eventType + schemaVersion + date, GZIP, no extra delimiter, error prefix without partition keys', () => {
    const [, stream] = only(s, 'aws_kinesis_firehose_delivery_stream');
    const [fnId] = byIdPart(s, 'aws_lambda_function', 'transform');
    const ext = stream.extended_s3_configuration as Body;
    expect(ext).toMatchObject({
      prefix: `${CLIENT_EVENTS_DATA_PREFIX}year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/`,
      error_output_prefix: 'errors/events/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
      compression_format: 'GZIP',
      buffering_size: 64,
      buffering_interval: 60,
      dynamic_partitioning_configuration: { enabled: true },
    });
    expect(String(ext.error_output_prefix)).not.toContain('partitionKeyFromQuery');
    const processors = (ext.processing_configuration as { processors: { type: string; parameters: { parameter_name: string; parameter_value: string }[] }[] }).processors;
    expect(processors.map((p) => p.type)).toEqual(['MetadataExtraction', 'Lambda']);
    expect(processors[0].parameters).toContainEqual({ parameter_name: 'MetadataExtractionQuery', parameter_value: CLIENT_EVENTS_JQ });
    expect(processors[1].parameters[0]).toEqual({ parameter_name: 'LambdaArn', parameter_value: `${ref('aws_lambda_function', fnId, 'arn')}:$LATEST` });
  });

  it('rule -> Firehose: source clientevents, role limited to this stream, retry policy and a DLQ writable by this rule only', () => {
    const [streamId] = only(s, 'aws_kinesis_firehose_delivery_stream');
    const rule = byId(s, 'aws_cloudwatch_event_rule', 'rule-all');
    expect(JSON.parse(String(rule.event_pattern))).toEqual({ source: ['clientevents'] });
    expect(rule.event_bus_name).toBe(ref('aws_cloudwatch_event_bus', 'bus', 'name'));
    const target = byId(s, 'aws_cloudwatch_event_target', 'rule-all-target');
    expect(target).toMatchObject({
      arn: ref('aws_kinesis_firehose_delivery_stream', streamId, 'arn'),
      role_arn: ref('aws_iam_role', 'rule-all-role', 'arn'),
      retry_policy: { maximum_retry_attempts: 185, maximum_event_age_in_seconds: 86_400 },
      dead_letter_config: { arn: ref('aws_sqs_queue', 'firehose-target-dlq', 'arn') },
    });
    expect(statements(byId(s, 'aws_iam_role_policy', 'rule-all-role-policy').policy)).toEqual([
      { Effect: 'Allow', Sid: 'PutIntoFirehose', Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'], Resource: ref('aws_kinesis_firehose_delivery_stream', streamId, 'arn') },
    ]);
    const dlq = byId(s, 'aws_sqs_queue', 'firehose-target-dlq');
    expect(dlq).toMatchObject({ sqs_managed_sse_enabled: true, message_retention_seconds: 14 * 86_400 });
    const [allow, deny] = statements(byId(s, 'aws_sqs_queue_policy', 'firehose-target-dlq-policy').policy);
    expect(allow).toMatchObject({ Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Condition: { ArnEquals: { 'aws:SourceArn': ref('aws_cloudwatch_event_rule', 'rule-all', 'arn') } } });
    expect(deny).toMatchObject({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
  });

  it('alarms: every Lambda, Firehose freshness, the DLQ (depth and failed DLQ writes), API 5xx, the loss alarms (issue 18)', () => {
    const alarms = Object.values(resources(s, 'aws_cloudwatch_metric_alarm'));
    expect(alarms.map((a) => a.alarm_name).sort()).toEqual([
      'trib-use1-client-events-api-5xx', 'trib-use1-client-events-authorizer-errors', 'trib-use1-client-events-freshness',
      'trib-use1-client-events-not-stored', 'trib-use1-client-events-post-confirmation-errors', 'trib-use1-client-events-processing-failed',
      'trib-use1-client-events-to-s3-dlq-depth', 'trib-use1-client-events-to-s3-dlq-failures', 'trib-use1-client-events-transform-errors',
      'trib-use1-client-events-volume-drop',
    ]);
    expect(alarms.find((a) => a.alarm_name === 'trib-use1-client-events-api-5xx')).toMatchObject({
      namespace: 'AWS/ApiGateway', metric_name: '5XXError', dimensions: { ApiName: 'trib-use1-client-events', Stage: 'v1' }, threshold: 1,
    });
    // Issue 12, defect 1: records the transform marks ProcessingFailed are counted from its log and alarmed.
    const [, filter] = only(s, 'aws_cloudwatch_log_metric_filter');
    const [fnId] = byIdPart(s, 'aws_lambda_function', 'transform');
    expect(filter).toMatchObject({
      pattern: PROCESSING_FAILED_FILTER_PATTERN,
      metric_transformation: { namespace: 'Tributary/ClientEvents', name: 'trib-use1-client-events-transform-processing-failed', value: '1', unit: 'Count' },
    });
    expect(String(filter.log_group_name)).toContain('aws_cloudwatch_log_group.transform_logs');
    void fnId;
    expect(alarms.find((a) => a.alarm_name === 'trib-use1-client-events-processing-failed')).toMatchObject({
      namespace: 'Tributary/ClientEvents', metric_name: 'trib-use1-client-events-transform-processing-failed', statistic: 'Sum', threshold: 0,
      comparison_operator: 'GreaterThanThreshold',
    });
  });

  it('outputs (no Zendesk ones)', () => {
    const expected = Object.values(CLIENT_EVENTS_OUTPUTS).filter((o) => !o.startsWith('zendesk'));
    const parking = [PARKING_PLACES.clientEvents.firehoseTargetDlq, PARKING_PLACES.clientEvents.firehoseErrors].map((p) => parkingOutputName(p.place));
    expect(Object.keys(s.json.output!).sort()).toEqual([...expected, 'alerts_topic_arn', 'dashboard_name', ...parking].sort());
    expect(s.json.output![CLIENT_EVENTS_OUTPUTS.eventUrl].value).toBe(`${ref('aws_api_gateway_stage', 'api-stage', 'invoke_url')}/event`);
  });

  it('passes every policy rule with no suppression of its own', () => {
    expectPolicyClean(synth.stacks, ['sns-encrypted']);
  });
});

describe('one region with Zendesk and tuned settings', () => {
  let synth: ReturnType<typeof synthConfig>;
  let s: SynthStack;
  beforeAll(() => {
    synth = synthConfig(
      configWith({
        prefix: 'shop',
        environment: 'prod',
        ams: { enabled: false },
        clientEvents: {
          enabled: true, regions: ['eu-central-1'], stageName: 'live', authorizerCacheTtlSeconds: 0, throttlingRateLimit: 20,
          throttlingBurstLimit: 40, apiGatewayAccount: 'existing', executionLogLevel: 'INFO', userPoolDeletionProtection: false, userPoolTier: 'ESSENTIALS',
          clientIdClaim: 'custom:clientId', maximumRetryAttempts: 10, maximumEventAgeSeconds: 3600, dlqRetentionDays: 4,
          dataRetentionDays: 90, zendesk: ZENDESK, corsAllowOrigins: ['https://shop.example.com', 'https://*.example.org'],
        },
      }),
    );
    s = synth.stacks[0];
  });
  afterAll(() => synth?.cleanup());

  it('CORS: preflight without authorization (MOCK, 204, methods, headers, max age), origin checked in every POST response template, gateway responses echo the origin', () => {
    const prelude = corsResponsePrelude(['https://shop.example.com', 'https://*.example.org']);
    expect(prelude).toContain('matches(');
    const options = byId(s, 'aws_api_gateway_method', 'api-cors-method');
    expect(options).toMatchObject({ http_method: 'OPTIONS', authorization: 'NONE', request_parameters: { 'method.request.header.Origin': false } });
    expect(byId(s, 'aws_api_gateway_method', 'api-method').request_parameters).toEqual({ 'method.request.header.Origin': false });
    expect(byId(s, 'aws_api_gateway_integration', 'api-cors-integration')).toMatchObject({ type: 'MOCK', request_templates: { 'application/json': '{"statusCode": 200}' } });
    expect(byId(s, 'aws_api_gateway_integration_response', 'api-cors-integration-response')).toMatchObject({
      status_code: '204',
      response_parameters: {
        'method.response.header.Access-Control-Allow-Methods': `'${CORS_ALLOW_METHODS}'`,
        'method.response.header.Access-Control-Allow-Headers': `'${CORS_ALLOW_HEADERS}'`,
        'method.response.header.Access-Control-Max-Age': `'${CORS_MAX_AGE_SECONDS}'`,
      },
      response_templates: { 'application/json': terraformLiteral(prelude) },
    });
    for (const status of ['200', '400', '503']) {
      expect(String((byId(s, 'aws_api_gateway_integration_response', `api-integration-response-${status}`).response_templates as Body)['application/json'])).toMatch(/^#set\(\$corsOrigin/);
    }
    const gateway = Object.values(resources(s, 'aws_api_gateway_gateway_response'));
    expect(gateway.map((g) => g.response_type).sort()).toEqual(['BAD_REQUEST_BODY', 'DEFAULT_4XX', 'DEFAULT_5XX']);
    for (const g of gateway) {
      expect(g.response_parameters).toEqual({ 'gatewayresponse.header.Access-Control-Allow-Origin': 'method.request.header.Origin', 'gatewayresponse.header.Vary': "'Origin'" });
    }
    const [, deployment] = only(s, 'aws_api_gateway_deployment');
    expect(deployment.depends_on).toEqual(expect.arrayContaining(['aws_api_gateway_method.api-cors-method', 'aws_api_gateway_integration_response.api-cors-integration-response']));
  });

  it('CORS with one exact origin: gateway responses name it as a constant', () => {
    const one = synthConfig(configWith({ ams: { enabled: false }, clientEvents: { enabled: true, corsAllowOrigins: ['https://shop.example.com'] } }));
    try {
      for (const g of Object.values(resources(one.stacks[0], 'aws_api_gateway_gateway_response'))) {
        expect((g.response_parameters as Body)['gatewayresponse.header.Access-Control-Allow-Origin']).toBe("'https://shop.example.com'");
      }
      expect(checkAll(one.stacks).filter((f) => f.ruleId !== 'sns-encrypted' && !isTracingSuppression(f))).toEqual([]);
    } finally {
      one.cleanup();
    }
  });

  it('applies the API settings: TTL 0, stage name, environment, throttling, execution logs with retention, no account role', () => {
    expect(s.name).toBe('client-events-eu-central-1');
    expect(only(s, 'aws_api_gateway_authorizer')[1].authorizer_result_ttl_in_seconds).toBe(0);
    const [, stage] = only(s, 'aws_api_gateway_stage');
    expect(stage).toMatchObject({ stage_name: 'live', variables: { environment: 'prod' } });
    expect(stage.depends_on).toBeUndefined();
    expect(resources(s, 'aws_api_gateway_account')).toEqual({});
    expect(resources(s, 'aws_iam_role_policy_attachment')).toEqual({});
    expect(only(s, 'aws_api_gateway_method_settings')[1].settings).toMatchObject({ logging_level: 'INFO', throttling_rate_limit: 20, throttling_burst_limit: 40 });
    expect(byId(s, 'aws_cloudwatch_log_group', 'api-execution-logs')).toMatchObject({
      name: `API-Gateway-Execution-Logs_${ref('aws_api_gateway_rest_api', 'api', 'id')}/live`, retention_in_days: 30,
    });
    expect(only(s, 'aws_cognito_user_pool')[1]).toMatchObject({ deletion_protection: 'INACTIVE', user_pool_tier: 'ESSENTIALS' });
    const [, fn] = byIdPart(s, 'aws_lambda_function', 'authorizer');
    expect((fn.environment as { variables: Body }).variables).toMatchObject({ CLIENT_ID_CLAIM: 'custom:clientId' });
    const [, lifecycle] = only(s, 'aws_s3_bucket_lifecycle_configuration');
    expect(JSON.stringify(lifecycle.rule)).toContain('"expiration":[{"days":90}]');
  });

  it('Zendesk connection: BASIC with a placeholder, auth parameters ignored afterwards; no secret value or name in Terraform', () => {
    const [connId, conn] = only(s, 'aws_cloudwatch_event_connection');
    expect(conn).toMatchObject({
      name: 'shop-euc1-client-events-zendesk',
      authorization_type: 'BASIC',
      auth_parameters: { basic: { password: ZENDESK_PLACEHOLDER_PASSWORD } },
      lifecycle: { ignore_changes: ['auth_parameters'] },
    });
    const text = JSON.stringify(s.json);
    expect(text).not.toContain(ZENDESK.secretName);
    expect(s.json.data ?? {}).toEqual({});
    const [destId, dest] = only(s, 'aws_cloudwatch_event_api_destination');
    expect(dest).toMatchObject({
      connection_arn: ref('aws_cloudwatch_event_connection', connId, 'arn'),
      invocation_endpoint: ZENDESK.ticketsEndpoint,
      http_method: 'POST',
      invocation_rate_limit_per_second: 10,
    });
    expect(s.json.output![CLIENT_EVENTS_OUTPUTS.zendeskConnectionName].value).toBe(ref('aws_cloudwatch_event_connection', connId, 'name'));
    expect(s.json.output![CLIENT_EVENTS_OUTPUTS.zendeskDlqUrl].value).toBe(ref('aws_sqs_queue', 'zendesk-target-dlq', 'url'));
    void destId;
  });

  it('loyalty rule -> API destination: pattern, input transformer, invoke role on this destination only, retry policy, own DLQ', () => {
    const [destId] = only(s, 'aws_cloudwatch_event_api_destination');
    const rule = byId(s, 'aws_cloudwatch_event_rule', 'rule-loyalty');
    expect(JSON.parse(String(rule.event_pattern))).toEqual({
      source: ['clientevents'],
      detail: {
        $or: [{ eventType: ['loyaltypurchase'] }, { eventType: [{ exists: false }], analyticType: ['loyaltypurchase'] }],
        ticket: { subject: [{ exists: true }], body: [{ exists: true }] },
      },
    });
    expect(JSON.parse(String(byId(s, 'aws_cloudwatch_event_rule', 'rule-loyalty-sample').event_pattern))).toEqual(RULE_PATTERNS.loyaltySample);
    const target = byId(s, 'aws_cloudwatch_event_target', 'rule-loyalty-target');
    expect(target).toMatchObject({
      arn: ref('aws_cloudwatch_event_api_destination', destId, 'arn'),
      role_arn: ref('aws_iam_role', 'rule-loyalty-role', 'arn'),
      input_transformer: { input_paths: ZENDESK_INPUT_TRANSFORMER.inputPaths, input_template: ZENDESK_INPUT_TRANSFORMER.inputTemplate },
      retry_policy: { maximum_retry_attempts: 10, maximum_event_age_in_seconds: 3600 },
      dead_letter_config: { arn: ref('aws_sqs_queue', 'zendesk-target-dlq', 'arn') },
    });
    expect(statements(byId(s, 'aws_iam_role_policy', 'rule-loyalty-role-policy').policy)).toEqual([
      { Effect: 'Allow', Sid: 'InvokeZendesk', Action: ['events:InvokeApiDestination'], Resource: ref('aws_cloudwatch_event_api_destination', destId, 'arn') },
    ]);
    expect(byId(s, 'aws_sqs_queue', 'zendesk-target-dlq')).toMatchObject({ name: 'shop-euc1-client-events-zendesk-dlq', message_retention_seconds: 4 * 86_400 });
    const [allow] = statements(byId(s, 'aws_sqs_queue_policy', 'zendesk-target-dlq-policy').policy);
    expect(allow.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': '${local.account_id}' },
      ArnEquals: { 'aws:SourceArn': [ref('aws_cloudwatch_event_rule', 'rule-loyalty', 'arn'), ref('aws_cloudwatch_event_rule', 'rule-loyalty-sample', 'arn')] },
    });
    // Issue 16 item 1: EventBridge assumes the target role only for these two rules of our account.
    const [trust] = statements(byId(s, 'aws_iam_role', 'rule-loyalty-role').assume_role_policy);
    expect(trust.Condition).toEqual(allow.Condition);
    // Issue 12, defect 2: the sample's ticket shape (ticket.ticket.subject/comment.body) has its own rule into the
    // same destination, role, retry policy and DLQ.
    expect(byId(s, 'aws_cloudwatch_event_target', 'rule-loyalty-sample-target')).toMatchObject({
      rule: ref('aws_cloudwatch_event_rule', 'rule-loyalty-sample', 'name'),
      arn: ref('aws_cloudwatch_event_api_destination', destId, 'arn'),
      role_arn: ref('aws_iam_role', 'rule-loyalty-role', 'arn'),
      input_transformer: { input_paths: ZENDESK_SAMPLE_INPUT_TRANSFORMER.inputPaths, input_template: ZENDESK_INPUT_TRANSFORMER.inputTemplate },
      retry_policy: { maximum_retry_attempts: 10, maximum_event_age_in_seconds: 3600 },
      dead_letter_config: { arn: ref('aws_sqs_queue', 'zendesk-target-dlq', 'arn') },
    });
    // Loyalty purchases neither ticket rule matches: kept in a queue writable by that rule only, alarmed.
    expect(JSON.parse(String(byId(s, 'aws_cloudwatch_event_rule', 'rule-loyalty-unrouted').event_pattern))).toEqual(RULE_PATTERNS.loyaltyUnrouted);
    expect(byId(s, 'aws_cloudwatch_event_target', 'rule-loyalty-unrouted-target')).toMatchObject({
      arn: ref('aws_sqs_queue', 'loyalty-unrouted-queue', 'arn'), target_id: 'unrouted-queue',
    });
    expect(byId(s, 'aws_sqs_queue', 'loyalty-unrouted-queue')).toMatchObject({ name: 'shop-euc1-client-events-loyalty-unrouted', sqs_managed_sse_enabled: true });
    const [unroutedAllow, unroutedDeny] = statements(byId(s, 'aws_sqs_queue_policy', 'loyalty-unrouted-queue-policy').policy);
    expect(unroutedAllow.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': '${local.account_id}' }, ArnEquals: { 'aws:SourceArn': ref('aws_cloudwatch_event_rule', 'rule-loyalty-unrouted', 'arn') } });
    expect(unroutedDeny).toMatchObject({ Effect: 'Deny' });
    const names = Object.values(resources(s, 'aws_cloudwatch_metric_alarm')).map((a) => a.alarm_name);
    expect(names).toEqual(expect.arrayContaining([
      'shop-euc1-client-events-loyalty-unrouted-depth', 'shop-euc1-client-events-loyalty-unrouted-failures', 'shop-euc1-client-events-zendesk-sample-dlq-failures',
    ]));
    const alarm = Object.values(resources(s, 'aws_cloudwatch_metric_alarm')).find((a) => a.alarm_name === 'shop-euc1-client-events-zendesk-dlq-depth');
    expect(String(alarm?.alarm_description)).toContain('npm run client-events:connect');
  });

  it('passes every policy rule', () => {
    const findings = checkAll(synth.stacks);
    expect(failures(findings), formatFindings(failures(findings))).toEqual([]);
  });

  it('a different authorizer TTL redeploys the API (the deployment trigger changes)', () => {
    const other = synthConfig(configWith({ prefix: 'shop', ams: { enabled: false }, clientEvents: { enabled: true, regions: ['eu-central-1'], stageName: 'live', zendesk: ZENDESK } }));
    try {
      const a = (only(s, 'aws_api_gateway_deployment')[1].triggers as Body).redeployment;
      const b = (only(other.stacks[0], 'aws_api_gateway_deployment')[1].triggers as Body).redeployment;
      expect(a).not.toBe(b);
    } finally {
      other.cleanup();
    }
  });
});

describe('offline terraform plan', () => {
  it.skipIf(!hasTerraform)('validates and plans a stack without Zendesk ("existing" account role) and one with everything (full example)', { timeout: 240_000 }, () => {
    const full = loadConfig('config/examples/full.json');
    const config = configWith({
      ams: { enabled: false },
      clientEvents: { enabled: true, regions: ['us-west-2'], apiGatewayAccount: 'existing', executionLogLevel: 'OFF' },
    });
    const variants = [
      synthConfig(config),
      synthConfig({ ...full, ams: { ...full.ams, enabled: false }, buyWithPrime: { ...full.buyWithPrime, enabled: false }, clickstream: { ...full.clickstream, enabled: false }, clientEvents: { ...full.clientEvents, regions: ['us-east-1'] } }),
    ];
    try {
      for (const [i, v] of variants.entries()) {
        const names = v.stacks.map((x) => x.name);
        expect(names).toEqual([i === 0 ? 'client-events-us-west-2' : 'client-events-us-east-1']);
        const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/tf-check.ts', '--outdir', v.outdir, '--jobs', '1', ...names], {
          cwd: fromRoot(),
          encoding: 'utf8',
        });
        expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
        expect(r.stdout).toContain('terraform: 1 passed, 0 failed');
      }
    } finally {
      for (const v of variants) v.cleanup();
    }
  });
});

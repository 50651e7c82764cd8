/**
 * Alerts.api5xx (modules/alarms.ts), the one API 5xx alarm builder, against API Gateway's documented metrics: an HTTP
 * API publishes server errors as AWS/ApiGateway `5xx` with the ApiId and Stage dimensions, a REST API as
 * `5XXError` with ApiName and Stage ("Monitor CloudWatch metrics for HTTP APIs" / "Amazon API Gateway dimensions and
 * metrics" in the API Gateway developer guide).
 */
import { describe, expect, it } from 'vitest';
import { of, policyClean, ref, synthModules } from '../helpers/module-synth.js';

describe('Alerts.api5xx', () => {
  const json = synthModules(({ alerts }) => {
    alerts.api5xx('web-api-5xx', { api: { kind: 'http', apiId: 'a1b2c3', stage: '$default' }, threshold: 5, alarmDescription: 'web 5xx' });
    alerts.api5xx('rest-api-5xx', { api: { kind: 'rest', apiName: 'trib-use1-events', stage: 'v1' }, threshold: 3, alarmDescription: 'rest 5xx' });
    alerts.api5xx('first-5xx', {
      api: { kind: 'http', apiId: 'z9', stage: '$default' }, threshold: 0, comparisonOperator: 'GreaterThanThreshold', alarmDescription: 'first',
    });
  });
  const alarms = of(json, 'aws_cloudwatch_metric_alarm');
  const topic = ref('aws_sns_topic', json, 'alerts_topic', 'arn');
  const common = {
    namespace: 'AWS/ApiGateway', statistic: 'Sum', period: 300, evaluation_periods: 1, treat_missing_data: 'notBreaching',
    alarm_actions: [topic], ok_actions: [topic],
  };

  it('HTTP API: 5xx by ApiId and Stage, this many or more in 5 minutes by default', () => {
    expect(Object.values(alarms).find((a) => a.alarm_name === 'trib-use1-web-api-5xx')).toMatchObject({
      ...common, metric_name: '5xx', dimensions: { ApiId: 'a1b2c3', Stage: '$default' },
      threshold: 5, comparison_operator: 'GreaterThanOrEqualToThreshold', alarm_description: 'web 5xx',
    });
  });

  it('REST API: 5XXError by ApiName and Stage', () => {
    expect(Object.values(alarms).find((a) => a.alarm_name === 'trib-use1-rest-api-5xx')).toMatchObject({
      ...common, metric_name: '5XXError', dimensions: { ApiName: 'trib-use1-events', Stage: 'v1' }, threshold: 3,
      comparison_operator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('takes the threshold and comparison as given (0 and GreaterThanThreshold: the first error)', () => {
    expect(Object.values(alarms).find((a) => a.alarm_name === 'trib-use1-first-5xx')).toMatchObject({
      metric_name: '5xx', threshold: 0, comparison_operator: 'GreaterThanThreshold',
    });
  });

  it('passes the policy rules', () => policyClean(json));
});

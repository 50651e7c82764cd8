/** The `clientEvents` config section: documented defaults, the Zendesk sub-section, and errors that name the key. */
import { describe, expect, it } from 'vitest';
import { parseClientEventsConfig } from '../../config/client-events.js';
import { configWith, loadConfig, parseConfig, TOP_LEVEL_KEYS } from '../../config/index.js';

const ZENDESK = { enabled: true, ticketsEndpoint: 'https://acme.zendesk.com/api/v2/tickets.json', secretName: 'tributary/zendesk' };

describe('clientEvents config', () => {
  it('is off by default with documented defaults; the default config has no client-events stack', () => {
    const c = parseClientEventsConfig(undefined);
    expect(c).toEqual({
      enabled: false, regions: ['us-east-1'], stageName: 'v1', authorizerCacheTtlSeconds: 300, corsAllowOrigins: [], throttlingRateLimit: 50,
      throttlingBurstLimit: 100, apiGatewayAccount: 'manage', executionLogLevel: 'OFF', api5xxAlarmThreshold: 1,
      userPoolDeletionProtection: true, userPoolTier: 'LITE', passwordMinimumLength: 12, accessTokenValidityMinutes: 60, idTokenValidityMinutes: 60,
      refreshTokenValidityDays: 30, clientIdClaim: undefined, authorizerMemoryMb: 256, authorizerTimeoutSeconds: 5, authorizerReservedConcurrency: 50,
      transformMemoryMb: 256, transformTimeoutSeconds: 60, firehoseBufferingSizeMiB: 64, firehoseBufferingIntervalSeconds: 60,
      dataRetentionDays: 0, maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400, dlqRetentionDays: 14,
      // Issue 16: sign-up follows Zendesk unless set, TOTP MFA optional, threat protection and WAF off.
      selfSignUp: undefined, mfa: 'optional', threatProtection: 'off', waf: { enabled: false, perClientRateLimit: 600, perIpRateLimit: 3000 },
      zendesk: { enabled: false, ticketsEndpoint: '', secretName: '', rateLimitPerSecond: 10, allowSelfSignUp: false },
      // Loss detection (issue 18): its defaults are checked in __tests__/platform/watch.test.ts.
      monitoring: c.monitoring,
    });
    expect(TOP_LEVEL_KEYS).toContain('clientEvents');
    expect(configWith({}).clientEvents.enabled).toBe(false);
    expect(loadConfig().clientEvents.enabled).toBe(false);
  });

  it('the full example config switches it on with Zendesk', () => {
    const c = loadConfig('config/examples/full.json').clientEvents;
    expect(c.enabled).toBe(true);
    expect(c.zendesk.enabled).toBe(true);
    expect(c.zendesk.ticketsEndpoint).toMatch(/^https:\/\/[a-z0-9-]+\.zendesk\.com\/api\/v2\/tickets\.json$/);
  });

  it('accepts Zendesk settings with a secret name or ARN', () => {
    expect(parseClientEventsConfig({ enabled: true, zendesk: ZENDESK }).zendesk).toEqual({ ...ZENDESK, rateLimitPerSecond: 10, allowSelfSignUp: false });
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:tributary/zendesk-AbCdEf';
    expect(parseClientEventsConfig({ zendesk: { ...ZENDESK, secretName: arn, rateLimitPerSecond: 5 } }).zendesk).toMatchObject({ secretName: arn, rateLimitPerSecond: 5 });
  });

  it.each([
    [{ authorizerCacheTtlSeconds: 3601 }, /clientEvents\.authorizerCacheTtlSeconds.*between 0 and 3600/],
    [{ authorizerCacheTtlSeconds: -1 }, /clientEvents\.authorizerCacheTtlSeconds.*between 0 and 3600/],
    [{ apiGatewayAccount: 'create' }, /clientEvents\.apiGatewayAccount.*allowed values are: manage, existing/],
    [{ executionLogLevel: 'DEBUG' }, /clientEvents\.executionLogLevel.*allowed values are: OFF, ERROR, INFO/],
    [{ regions: ['mars-1'] }, /clientEvents\.regions\[0\].*allowed values are/],
    [{ throttlingRateLimit: 500 }, /clientEvents\.throttlingBurstLimit.*at least throttlingRateLimit \(500\)/],
    [{ stageName: 'v 1' }, /clientEvents\.stageName/],
    [{ firehoseBufferingSizeMiB: 5 }, /clientEvents\.firehoseBufferingSizeMiB.*between 64 and 128/],
    [{ maximumRetryAttempts: 186 }, /clientEvents\.maximumRetryAttempts.*between 0 and 185/],
    [{ maximumEventAgeSeconds: 30 }, /clientEvents\.maximumEventAgeSeconds.*between 60 and 86400/],
    [{ dlqRetentionDays: 15 }, /clientEvents\.dlqRetentionDays.*between 1 and 14/],
    [{ authorizerTimeoutSeconds: 30 }, /clientEvents\.authorizerTimeoutSeconds.*between 1 and 10/],
    [{ userPoolTier: 'FREE' }, /clientEvents\.userPoolTier.*allowed values are: LITE, ESSENTIALS, PLUS/],
    [{ userPoolDeletionProtection: 'yes' }, /clientEvents\.userPoolDeletionProtection.*true or false/],
    [{ clientIdClaim: 'has space' }, /clientEvents\.clientIdClaim/],
    [{ bogus: 1 }, /clientEvents\.bogus.*allowed keys are: enabled, regions/],
    [{ corsAllowOrigins: ['https://shop.example.com/path'] }, /clientEvents\.corsAllowOrigins\[0\].*origin such as/],
    [{ corsAllowOrigins: ['*', 'https://shop.example.com'] }, /clientEvents\.corsAllowOrigins.*"\*" must be the only origin/],
    [{ corsAllowOrigins: 'https://shop.example.com' }, /clientEvents\.corsAllowOrigins/],
    [{ zendesk: { enabled: true, secretName: 'x' } }, /clientEvents\.zendesk\.ticketsEndpoint.*required when clientEvents\.zendesk\.enabled/],
    [{ zendesk: { enabled: true, ticketsEndpoint: ZENDESK.ticketsEndpoint } }, /clientEvents\.zendesk\.secretName.*required.*Secrets Manager/],
    [{ zendesk: { ...ZENDESK, ticketsEndpoint: 'http://acme.zendesk.com/api/v2/tickets.json' } }, /zendesk\.ticketsEndpoint.*https:\/\/<subdomain>\.zendesk\.com/],
    [{ zendesk: { ...ZENDESK, ticketsEndpoint: 'https://acme.example.com/api/v2/tickets.json' } }, /zendesk\.ticketsEndpoint/],
    [{ zendesk: { ...ZENDESK, ticketsEndpoint: 'https://acme.zendesk.com/api/v2/users.json' } }, /zendesk\.ticketsEndpoint/],
    [{ zendesk: { ...ZENDESK, secretName: 'has space' } }, /zendesk\.secretName.*Secrets Manager/],
    [{ zendesk: { ...ZENDESK, rateLimitPerSecond: 0 } }, /zendesk\.rateLimitPerSecond.*between 1 and 300/],
    [{ zendesk: { ...ZENDESK, user: 'x' } }, /clientEvents\.zendesk\.user.*allowed keys are: enabled, ticketsEndpoint, secretName, rateLimitPerSecond/],
  ])('rejects %j', (raw, message) => {
    expect(() => parseClientEventsConfig(raw)).toThrow(message);
  });

  it('CORS origins: none by default; exact, wildcard-subdomain and "*" accepted', () => {
    expect(parseClientEventsConfig({}).corsAllowOrigins).toEqual([]);
    expect(parseClientEventsConfig({ corsAllowOrigins: ['https://shop.example.com', 'https://*.example.org', 'http://localhost:3000'] }).corsAllowOrigins)
      .toEqual(['https://shop.example.com', 'https://*.example.org', 'http://localhost:3000']);
    expect(parseClientEventsConfig({ corsAllowOrigins: ['*'] }).corsAllowOrigins).toEqual(['*']);
  });

  it('is reached from the top-level parser', () => {
    expect(() => parseConfig({ clientEvents: { enabled: 'yes' } })).toThrow(/clientEvents\.enabled/);
    expect(parseConfig({ clientEvents: { enabled: true, regions: ['eu-west-1'] } }).clientEvents.regions).toEqual(['eu-west-1']);
  });
});

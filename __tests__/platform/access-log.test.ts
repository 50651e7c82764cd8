/**
 * modules/access-log.ts: the access-log formats, one per API type, against API Gateway's access logging contract:
 * a format is one line (API Gateway writes one log event per request) made of `$context` variables, and it must
 * include at least `$context.requestId` or `$context.extendedRequestId` ("Access logging for REST APIs" in the
 * developer guide; ours carry requestId); and, our rule, no query string and no header value beyond the user agent
 * (they may carry codes, tokens or the Authorization credential).
 */
import { describe, expect, it } from 'vitest';
import { ACCESS_LOG_FORMAT } from '../../modules/access-log.js';

const kinds = Object.entries(ACCESS_LOG_FORMAT);

describe('ACCESS_LOG_FORMAT', () => {
  it('has one format per API type: HTTP and REST', () => {
    expect(Object.keys(ACCESS_LOG_FORMAT).sort()).toEqual(['httpApi', 'restApi']);
  });

  it.each(kinds)('%s: one line of JSON whose every value is a $context variable, with the request id', (_kind, format) => {
    expect(format).not.toMatch(/\n/);
    const fields = JSON.parse(format) as Record<string, string>;
    for (const [key, value] of Object.entries(fields)) expect(value, key).toMatch(/^\$context\.[A-Za-z]+(\.[A-Za-z]+)*$/);
    expect(fields.requestId).toBe('$context.requestId');
  });

  it.each(kinds)('%s: no query string, no header other than the user agent', (_kind, format) => {
    expect(format).not.toMatch(/querystring|queryString|\$context\.path|requestOverride|header/i);
    const identity = Object.values(JSON.parse(format) as Record<string, string>).filter((v) => v.startsWith('$context.identity.'));
    expect(identity.sort()).toEqual(['$context.identity.sourceIp', '$context.identity.userAgent']);
  });

  it('HTTP API: the route key and integration error; REST API: the resource path and what the authorizer decided', () => {
    expect(JSON.parse(ACCESS_LOG_FORMAT.httpApi)).toMatchObject({ routeKey: '$context.routeKey', integrationError: '$context.integration.error' });
    expect(JSON.parse(ACCESS_LOG_FORMAT.restApi)).toMatchObject({
      resourcePath: '$context.resourcePath', principalId: '$context.authorizer.principalId', authorizerError: '$context.authorizer.error',
      validationError: '$context.error.validationErrorString',
    });
  });
});

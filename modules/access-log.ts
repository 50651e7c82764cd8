/**
 * JSON access-log formats of the APIs (one JSON object per request and line, from API Gateway's `$context`
 * variables), one per API type: the one export of the name ACCESS_LOG_FORMAT.
 *
 * None logs a query string or a header value other than the user agent: query strings may carry codes or tokens
 * (an OAuth callback does), and the Authorization header is a bearer credential.
 */

/** Access-log formats by API type. */
export const ACCESS_LOG_FORMAT = {
  /** HTTP API (apigatewayv2): the route key rather than the path, request and response sizes, integration errors. */
  httpApi: JSON.stringify({
    requestId: '$context.requestId',
    sourceIp: '$context.identity.sourceIp',
    requestTime: '$context.requestTime',
    routeKey: '$context.routeKey',
    status: '$context.status',
    protocol: '$context.protocol',
    requestLength: '$context.requestLength',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationStatus: '$context.integration.status',
    integrationLatency: '$context.integration.latency',
    integrationError: '$context.integration.error',
    userAgent: '$context.identity.userAgent',
  }),
  /**
   * REST API (apigateway) with a Lambda authorizer: the resource path, what the authorizer decided (principal,
   * clientId from its context, status, error) and why a request was refused (error message, body validation).
   */
  restApi: JSON.stringify({
    requestId: '$context.requestId',
    extendedRequestId: '$context.extendedRequestId',
    sourceIp: '$context.identity.sourceIp',
    requestTime: '$context.requestTime',
    httpMethod: '$context.httpMethod',
    resourcePath: '$context.resourcePath',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    principalId: '$context.authorizer.principalId',
    clientId: '$context.authorizer.clientId',
    authorizerStatus: '$context.authorizer.status',
    authorizerError: '$context.authorizer.error',
    integrationStatus: '$context.integration.status',
    integrationLatency: '$context.integration.latency',
    errorMessage: '$context.error.message',
    validationError: '$context.error.validationErrorString',
    userAgent: '$context.identity.userAgent',
  }),
} as const;

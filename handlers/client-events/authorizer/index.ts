/**
 * Lambda entry of the client events REST API TOKEN authorizer (see core.ts). Environment: contracts/client-events.ts
 * CLIENT_EVENTS_AUTHORIZER (set by stacks/client-events/api.ts). The verifier (and its JWKS
 * cache) and the Cognito client live at module level, so a warm container fetches the JWKS once. GetUser is
 * authorized by the access token itself: the function's role needs no Cognito permission.
 */
import { CognitoIdentityProviderClient, GetUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { CLIENT_EVENTS_AUTHORIZER } from '../../../contracts/client-events.js';
import { createLogger } from '../../shared/log.js';
import { authorizerSettingsFromEnv, createAuthorizer, createTokenVerifier } from './core.js';
import { awsClient } from '../../shared/aws-client.js';

export const contract = CLIENT_EVENTS_AUTHORIZER;
const log = createLogger(CLIENT_EVENTS_AUTHORIZER.service);
const settings = authorizerSettingsFromEnv(process.env);
const cognito = awsClient(CognitoIdentityProviderClient, { maxAttempts: 2 });
const authorize = createAuthorizer(settings, {
  verifier: createTokenVerifier(settings),
  getUserAttributes: async (accessToken) => {
    const out = await cognito.send(new GetUserCommand({ AccessToken: accessToken }));
    return Object.fromEntries((out.UserAttributes ?? []).map((a) => [a.Name ?? '', a.Value ?? '']));
  },
  log,
});

export const handler = async (event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => authorize(event);

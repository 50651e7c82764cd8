/**
 * Client events, Cognito part: the user pool and app client (USER_PASSWORD_AUTH and refresh; custom:clientId
 * readable, not writable by users) and the PostConfirmation trigger (handlers/client-events/post-confirmation) that
 * sets a clientId UUID at sign-up only.
 *
 * Functions over the stack's own scope, not constructs: every resource keeps its id and Terraform address.
 */
import { CognitoUserPool } from '@cdktf/provider-aws/lib/cognito-user-pool';
import { CognitoUserPoolClient } from '@cdktf/provider-aws/lib/cognito-user-pool-client';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { CLIENT_EVENTS_POST_CONFIRMATION, CLIENT_ID_ATTRIBUTE } from '../../contracts/client-events.js';
import { LambdaFunction } from '../../modules/lambda-function.js';
import type { TributaryStack } from '../base.js';
import type { ClientEventsConfig } from '../../config/index.js';
import { policyDocument } from '../../modules/iam.js';

/** The user attribute holding the clientId (contracts/client-events.ts; the handlers read it through their CLIENT_ID_ATTRIBUTE variable). */
export { CLIENT_ID_ATTRIBUTE };

export interface Cognito {
  readonly postConfirmation: LambdaFunction;
  readonly userPool: CognitoUserPool;
  readonly userPoolClient: CognitoUserPoolClient;
}

/** Config value -> the user pool's mfa_configuration. */
export const COGNITO_MFA = { off: 'OFF', optional: 'OPTIONAL', on: 'ON' } as const;
/** Config value -> the user pool's advanced_security_mode (Cognito threat protection). */
export const COGNITO_ADVANCED_SECURITY = { off: 'OFF', audit: 'AUDIT', enforced: 'ENFORCED' } as const;

/** Whether anyone may sign up: as configured, else on without Zendesk and off with it. */
export function selfSignUp(ce: ClientEventsConfig): boolean {
  return ce.selfSignUp ?? !ce.zendesk.enabled;
}

/** The user pool, its trigger and its app client, built on `stack`'s own scope. */
export function cognito(stack: TributaryStack): Cognito {
  const ce = stack.config.clientEvents;
  const naming = stack.naming;
  const postConfirmation = new LambdaFunction(stack, 'post-confirmation', {
    naming,
    purpose: 'client-events-post-confirmation',
    handler: CLIENT_EVENTS_POST_CONFIRMATION.zip,
    description: 'Cognito PostConfirmation (sign-up only): gives a new user a clientId',
    memoryMb: 128,
    // Cognito waits 5 s for a trigger.
    timeoutSeconds: 5,
    logRetentionDays: stack.config.logRetentionDays,
    alerts: stack.alerts,
    environment: { [CLIENT_EVENTS_POST_CONFIRMATION.env.clientIdAttribute]: CLIENT_ID_ATTRIBUTE },
  });
  const userPool = new CognitoUserPool(stack, 'user-pool', {
    name: naming.name('cognitoUserPool', 'client-events'),
    usernameAttributes: ['email'],
    autoVerifiedAttributes: ['email'],
    usernameConfiguration: { caseSensitive: false },
    passwordPolicy: {
      minimumLength: ce.passwordMinimumLength,
      requireLowercase: true,
      requireUppercase: true,
      requireNumbers: true,
      requireSymbols: true,
      temporaryPasswordValidityDays: 7,
    },
    accountRecoverySetting: { recoveryMechanism: [{ name: 'verified_email', priority: 1 }] },
    // Self sign-up (issue 16): off with Zendesk unless explicitly allowed (config/client-events.ts refuses the rest).
    adminCreateUserConfig: { allowAdminCreateUserOnly: !selfSignUp(ce) },
    // TOTP only: SMS factors need an SNS role and cost per message. All three settings change in place.
    mfaConfiguration: COGNITO_MFA[ce.mfa],
    softwareTokenMfaConfiguration: ce.mfa === 'off' ? undefined : { enabled: true },
    userPoolAddOns: { advancedSecurityMode: COGNITO_ADVANCED_SECURITY[ce.threatProtection] },
    deletionProtection: ce.userPoolDeletionProtection ? 'ACTIVE' : 'INACTIVE',
    userPoolTier: ce.userPoolTier,
    schema: [
      {
        name: CLIENT_ID_ATTRIBUTE.replace(/^custom:/, ''),
        attributeDataType: 'String',
        mutable: true,
        developerOnlyAttribute: false,
        required: false,
        stringAttributeConstraints: { minLength: '1', maxLength: '64' },
      },
    ],
    lambdaConfig: { postConfirmation: postConfirmation.arn },
  });
  // After the pool (the pool names the function, so the function's grants cannot name the pool at creation).
  new IamRolePolicy(stack, 'post-confirmation-pool-policy', {
    name: 'set-client-id',
    role: postConfirmation.role.id,
    policy: policyDocument([{ Sid: 'SetClientId', Action: ['cognito-idp:AdminUpdateUserAttributes'], Resource: userPool.arn }]),
  });
  new LambdaPermission(stack, 'post-confirmation-invoke', {
    statementId: 'AllowCognitoInvoke',
    action: 'lambda:InvokeFunction',
    functionName: postConfirmation.fn.functionName,
    principal: 'cognito-idp.amazonaws.com',
    sourceArn: userPool.arn,
  });
  const userPoolClient = new CognitoUserPoolClient(stack, 'user-pool-client', {
    name: naming.name('cognitoUserPool', 'client-events-app'),
    userPoolId: userPool.id,
    generateSecret: false,
    explicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    preventUserExistenceErrors: 'ENABLED',
    enableTokenRevocation: true,
    accessTokenValidity: ce.accessTokenValidityMinutes,
    idTokenValidity: ce.idTokenValidityMinutes,
    refreshTokenValidity: ce.refreshTokenValidityDays,
    tokenValidityUnits: [{ accessToken: 'minutes', idToken: 'minutes', refreshToken: 'days' }],
    readAttributes: ['email', 'email_verified', CLIENT_ID_ATTRIBUTE],
    // Users may change their e-mail, never their clientId (only the PostConfirmation trigger sets it).
    writeAttributes: ['email'],
  });
  return { postConfirmation, userPool, userPoolClient };
}

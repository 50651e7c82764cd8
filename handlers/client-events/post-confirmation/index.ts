/**
 * Lambda entry of the Cognito PostConfirmation trigger (see core.ts). Environment: contracts/client-events.ts
 * CLIENT_EVENTS_POST_CONFIRMATION (set by stacks/client-events/cognito.ts). IAM: AdminUpdateUserAttributes
 * on the user pool.
 */
import { randomUUID } from 'node:crypto';
import { AdminUpdateUserAttributesCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { PostConfirmationTriggerEvent } from 'aws-lambda';
import { CLIENT_EVENTS_POST_CONFIRMATION } from '../../../contracts/client-events.js';
import { createLogger } from '../../shared/log.js';
import { onPostConfirmation, postConfirmationSettingsFromEnv } from './core.js';
import { awsClient } from '../../shared/aws-client.js';

export const contract = CLIENT_EVENTS_POST_CONFIRMATION;
const log = createLogger(CLIENT_EVENTS_POST_CONFIRMATION.service);
const settings = postConfirmationSettingsFromEnv(process.env);
const cognito = awsClient(CognitoIdentityProviderClient, { maxAttempts: 3 });
const ports = {
  updateUserAttributes: async (input: { userPoolId: string; username: string; attributes: { Name: string; Value: string }[] }) => {
    await cognito.send(new AdminUpdateUserAttributesCommand({ UserPoolId: input.userPoolId, Username: input.username, UserAttributes: input.attributes }));
  },
  newClientId: () => randomUUID(),
  log,
};

export const handler = async (event: PostConfirmationTriggerEvent): Promise<PostConfirmationTriggerEvent> => onPostConfirmation(event, settings, ports);

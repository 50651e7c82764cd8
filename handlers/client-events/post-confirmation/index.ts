/**
 * Lambda entry of the Cognito PostConfirmation trigger (see post-confirmation.ts). Environment (set by
 * stacks/client-events/stack.ts): CLIENT_ID_ATTRIBUTE (default custom:clientId). IAM: AdminUpdateUserAttributes
 * on the user pool.
 */
import { randomUUID } from 'node:crypto';
import { AdminUpdateUserAttributesCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { PostConfirmationTriggerEvent } from 'aws-lambda';
import { createLogger } from '../../shared/log.js';
import { onPostConfirmation, postConfirmationSettingsFromEnv } from './core.js';

const log = createLogger('client-events-post-confirmation');
const settings = postConfirmationSettingsFromEnv(process.env);
const cognito = new CognitoIdentityProviderClient({ maxAttempts: 3 });
const ports = {
  updateUserAttributes: async (input: { userPoolId: string; username: string; attributes: { Name: string; Value: string }[] }) => {
    await cognito.send(new AdminUpdateUserAttributesCommand({ UserPoolId: input.userPoolId, Username: input.username, UserAttributes: input.attributes }));
  },
  newClientId: () => randomUUID(),
  log,
};

export const handler = async (event: PostConfirmationTriggerEvent): Promise<PostConfirmationTriggerEvent> => onPostConfirmation(event, settings, ports);

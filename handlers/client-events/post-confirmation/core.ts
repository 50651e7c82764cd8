/**
 * Cognito PostConfirmation trigger for client events (pure core). On sign-up confirmation
 * (`PostConfirmation_ConfirmSignUp`) a user without a clientId gets a new UUID in the clientId custom attribute
 * (AdminUpdateUserAttributes; app clients cannot write it). Every other trigger source, notably
 * `PostConfirmation_ConfirmForgotPassword`, and a user who already has a clientId leave the user untouched: the
 * clientId is stable for the life of the account (the sample regenerated it on every password reset).
 *
 * The event is always returned unchanged (Cognito requires the event back). A failed update throws, so the
 * confirmation call reports the error and the Lambda error alarm fires instead of leaving a user who can sign in
 * but whom the authorizer would deny.
 */
import type { PostConfirmationTriggerEvent } from 'aws-lambda';
import { CLIENT_EVENTS_POST_CONFIRMATION, CLIENT_ID_ATTRIBUTE } from '../../../contracts/client-events.js';
import type { Logger } from '../../shared/log.js';
import { clientIdAttributeFromEnv } from '../lib/client-id.js';

export const DEFAULT_CLIENT_ID_ATTRIBUTE = CLIENT_ID_ATTRIBUTE;
export { CLIENT_ID_ATTRIBUTE_PATTERN } from '../lib/client-id.js';
export const SIGN_UP_TRIGGER = 'PostConfirmation_ConfirmSignUp';

export interface UpdateUserAttributesInput {
  userPoolId: string;
  username: string;
  attributes: { Name: string; Value: string }[];
}

export interface PostConfirmationPorts {
  updateUserAttributes(input: UpdateUserAttributesInput): Promise<void>;
  newClientId(): string;
  log?: Logger;
}

export interface PostConfirmationSettings {
  clientIdAttribute: string;
}

const E = CLIENT_EVENTS_POST_CONFIRMATION.env;

/** Settings from the environment (contracts/client-events.ts CLIENT_EVENTS_POST_CONFIRMATION): CLIENT_ID_ATTRIBUTE (default custom:clientId). */
export function postConfirmationSettingsFromEnv(env: NodeJS.ProcessEnv): PostConfirmationSettings {
  return { clientIdAttribute: clientIdAttributeFromEnv(env, E.clientIdAttribute) };
}

export type PostConfirmationAction = 'assigned' | 'skipped-trigger' | 'skipped-existing';

/** What the trigger does for `event` (exported for tests and logs). */
export function decide(event: PostConfirmationTriggerEvent, settings: PostConfirmationSettings): PostConfirmationAction {
  if (event.triggerSource !== SIGN_UP_TRIGGER) return 'skipped-trigger';
  const existing = event.request?.userAttributes?.[settings.clientIdAttribute];
  return typeof existing === 'string' && existing.length > 0 ? 'skipped-existing' : 'assigned';
}

export async function onPostConfirmation(
  event: PostConfirmationTriggerEvent,
  settings: PostConfirmationSettings,
  ports: PostConfirmationPorts,
): Promise<PostConfirmationTriggerEvent> {
  const action = decide(event, settings);
  const base = { triggerSource: event.triggerSource, userPoolId: event.userPoolId, sub: event.request?.userAttributes?.sub };
  if (action !== 'assigned') {
    ports.log?.info('post-confirmation: user left unchanged', { ...base, action });
    return event;
  }
  const clientId = ports.newClientId();
  try {
    await ports.updateUserAttributes({
      userPoolId: event.userPoolId,
      username: event.userName,
      attributes: [{ Name: settings.clientIdAttribute, Value: clientId }],
    });
  } catch (err) {
    ports.log?.error('post-confirmation: could not set the clientId', { ...base, error: err });
    throw err;
  }
  ports.log?.info('post-confirmation: clientId assigned', { ...base, action, clientId });
  return event;
}

/**
 * The Cognito user attribute holding the clientId, as both Cognito handlers (the authorizer and the
 * PostConfirmation trigger) read it from their environment.
 */
import { CLIENT_ID_ATTRIBUTE } from '../../../contracts/client-events.js';

/** A custom attribute as a token or trigger names it: "custom:" and a 1 to 20 character name (Cognito's limit). */
export const CLIENT_ID_ATTRIBUTE_PATTERN = /^custom:[^\s:]{1,20}$/;

/** The attribute named by the variable `name` of `env`, CLIENT_ID_ATTRIBUTE when unset or empty; throws when malformed. */
export function clientIdAttributeFromEnv(env: NodeJS.ProcessEnv, name: string): string {
  const attribute = env[name] || CLIENT_ID_ATTRIBUTE;
  if (!CLIENT_ID_ATTRIBUTE_PATTERN.test(attribute)) {
    throw new Error(`environment variable ${name} must be "custom:" and 1 to 20 characters, got ${JSON.stringify(attribute)}`);
  }
  return attribute;
}

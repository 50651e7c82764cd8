/**
 * Stands in for `@aws-sdk/credential-provider-node` in handler bundles (scripts/build-handlers.ts aliases it):
 * every SDK client's default credential provider reads only the environment variables Lambda sets
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN). Without them the first call fails with
 * "Unable to find environment variable credentials." instead of trying files, SSO or instance metadata.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider: typeof fromEnv = (init) => fromEnv(init);

/**
 * The OAuth client secret, read at run time from a Secrets Manager secret created outside Terraform (so it is
 * never in Terraform state or a template). The secret string is either the client secret itself or JSON with a
 * `client_secret` key (the layout of the Buy with Prime samples). Cached per process after the first read.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsClient } from '../../shared/aws-client.js';

export function parseClientSecret(secretString: string | undefined): string {
  if (!secretString || !secretString.trim()) throw new Error('the client secret is empty');
  const text = secretString.trim();
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error('the client secret looks like JSON but does not parse');
    }
    const value = (parsed as { client_secret?: unknown }).client_secret;
    if (typeof value !== 'string' || !value) throw new Error('the client secret JSON has no "client_secret" string');
    return value;
  }
  return text;
}

/** The region of a Secrets Manager ARN (the secret may live in another region than the function). */
export function secretRegion(secretId: string): string | undefined {
  return /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):/.exec(secretId)?.[1];
}

/** A cached loader of the client secret from `secretId` (ARN or name). */
export function clientSecretLoader(secretId: string, client?: SecretsManagerClient): () => Promise<string> {
  let cached: Promise<string> | undefined;
  return () => {
    cached ??= (async () => {
      const sm = client ?? awsClient(SecretsManagerClient, { region: secretRegion(secretId) });
      const out = await sm.send(new GetSecretValueCommand({ SecretId: secretId }));
      return parseClientSecret(out.SecretString);
    })().catch((err) => {
      cached = undefined; // retry on the next request
      throw err;
    });
    return cached;
  };
}

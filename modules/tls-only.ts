/**
 * The resource-policy statement that refuses any request not sent over TLS, shared by every bucket, queue and
 * topic policy (the policy rules in policy/ check that each resource carries it).
 */
export function denyInsecureTransport(action: string | readonly string[], resource: string | readonly string[]): Record<string, unknown> {
  return {
    Sid: 'DenyInsecureTransport',
    Effect: 'Deny',
    Principal: '*',
    Action: action,
    Resource: resource,
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  };
}

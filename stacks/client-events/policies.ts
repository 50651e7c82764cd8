/** IAM documents the client-events parts share (one copy for stack.ts, delivery.ts, zendesk.ts, cognito.ts and api.ts). */
import type { PolicyStatement } from '../../modules/lambda-function.js';

/** A trust policy letting `service` assume the role. */
export const assumeRole = (service: string) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] });

/** An identity policy allowing each of `statements`. */
export const policyDoc = (statements: PolicyStatement[]) =>
  JSON.stringify({ Version: '2012-10-17', Statement: statements.map((s) => ({ Effect: 'Allow', ...s })) });

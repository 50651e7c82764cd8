/**
 * The install app as a plain node:http server (the Fargate target; docker/bwp-oauth.Dockerfile runs it).
 * Environment: contracts/buy-with-prime.ts BWP_OAUTH_SERVER (the Lambda's variables, set by the task definition of
 * stacks/buy-with-prime/fargate.ts). Listens on PORT (default 8080; 0 picks a free port) and HOST (default 0.0.0.0); on SIGTERM (ECS stopping the task) it stops accepting connections and exits
 * once in-flight requests finish.
 */
import { createServer } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { BWP_OAUTH_SERVER } from '../../../contracts/buy-with-prime.js';
import { numberEnv } from '../../shared/env.js';
import { createLog } from '../lib/log.js';
import { nodeListener } from './http.js';
import { appFromEnv } from './handler.js';
import { awsClient } from '../../shared/aws-client.js';

export const contract = BWP_OAUTH_SERVER;
const log = createLog(BWP_OAUTH_SERVER.service);
const app = appFromEnv(process.env, { ddb: awsClient(DynamoDBClient), kms: awsClient(KMSClient) }, log);
const port = numberEnv(process.env, BWP_OAUTH_SERVER.env.port, 8080);

const server = createServer(nodeListener(app, log));
// Keep connections alive longer than the ALB's idle timeout (60 s) so the ALB never reuses a closed socket.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.requestTimeout = 30_000;
server.listen(port, process.env[BWP_OAUTH_SERVER.env.host] || '0.0.0.0', () => {
  const address = server.address();
  log.info('listening', { port: typeof address === 'object' && address ? address.port : port });
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    log.info('shutting down', { signal });
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 25_000).unref();
  });
}

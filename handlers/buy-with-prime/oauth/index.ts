/** Lambda entry of the install app behind an API Gateway HTTP API (payload format 2.0). */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { BWP_OAUTH } from '../../../contracts/buy-with-prime.js';
import { createLog } from '../lib/log.js';
import { fromApiGateway, toApiGateway } from './http.js';
import { appFromEnv } from './handler.js';
import { awsClient } from '../../shared/aws-client.js';

export const contract = BWP_OAUTH;
const log = createLog(BWP_OAUTH.service);
const app = appFromEnv(process.env, { ddb: awsClient(DynamoDBClient), kms: awsClient(KMSClient) }, log);

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> =>
  toApiGateway(await app(fromApiGateway(event)));

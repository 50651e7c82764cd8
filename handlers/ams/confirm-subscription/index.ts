/**
 * Lambda entry of the Amazon Marketing Stream subscription confirmation (SQS event source on the confirmation
 * queue, batch size 1, ReportBatchItemFailures). Environment: contracts/ams.ts AMS_CONFIRM_SUBSCRIPTION (set by
 * stacks/ams/stack.ts). Its role may call sns:ConfirmSubscription only on Amazon's publisher topics for this
 * dataset and region.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ADVERTISING_REGIONS, AMS_CONFIRM_SUBSCRIPTION, type AdvertisingRegion } from '../../../contracts/ams.js';
import { requireEnv } from '../../shared/env.js';
import { createLogger } from '../../shared/log.js';
import { confirmBatch, snsConfirmer } from './handler.js';
import { expectationFor } from './core.js';
import { SnsSignatureVerifier } from './signature.js';
import { awsClient } from '../../shared/aws-client.js';

export const contract = AMS_CONFIRM_SUBSCRIPTION;
const E = AMS_CONFIRM_SUBSCRIPTION.env;
const region = requireEnv(process.env, E.advertisingRegion);
if (!(ADVERTISING_REGIONS as readonly string[]).includes(region)) {
  throw new Error(`environment variable ${E.advertisingRegion} must be one of ${ADVERTISING_REGIONS.join(', ')}, got ${JSON.stringify(region)}`);
}
const expected = expectationFor(requireEnv(process.env, E.datasetId), region as AdvertisingRegion);
const log = createLogger(AMS_CONFIRM_SUBSCRIPTION.service);
/** Certificates are cached here for the container's lifetime. */
const verifier = new SnsSignatureVerifier();
const clients = new Map<string, SNSClient>();
const clientFor = (awsRegion: string): SNSClient => {
  let c = clients.get(awsRegion);
  if (!c) clients.set(awsRegion, (c = awsClient(SNSClient, { region: awsRegion })));
  return c;
};
const ports = { expected, verifier, confirmSubscription: snsConfirmer(clientFor), log };

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => confirmBatch(event.Records, ports);

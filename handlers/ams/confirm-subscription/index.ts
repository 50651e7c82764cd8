/**
 * Lambda entry of the Amazon Marketing Stream subscription confirmation (SQS event source on the confirmation
 * queue, batch size 1, ReportBatchItemFailures). Environment (set by stacks/ams/stack.ts): DATASET_ID,
 * ADVERTISING_REGION. Its role may call sns:ConfirmSubscription only on Amazon's publisher topics for this
 * dataset and region.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ADVERTISING_REGIONS, type AdvertisingRegion } from '../../../contracts/ams.js';
import { requireEnv } from '../../shared/env.js';
import { createLogger } from '../../shared/log.js';
import { confirmBatch, snsConfirmer } from './handler.js';
import { expectationFor } from './core.js';
import { SnsSignatureVerifier } from './signature.js';


const region = requireEnv(process.env, 'ADVERTISING_REGION');
if (!(ADVERTISING_REGIONS as readonly string[]).includes(region)) {
  throw new Error(`ADVERTISING_REGION must be one of ${ADVERTISING_REGIONS.join(', ')}, got ${JSON.stringify(region)}`);
}
const expected = expectationFor(requireEnv(process.env, 'DATASET_ID'), region as AdvertisingRegion);
const log = createLogger('ams-confirm-subscription');
/** Certificates are cached here for the container's lifetime. */
const verifier = new SnsSignatureVerifier();
const clients = new Map<string, SNSClient>();
const clientFor = (awsRegion: string): SNSClient => {
  let c = clients.get(awsRegion);
  if (!c) clients.set(awsRegion, (c = new SNSClient({ region: awsRegion })));
  return c;
};
const ports = { expected, verifier, confirmSubscription: snsConfirmer(clientFor), log };

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => confirmBatch(event.Records, ports);

/**
 * Lambda entry of the client events Firehose transformation (see core.ts). No environment variables
 * (contracts/client-events.ts CLIENT_EVENTS_TRANSFORM) and no AWS clients: the function only reshapes records.
 */
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { CLIENT_EVENTS_TRANSFORM } from '../../../contracts/client-events.js';
import { createLogger } from '../../shared/log.js';
import { handleTransformation } from './core.js';

export const contract = CLIENT_EVENTS_TRANSFORM;
const log = createLogger(CLIENT_EVENTS_TRANSFORM.service);

export const handler = async (event: FirehoseTransformationEvent): Promise<FirehoseTransformationResult> => handleTransformation(event, log);

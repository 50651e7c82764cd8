/**
 * Lambda entry of the client events Firehose transformation (see transform.ts). No environment variables and no
 * AWS clients: the function only reshapes records. Log level from POWERTOOLS_LOG_LEVEL.
 */
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { createLogger } from '../../shared/log.js';
import { handleTransformation } from './core.js';

const log = createLogger('client-events-transform');

export const handler = async (event: FirehoseTransformationEvent): Promise<FirehoseTransformationResult> => handleTransformation(event, log);

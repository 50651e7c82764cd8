/** SQS event-source records as Lambda receives them, for handler tests and benchmarks of any pipeline. */
import type { SQSRecord } from 'aws-lambda';

/** One record carrying `body`; `queue` names the source queue in its ARN. */
export function sqsRecord(body: string, messageId: string, queue = 'ingress', receiveCount = 1): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:123456789012:${queue}`,
    awsRegion: 'us-east-1',
  };
}

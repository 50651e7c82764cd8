/**
 * An in-process fauxqs (SQS + SNS emulator) bound to 127.0.0.1 on a free port, with SDK clients pointed at it
 * (dummy credentials, one attempt) and helpers that play the Lambda SQS event source: receive messages, turn them
 * into an SQSEvent, and settle a partial batch response (delete what succeeded, make the failures visible again as
 * Lambda does once their visibility timeout ends). Stop it in afterAll.
 *
 *   const emu = await startFauxqs();
 *   const q = await emu.createQueue('ingress', { dlq: 'ingress-dlq', maxReceiveCount: 2 });
 *   ...
 *   await emu.stop();
 */
import { randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand, CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand,
  ReceiveMessageCommand, SQSClient, type Message,
} from '@aws-sdk/client-sqs';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { buildApp } from 'fauxqs';

export interface Queue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
}

export interface Fauxqs {
  readonly endpoint: string;
  readonly region: string;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  /** A standard queue; with `dlq`, a DLQ of that name too and a RedrivePolicy after `maxReceiveCount` receives. */
  createQueue(name: string, options?: { dlq?: string; maxReceiveCount?: number; visibilityTimeoutSeconds?: number }): Promise<Queue & { dlq?: Queue }>;
  createTopic(name: string): Promise<string>;
  /** Subscribes `queue` to `topicArn` (raw delivery by default, as the stack's Firehose subscription is). */
  subscribeQueue(topicArn: string, queue: Queue, raw?: boolean): Promise<void>;
  /** Receives until the queue returns nothing (visible messages only), with all attributes. */
  receiveAll(queue: Queue, options?: { visibilityTimeoutSeconds?: number }): Promise<Message[]>;
  /** Approximate visible + in-flight counts. */
  depth(queue: Queue): Promise<{ visible: number; inFlight: number }>;
  stop(): Promise<void>;
}

/** An SQSEvent as the Lambda event source builds it from received messages. */
export function sqsEvent(messages: readonly Message[], queue: Queue, region = 'us-east-1'): SQSEvent {
  const Records: SQSRecord[] = messages.map((m) => ({
    messageId: m.MessageId!,
    receiptHandle: m.ReceiptHandle!,
    body: m.Body ?? '',
    attributes: {
      ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
      SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
      SenderId: m.Attributes?.SenderId ?? 'AIDATEST',
      ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: m.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queue.arn,
    awsRegion: region,
  }));
  return { Records };
}

export async function startFauxqs(region = 'us-east-1'): Promise<Fauxqs> {
  const app = buildApp({ logger: false, defaultRegion: region });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const endpoint = new URL(address).origin;
  const common = { endpoint, region, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' }, maxAttempts: 1 };
  const sqs = new SQSClient(common);
  const sns = new SNSClient(common);

  const queueArn = async (url: string): Promise<string> => {
    const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
    return a.Attributes!.QueueArn!;
  };
  const make = async (name: string, attributes: Record<string, string> = {}): Promise<Queue> => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    // fauxqs names queues http://sqs.<region>.localhost:<port>/<account>/<name>, which need not resolve here, and
    // the SQS client sends to the queue URL's host unless given an explicit endpoint: use the loopback address.
    const url = `${endpoint}${new URL(QueueUrl!).pathname}`;
    return { name, url, arn: await queueArn(url) };
  };

  return {
    endpoint,
    region,
    sqs,
    sns,
    async createQueue(name, options = {}) {
      const attributes: Record<string, string> = { VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30) };
      let dlq: Queue | undefined;
      if (options.dlq) {
        dlq = await make(options.dlq);
        attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: options.maxReceiveCount ?? 3 });
      }
      return { ...(await make(name, attributes)), dlq };
    },
    async createTopic(name) {
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name }));
      return TopicArn!;
    },
    async subscribeQueue(topicArn, queue, raw = true) {
      await sns.send(
        new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queue.arn, Attributes: raw ? { RawMessageDelivery: 'true' } : {} }),
      );
    },
    async receiveAll(queue, options = {}) {
      const out: Message[] = [];
      for (;;) {
        const r = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queue.url,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            VisibilityTimeout: options.visibilityTimeoutSeconds ?? 30,
            MessageSystemAttributeNames: ['All'],
            // A per-call attempt id keeps repeated polls distinct in logs.
            ReceiveRequestAttemptId: randomUUID(),
          }),
        );
        if (!r.Messages?.length) return out;
        out.push(...r.Messages);
      }
    },
    async depth(queue) {
      const a = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queue.url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return {
        visible: Number(a.Attributes?.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(a.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
      };
    },
    async stop() {
      sqs.destroy();
      sns.destroy();
      await app.close();
    },
  };
}

/**
 * What the Lambda event source does with a partial batch response: delete every message not reported as failed;
 * the failed ones stay (here made visible again at once instead of after their visibility timeout).
 * Returns the failed messages.
 */
export async function settle(emu: Fauxqs, queue: Queue, messages: readonly Message[], response: SQSBatchResponse): Promise<Message[]> {
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  const kept: Message[] = [];
  for (const m of messages) {
    if (failed.has(m.MessageId!)) {
      kept.push(m);
      await emu.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 }));
    } else {
      await emu.sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: m.ReceiptHandle! }));
    }
  }
  return kept;
}

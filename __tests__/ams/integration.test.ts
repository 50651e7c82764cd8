/**
 * AMS handlers against the embedded fauxqs SQS/SNS emulator (127.0.0.1, free port): messages travel from the
 * ingress queue through the real fan-out Lambda entry (its module-level SDK clients pointed at the emulator via
 * AWS_ENDPOINT_URL) into the data topic, whose raw-delivery SQS subscriber stands in for Firehose, and into the
 * confirmation queue; the confirmation core then confirms against a local fake SNS endpoint (fauxqs cannot model
 * Amazon's cross-account topic). Bad input is refused and kept: still in its queue, then in its DLQ, intact.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { DeleteTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmBatch, snsConfirmer, type ConfirmPorts } from '../../handlers/ams/confirm-subscription/handler.js';
import { expectationFor } from '../../handlers/ams/confirm-subscription/core.js';
import { SnsSignatureVerifier } from '../../handlers/ams/confirm-subscription/signature.js';
import { MemoryLogger } from '../../handlers/shared/log.js';
import { notificationEnvelope, spTrafficRecord } from '../helpers/ams-records.js';
import { generateTestCert, signedConfirmation, type TestCert } from '../helpers/ams-sns-signing.js';
import { settle, sqsEvent, startFauxqs, type Fauxqs, type Queue } from '../helpers/fauxqs.js';

interface FakeSnsCall {
  params: URLSearchParams;
  authorization: string;
}

/** A fake SNS query-protocol endpoint answering ConfirmSubscription (and recording each call). */
async function startFakeSns(): Promise<{ endpoint: string; calls: FakeSnsCall[]; server: Server }> {
  const calls: FakeSnsCall[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const params = new URLSearchParams(body);
      calls.push({ params, authorization: String(req.headers.authorization ?? '') });
      if (params.get('Action') !== 'ConfirmSubscription') {
        res.writeHead(400, { 'content-type': 'text/xml' }).end('<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>no</Message></Error></ErrorResponse>');
        return;
      }
      const arn = `${params.get('TopicArn')}:0d3f2c1e-0000-4000-8000-000000000001`;
      res.writeHead(200, { 'content-type': 'text/xml' }).end(
        `<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ConfirmSubscriptionResult><SubscriptionArn>${arn}</SubscriptionArn></ConfirmSubscriptionResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></ConfirmSubscriptionResponse>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, server };
}

const CERT_URL_SUFFIX = '/SimpleNotificationService-0000000000000000000000000000000test.pem';

let emu: Fauxqs;
let fakeSns: Awaited<ReturnType<typeof startFakeSns>>;
let ingress: Queue & { dlq?: Queue };
let confirmations: Queue & { dlq?: Queue };
let firehoseStandIn: Queue;
let cert: TestCert;
let fanOutHandler: (event: SQSEvent) => Promise<SQSBatchResponse>;
let confirmPorts: ConfirmPorts & { log: MemoryLogger };
const savedEnv = { ...process.env };

beforeAll(async () => {
  emu = await startFauxqs('us-east-1');
  fakeSns = await startFakeSns();
  cert = generateTestCert();
  ingress = await emu.createQueue('ams-sp-traffic-ingress', { dlq: 'ams-sp-traffic-ingress-dlq', maxReceiveCount: 1 });
  confirmations = await emu.createQueue('ams-sp-traffic-confirm', { dlq: 'ams-sp-traffic-confirm-dlq', maxReceiveCount: 1 });
  firehoseStandIn = await emu.createQueue('firehose-stand-in');
  const topicArn = await emu.createTopic('ams-sp-traffic-data');
  await emu.subscribeQueue(topicArn, firehoseStandIn, true);

  // The real Lambda entry, configured as the stack configures it, with its SDK clients pointed at fauxqs.
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDTEST',
    AWS_SECRET_ACCESS_KEY: 'test-secret',
    AWS_ENDPOINT_URL: emu.endpoint,
    AWS_MAX_ATTEMPTS: '1',
    DATASET_ID: 'sp-traffic',
    ADVERTISING_REGION: 'NA',
    DATA_TOPIC_ARN: topicArn,
    CONFIRMATION_QUEUE_URL: confirmations.url,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  ({ handler: fanOutHandler } = await import('../../handlers/ams/fan-out/index.js'));

  const confirmClient = new SNSClient({
    endpoint: fakeSns.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
    maxAttempts: 1,
  });
  const clientRegions: string[] = [];
  confirmPorts = {
    expected: expectationFor('sp-traffic', 'NA'),
    // Serves the locally generated signing certificate for Amazon's certificate URL (no network).
    verifier: new SnsSignatureVerifier({
      fetchCert: async (url) => {
        if (url !== `https://sns.us-east-1.amazonaws.com${CERT_URL_SUFFIX}`) throw new Error(`unexpected ${url}`);
        return cert.certPem;
      },
    }),
    confirmSubscription: snsConfirmer((region) => {
      clientRegions.push(region);
      return confirmClient;
    }),
    log: new MemoryLogger(),
  };
});

afterAll(async () => {
  await emu?.stop();
  await new Promise((resolve) => fakeSns?.server.close(resolve));
  process.env = savedEnv;
});

async function send(queue: Queue, body: string): Promise<void> {
  await emu.sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body }));
}

/** Polls the queue like the Lambda event source, invokes the fan-out entry, settles the partial batch response. */
async function runFanOut(): Promise<{ messages: Message[]; response: SQSBatchResponse; kept: Message[] }> {
  const messages = await emu.receiveAll(ingress);
  const response = await fanOutHandler(sqsEvent(messages, ingress));
  const kept = await settle(emu, ingress, messages, response);
  return { messages, response, kept };
}

/** The confirmation Lambda's event source: batch size 1. */
async function runConfirm(): Promise<{ bodies: string[]; failed: string[] }> {
  const failed: string[] = [];
  const messages = await emu.receiveAll(confirmations);
  for (const m of messages) {
    const response = await confirmBatch(sqsEvent([m], confirmations).Records, confirmPorts);
    await settle(emu, confirmations, [m], response);
    failed.push(...response.batchItemFailures.map((f) => f.itemIdentifier));
  }
  return { bodies: messages.map((m) => m.Body!), failed };
}

describe('AMS ingress -> fan-out -> data topic / confirmation queue -> confirmation', () => {
  it('delivers every record, as is and without a delimiter of ours, to the topic subscriber and confirms the subscription', async () => {
    const records = Array.from({ length: 23 }, (_, i) => spTrafficRecord(i));
    const confirmation = JSON.stringify(
      signedConfirmation(cert.privateKey, { certUrl: `https://sns.us-east-1.amazonaws.com${CERT_URL_SUFFIX}`, token: 'tok-integration-secret' }),
    );
    await send(ingress, confirmation);
    for (const [i, r] of records.entries()) await send(ingress, i % 3 === 0 ? JSON.stringify(r) : JSON.stringify(notificationEnvelope(r)));
    await send(ingress, JSON.stringify({ Type: 'UnsubscribeConfirmation', TopicArn: 'arn:aws:sns:us-east-1:906013806264:sp-traffic', MessageId: 'u-1', Token: 't' }));

    const { messages, response } = await runFanOut();
    expect(messages).toHaveLength(25);
    expect(response.batchItemFailures).toEqual([]);
    expect(await emu.depth(ingress)).toEqual({ visible: 0, inFlight: 0 });

    // The Firehose stand-in receives exactly the records, one line each and no delimiter: Firehose's
    // AppendDelimiterToRecord processor adds the one "\n" (a second one was an empty line in S3; issue 11).
    const delivered = await emu.receiveAll(firehoseStandIn);
    expect(delivered.map((m) => m.Body).sort()).toEqual(records.map((r) => JSON.stringify(r)).sort());
    for (const m of delivered) expect(m.Body).not.toMatch(/[\r\n]/);

    // The confirmation lands in the confirmation queue unchanged, and the confirmation Lambda confirms it in the
    // TopicArn's region with its Token.
    const { bodies, failed } = await runConfirm();
    expect(bodies).toEqual([confirmation]);
    expect(failed).toEqual([]);
    expect(fakeSns.calls).toHaveLength(1);
    const call = fakeSns.calls[0];
    expect(call.params.get('Action')).toBe('ConfirmSubscription');
    expect(call.params.get('TopicArn')).toBe('arn:aws:sns:us-east-1:906013806264:sp-traffic-topic');
    expect(call.params.get('Token')).toBe('tok-integration-secret');
    expect(call.params.get('AuthenticateOnUnsubscribe')).toBe('true');
    expect(call.authorization).toContain('/us-east-1/sns/aws4_request');
    expect(await emu.depth(confirmations)).toEqual({ visible: 0, inFlight: 0 });
    expect(confirmPorts.log.text()).not.toContain('tok-integration-secret');
  });

  it('refuses bad input and keeps it: still in the queue, then in the DLQ, byte for byte', async () => {
    fakeSns.calls.length = 0;
    const certUrl = `https://sns.us-east-1.amazonaws.com${CERT_URL_SUFFIX}`;
    const bad = [
      '{"Type": "Notification", "Message": ',
      JSON.stringify({ Type: 'Notification', TopicArn: 'arn:aws:sns:us-east-1:906013806264:sp-traffic', MessageId: 'x' }),
      JSON.stringify({ TopicArn: 'arn:aws:sns:us-east-1:906013806264:sp-traffic', Message: JSON.stringify(spTrafficRecord(1)) }),
      JSON.stringify({ Type: 'Mystery', Message: '{}' }),
      JSON.stringify({ ...spTrafficRecord(2), keyword_text: 'k'.repeat(400_000) }),
    ];
    const good = [spTrafficRecord(100), spTrafficRecord(101)];
    const badConfirmations = [
      JSON.stringify(signedConfirmation(cert.privateKey, { certUrl, account: '111122223333' })),
      JSON.stringify(signedConfirmation(cert.privateKey, { certUrl, subscribeHost: 'sns.us-east-1.amazonaws.com.attacker.example' })),
      JSON.stringify({ ...signedConfirmation(cert.privateKey, { certUrl }), Token: 'swapped-token' }),
    ];
    for (const b of [...bad, ...badConfirmations]) await send(ingress, b);
    for (const g of good) await send(ingress, JSON.stringify(notificationEnvelope(g)));

    const first = await runFanOut();
    expect(first.response.batchItemFailures).toHaveLength(bad.length);
    expect(first.kept.map((m) => m.Body).sort()).toEqual([...bad].sort());
    expect((await emu.receiveAll(firehoseStandIn)).map((m) => m.Body).sort()).toEqual(good.map((g) => JSON.stringify(g)).sort());

    // Refused messages are still in the ingress queue; with maxReceiveCount 1 the next receive redrives them.
    expect((await emu.depth(ingress)).visible).toBe(bad.length);
    expect(await emu.receiveAll(ingress)).toEqual([]);
    expect((await emu.receiveAll(ingress.dlq!)).map((m) => m.Body).sort()).toEqual([...bad].sort());

    // The confirmations were forwarded; the confirmation Lambda refuses all three and calls SNS for none.
    const { failed } = await runConfirm();
    expect(failed).toHaveLength(3);
    expect(fakeSns.calls).toEqual([]);
    const reasons = confirmPorts.log.entries.filter((e) => e.level === 'warn').map((e) => String(e.attributes?.reason));
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/account 111122223333 is not Amazon's sp-traffic publisher account/),
        expect.stringMatching(/SubscribeURL is not https:\/\/sns\.us-east-1\.amazonaws\.com/),
        expect.stringMatching(/signature does not verify/),
      ]),
    );
    expect(await emu.receiveAll(confirmations)).toEqual([]);
    expect((await emu.receiveAll(confirmations.dlq!)).map((m) => m.Body).sort()).toEqual([...badConfirmations].sort());
  });

  it('reports every record failed when PublishBatch fails (data topic gone), and loses none (runs last)', async () => {
    const bodies = [spTrafficRecord(200), spTrafficRecord(201)].map((r) => JSON.stringify(notificationEnvelope(r)));
    for (const b of bodies) await send(ingress, b);
    await emu.sns.send(new DeleteTopicCommand({ TopicArn: process.env.DATA_TOPIC_ARN! }));
    const { response, kept } = await runFanOut();
    expect(response.batchItemFailures).toHaveLength(2);
    expect(kept.map((m) => m.Body).sort()).toEqual([...bodies].sort());
    expect(await emu.receiveAll(ingress)).toEqual([]);
    expect((await emu.receiveAll(ingress.dlq!)).map((m) => m.Body).sort()).toEqual([...bodies].sort());
  });
});

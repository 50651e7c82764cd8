import '../../lib/fast-synth.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith } from '../../config/index.js';
import { classify, MAX_RECORD_BYTES, planPublishBatches, preview, SNS_MAX_MESSAGE_BYTES } from '../../handlers/ams/fan-out/core.js';
import { fanOut, type FanOutPorts, type PublishBatchResult, type PublishEntry } from '../../handlers/ams/fan-out/handler.js';
import { MemoryLogger } from '../../handlers/shared/log.js';
import { notificationEnvelope, spTrafficRecord } from '../helpers/ams-records.js';
import { sqsRecord } from '../helpers/sqs-records.js';
import { deliverBuffer, textRows, type FirehoseStreamJson } from '../helpers/ams-firehose-model.js';
import { resources, synthConfig } from '../helpers/synth.js';

const confirmationBody = JSON.stringify({
  Type: 'SubscriptionConfirmation',
  MessageId: 'm-1',
  Token: 'secret-token-value-1234567890',
  TopicArn: 'arn:aws:sns:us-east-1:906013806264:sp-traffic',
  Message: 'You have chosen to subscribe',
  SubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=secret-token-value-1234567890',
  Timestamp: '2026-11-24T00:00:00.000Z',
  SignatureVersion: '1',
  Signature: 'abc',
  SigningCertURL: 'https://sns.us-east-1.amazonaws.com/x.pem',
});

describe('classify', () => {
  it('unwraps a Notification envelope into its record, byte for byte and without a delimiter (Firehose appends one)', () => {
    const record = spTrafficRecord(3);
    const inner = JSON.stringify(record);
    const c = classify(JSON.stringify(notificationEnvelope(record)));
    expect(c).toEqual({ kind: 'record', source: 'notification', message: inner, bytes: Buffer.byteLength(inner) });
  });

  it('publishes a bare record as is', () => {
    const body = JSON.stringify(spTrafficRecord(4));
    expect(classify(body)).toMatchObject({ kind: 'record', source: 'bare', message: body });
  });

  it('compacts a multi-line record so that each S3 line is one record', () => {
    const record = { idempotency_id: 'a', keyword_text: 'x\ny', clicks: 1 };
    const pretty = JSON.stringify(record, null, 2);
    const c = classify(JSON.stringify({ Type: 'Notification', TopicArn: 't', Message: pretty }));
    expect(c).toMatchObject({ kind: 'record', message: JSON.stringify(record) });
    expect((c as { message: string }).message).not.toContain('\n');
    // A record that arrives with a trailing newline of its own is compacted too: no delimiter of ours reaches Firehose.
    expect(classify(`${JSON.stringify(record)}\n`)).toMatchObject({ kind: 'record', message: JSON.stringify(record) });
  });

  it('counts UTF-8 bytes, not characters', () => {
    const body = JSON.stringify({ keyword_text: 'wasserflasche für kinder ✓' });
    expect(classify(body)).toMatchObject({ bytes: Buffer.byteLength(body) });
  });

  it('recognises SubscriptionConfirmation and UnsubscribeConfirmation', () => {
    expect(classify(confirmationBody)).toEqual({ kind: 'confirmation', topicArn: 'arn:aws:sns:us-east-1:906013806264:sp-traffic', snsMessageId: 'm-1' });
    expect(classify(JSON.stringify({ Type: 'UnsubscribeConfirmation', TopicArn: 'arn:t', MessageId: 'm-2' }))).toEqual({
      kind: 'unsubscribe',
      topicArn: 'arn:t',
      snsMessageId: 'm-2',
    });
  });

  it.each([
    ['', 'empty body'],
    ['{not json', 'body is not valid JSON'],
    ['[1,2]', 'body is JSON array, not an object'],
    ['null', 'body is JSON null, not an object'],
    ['"text"', 'body is JSON string, not an object'],
    ['42', 'body is JSON number, not an object'],
    [JSON.stringify({ Type: 'Weird', Message: '{}' }), 'unknown SNS message Type "Weird"'],
    [JSON.stringify({ Type: 7 }), 'unknown SNS message Type 7'],
    [JSON.stringify({ Type: 'Notification', TopicArn: 't' }), 'Notification envelope without a Message'],
    [JSON.stringify({ Type: 'Notification', Message: { a: 1 } }), 'Notification Message is not a string'],
    [JSON.stringify({ Type: 'Notification', Message: 'not json' }), 'Notification Message is not valid JSON'],
    [JSON.stringify({ Type: 'Notification', Message: '[1]' }), 'Notification Message is JSON array, not a record object'],
    [JSON.stringify({ Type: 'Notification', Message: '"x"' }), 'Notification Message is JSON string, not a record object'],
    [JSON.stringify({ TopicArn: 't', Message: '{}' }), 'SNS envelope without a Type'],
  ])('refuses %j: %s', (body, reason) => {
    expect(classify(body)).toMatchObject({ kind: 'invalid', reason });
  });

  it('refuses records above the cap and accepts one exactly at it', () => {
    const filler = (n: number) => JSON.stringify({ pad: 'x'.repeat(n) });
    const overhead = filler(0).length;
    const atCap = filler(MAX_RECORD_BYTES - overhead);
    expect(classify(atCap)).toMatchObject({ kind: 'record', bytes: MAX_RECORD_BYTES });
    const over = classify(filler(MAX_RECORD_BYTES - overhead + 1));
    expect(over).toMatchObject({ kind: 'invalid' });
    expect((over as { reason: string }).reason).toMatch(/above the 262144-byte cap/);
    // Multi-byte characters count 3 bytes each.
    const wide = JSON.stringify({ Type: 'Notification', Message: JSON.stringify({ pad: '€'.repeat(90_000) }) });
    expect(classify(wide)).toMatchObject({ kind: 'invalid' });
  });

  it('masks confirmation tokens in the logged prefix of a damaged body', () => {
    const damaged = confirmationBody.slice(0, confirmationBody.length - 40); // truncated: invalid JSON
    const c = classify(damaged);
    expect(c.kind).toBe('invalid');
    expect(JSON.stringify(c)).not.toContain('secret-token-value');
    expect(preview('{"Type":"SubscriptionConfirmation","Token":"abc123","SubscribeURL":"https://x/?a=1&Token=abc123&b=2"}', 400)).toBe(
      '{"Type":"SubscriptionConfirmation","Token":"[redacted]","SubscribeURL":"https://x/?a=1&Token=[redacted]&b=2"}',
    );
  });

  it('never puts a large body into the refusal detail', () => {
    const big = `{"broken": "${'y'.repeat(100_000)}`;
    const c = classify(big);
    expect(c.kind).toBe('invalid');
    expect(JSON.stringify(c).length).toBeLessThan(1000);
  });
});

describe('planPublishBatches', () => {
  it('plans PublishBatch calls of at most 10 entries and 256 KiB in total (SNS PublishBatch limits)', () => {
    expect(planPublishBatches(Array(25).fill(100)).map((b) => b.length)).toEqual([10, 10, 5]);
    expect(planPublishBatches([100_000, 100_000, 100_000, 262_144, 1, 1])).toEqual([[0, 1], [2], [3], [4, 5]]);
    expect(() => planPublishBatches([SNS_MAX_MESSAGE_BYTES + 1])).toThrow(/above/);
  });
});

interface FakeCall {
  entries: PublishEntry[];
}

function fakePorts(options: {
  publish?: (entries: PublishEntry[], call: number) => Promise<PublishBatchResult> | PublishBatchResult;
  forward?: (body: string) => Promise<void> | void;
} = {}): FanOutPorts & { calls: FakeCall[]; forwarded: string[]; log: MemoryLogger } {
  const calls: FakeCall[] = [];
  const forwarded: string[] = [];
  const log = new MemoryLogger();
  return {
    calls,
    forwarded,
    log,
    async publishBatch(entries) {
      calls.push({ entries });
      if (options.publish) return options.publish(entries, calls.length - 1);
      return { Successful: entries.map((e) => ({ Id: e.Id, MessageId: `sns-${e.Id}` })), Failed: [] };
    },
    async forwardConfirmation(body) {
      if (options.forward) await options.forward(body);
      forwarded.push(body);
    },
  };
}

describe('fanOut', () => {
  const records = (n: number, from = 0) =>
    Array.from({ length: n }, (_, i) => {
      const r = spTrafficRecord(from + i);
      return { record: r, sqs: sqsRecord(JSON.stringify(notificationEnvelope(r)), `msg-${from + i}`) };
    });

  it('publishes 25 records in 3 PublishBatch calls of at most 10, every message the record itself', async () => {
    const input = records(25);
    const ports = fakePorts();
    const res = await fanOut(input.map((r) => r.sqs), ports);
    expect(res.batchItemFailures).toEqual([]);
    expect(ports.calls.map((c) => c.entries.length).sort()).toEqual([10, 10, 5]);
    const published = ports.calls.flatMap((c) => c.entries.map((e) => e.Message));
    expect(published.sort()).toEqual(input.map((r) => JSON.stringify(r.record)).sort());
    for (const c of ports.calls) expect(new Set(c.entries.map((e) => e.Id)).size).toBe(c.entries.length);
    expect(res.summary).toMatchObject({ records: 25, published: 25, failed: 0 });
  });

  it('forwards a SubscriptionConfirmation body unchanged and logs no token', async () => {
    const ports = fakePorts();
    const res = await fanOut([sqsRecord(confirmationBody, 'c1'), ...records(2).map((r) => r.sqs)], ports);
    expect(res.batchItemFailures).toEqual([]);
    expect(ports.forwarded).toEqual([confirmationBody]);
    expect(ports.calls.flatMap((c) => c.entries)).toHaveLength(2);
    expect(ports.log.text()).not.toContain('secret-token-value');
  });

  it('logs an UnsubscribeConfirmation and stores nothing', async () => {
    const ports = fakePorts();
    const body = JSON.stringify({ Type: 'UnsubscribeConfirmation', TopicArn: 'arn:aws:sns:us-east-1:906013806264:t', MessageId: 'u1', Token: 'tok-secret' });
    const res = await fanOut([sqsRecord(body, 'u1')], ports);
    expect(res.batchItemFailures).toEqual([]);
    expect(ports.calls).toEqual([]);
    expect(ports.forwarded).toEqual([]);
    expect(ports.log.entries.some((e) => e.message.startsWith('UnsubscribeConfirmation'))).toBe(true);
    expect(ports.log.text()).not.toContain('tok-secret');
  });

  it('reports malformed bodies as batch item failures with a logged reason, and publishes the rest', async () => {
    const good = records(3);
    const bad = [
      sqsRecord('{oops', 'bad-json'),
      sqsRecord(JSON.stringify({ Type: 'Notification', TopicArn: 't' }), 'bad-envelope'),
      sqsRecord(JSON.stringify({ Type: 'Surprise' }), 'bad-type'),
      sqsRecord(JSON.stringify({ pad: 'z'.repeat(300_000) }), 'too-big'),
    ];
    const ports = fakePorts();
    const res = await fanOut([good[0].sqs, ...bad, good[1].sqs, good[2].sqs], ports);
    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['bad-json', 'bad-envelope', 'bad-type', 'too-big']);
    expect(ports.calls.flatMap((c) => c.entries)).toHaveLength(3);
    const warnings = ports.log.entries.filter((e) => e.level === 'warn');
    expect(warnings.map((w) => w.attributes?.messageId)).toEqual(['bad-json', 'bad-envelope', 'bad-type', 'too-big']);
    expect(warnings.every((w) => typeof w.attributes?.reason === 'string')).toBe(true);
    expect(ports.log.text().length).toBeLessThan(10_000); // the 300 KB body is not logged
  });

  it('maps partial PublishBatch failures back to their SQS records', async () => {
    const input = records(13);
    const ports = fakePorts({
      publish: (entries) => ({
        Successful: entries.filter((e) => !['r2', 'r7'].includes(e.Id)).map((e) => ({ Id: e.Id })),
        Failed: entries.filter((e) => ['r2', 'r7'].includes(e.Id)).map((e) => ({ Id: e.Id, Code: 'InternalError', SenderFault: false })),
      }),
    });
    const res = await fanOut(input.map((r) => r.sqs), ports);
    // Entries r2 and r7 of the first batch (records 2, 7) and r2 of the second (record 12 = 10 + 2).
    expect(res.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['msg-12', 'msg-2', 'msg-7'].sort());
    // Each failed record is one whose message was in a failed entry.
    for (const f of res.batchItemFailures) {
      const rec = input.find((r) => r.sqs.messageId === f.itemIdentifier)!;
      const entry = ports.calls.flatMap((c) => c.entries).find((e) => e.Message === JSON.stringify(rec.record))!;
      expect(['r2', 'r7']).toContain(entry.Id);
    }
    expect(res.summary.published).toBe(10);
    expect(ports.log.entries.filter((e) => e.level === 'error')).toHaveLength(3);
  });

  it('reports every record of a PublishBatch call that throws, and only those', async () => {
    const input = records(15);
    const ports = fakePorts({
      publish: (entries, call) => {
        if (call === 1) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException' });
        return { Successful: entries.map((e) => ({ Id: e.Id })) };
      },
    });
    const res = await fanOut(input.map((r) => r.sqs), { ...ports, concurrency: 1 });
    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(input.slice(10).map((r) => r.sqs.messageId));
    expect(ports.log.text()).toContain('ThrottledException');
  });

  it('treats an entry missing from both Successful and Failed as failed', async () => {
    const input = records(3);
    const ports = fakePorts({ publish: (entries) => ({ Successful: entries.slice(0, 2).map((e) => ({ Id: e.Id })) }) });
    const res = await fanOut(input.map((r) => r.sqs), ports);
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'msg-2' }]);
  });

  it('reports a confirmation whose forwarding fails', async () => {
    const ports = fakePorts({
      forward: () => {
        throw new Error('AccessDenied');
      },
    });
    const res = await fanOut([sqsRecord(confirmationBody, 'c1'), ...records(1).map((r) => r.sqs)], ports);
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'c1' }]);
    expect(ports.log.text()).not.toContain('secret-token-value');
  });
});

// Issue 11 item 2: what a user saw was every sqs-variant record stored followed by an empty line, which Athena's
// JSON SerDe reads as an all-NULL row. Contract: Firehose appends its AppendDelimiterToRecord delimiter to every
// record it receives, and SNS raw delivery hands it the published message as is (AWS Firehose and SNS developer
// guides; see helpers/ams-firehose-model.ts). The stream and subscription come from the synthesized sqs stack.
describe('records stored by the sqs variant (fan-out -> SNS raw delivery -> Firehose -> S3)', () => {
  let synth: ReturnType<typeof synthConfig>;
  let stream: FirehoseStreamJson;
  beforeAll(() => {
    synth = synthConfig(configWith({ ams: { regions: ['NA'], datasets: ['sp-traffic'], delivery: 'sqs' } }));
    const s = synth.stacks[0];
    const streams = Object.entries(resources(s, 'aws_kinesis_firehose_delivery_stream'));
    expect(streams).toHaveLength(1);
    const [streamId, streamJson] = streams[0];
    const subscriptions = Object.values(resources(s, 'aws_sns_topic_subscription'));
    // The data topic's only subscriber is this stream, with raw message delivery (the body only, no envelope).
    expect(subscriptions).toEqual([
      expect.objectContaining({ protocol: 'firehose', endpoint: `\${aws_kinesis_firehose_delivery_stream.${streamId}.arn}`, raw_message_delivery: true }),
    ]);
    stream = streamJson as unknown as FirehoseStreamJson;
  });
  afterAll(() => synth?.cleanup());

  it('stores one line per record and no empty line', async () => {
    const input = Array.from({ length: 25 }, (_, i) => spTrafficRecord(i));
    const ports = fakePorts();
    const res = await fanOut(input.map((r, i) => sqsRecord(i % 2 ? JSON.stringify(r) : JSON.stringify(notificationEnvelope(r)), `m-${i}`)), ports);
    expect(res.batchItemFailures).toEqual([]);
    const published = ports.calls.flatMap((c) => c.entries.map((e) => e.Message));
    const object = deliverBuffer(stream, published, new Date(Date.UTC(2026, 10, 30, 7, 5)));
    expect(object.key).toMatch(/^sp-traffic\/year=2026\/month=11\/day=30\/hour=07\/[^/]+\.gz$/);
    const rows = textRows(object);
    expect(rows.filter((r) => r.trim() === '')).toEqual([]);
    expect(rows).toHaveLength(input.length);
    expect(rows.map((r) => JSON.parse(r)).sort((a, b) => a.idempotency_id.localeCompare(b.idempotency_id))).toEqual(
      [...input].sort((a, b) => String(a.idempotency_id).localeCompare(String(b.idempotency_id))),
    );
  });
});

import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmBatch, type ConfirmPorts } from '../../handlers/ams/confirm-subscription/handler.js';
import {
  canonicalString, checkConfirmation, expectationFor, isSnsUrl, parseTopicArn, signatureAlgorithm,
} from '../../handlers/ams/confirm-subscription/core.js';
import { httpsCertFetcher, SnsSignatureVerifier } from '../../handlers/ams/confirm-subscription/signature.js';
import { MemoryLogger } from '../../handlers/shared/log.js';
import { publisherAccount } from '../../contracts/ams.js';
import { generateTestCert, signedConfirmation, signSnsMessage, type TestCert } from '../helpers/ams-sns-signing.js';
import { sqsRecord } from '../helpers/sqs-records.js';

const NA = expectationFor('sp-traffic', 'NA');
const CERT_URL = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000000000000test.pem';

let cert: TestCert;
let otherCert: TestCert;
beforeAll(() => {
  cert = generateTestCert();
  otherCert = generateTestCert();
});

/** A fetcher that serves our test certificate for CERT_URL only, and counts fetches. */
function servingFetcher(pem = () => cert.certPem) {
  const urls: string[] = [];
  const fetch = async (url: string) => {
    urls.push(url);
    if (url !== CERT_URL && !url.endsWith('-eu.pem')) throw new Error(`unexpected certificate URL ${url}`);
    return pem();
  };
  return { fetch, urls };
}

function record(body: string, messageId = 'q-1'): SQSRecord {
  return sqsRecord(body, messageId, 'confirm');
}

describe('parseTopicArn / isSnsUrl / signatureAlgorithm', () => {
  it('parses SNS topic ARNs in the aws partition only', () => {
    expect(parseTopicArn('arn:aws:sns:us-east-1:906013806264:sp-traffic')).toEqual({
      partition: 'aws', region: 'us-east-1', account: '906013806264', name: 'sp-traffic',
    });
    expect(parseTopicArn('arn:aws:sns:eu-west-1:668473351658:t.fifo')?.name).toBe('t.fifo');
    for (const bad of ['', 'arn:aws:sqs:us-east-1:906013806264:q', 'arn:aws-cn:sns:cn-north-1:906013806264:t', 'arn:aws:sns:us-east-1:90601380626:t',
      'arn:aws:sns:us-east-1:906013806264:', 'arn:aws:sns:us-east-1:906013806264:a:b', 'arn:aws:sns:US-EAST-1:906013806264:t']) {
      expect(parseTopicArn(bad), bad).toBeUndefined();
    }
  });

  it('accepts only https on exactly sns.<region>.amazonaws.com', () => {
    expect(isSnsUrl('https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription', 'us-east-1')).toBe(true);
    for (const bad of [
      'http://sns.us-east-1.amazonaws.com/',
      'https://sns.us-east-1.amazonaws.com.evil.example/',
      'https://evil.example/sns.us-east-1.amazonaws.com/',
      'https://sns.eu-west-1.amazonaws.com/',
      'https://x.sns.us-east-1.amazonaws.com/',
      'https://sns.us-east-1.amazonaws.com:8443/',
      'https://user:pw@sns.us-east-1.amazonaws.com/',
      'not a url',
    ]) {
      expect(isSnsUrl(bad, 'us-east-1'), bad).toBe(false);
    }
  });

  it('maps SignatureVersion 1 to SHA1 and 2 to SHA256', () => {
    expect(signatureAlgorithm('1')).toBe('sha1');
    expect(signatureAlgorithm('2')).toBe('sha256');
    expect(signatureAlgorithm('3')).toBeUndefined();
  });

  it('builds the canonical string SNS signs', () => {
    const m = { Type: 'SubscriptionConfirmation', MessageId: 'id', Token: 't', TopicArn: 'arn', Message: 'm', SubscribeURL: 'u', Timestamp: 'ts', Extra: 'ignored' };
    expect(canonicalString(m)).toBe('Message\nm\nMessageId\nid\nSubscribeURL\nu\nTimestamp\nts\nToken\nt\nTopicArn\narn\nType\nSubscriptionConfirmation\n');
    expect(canonicalString({ Type: 'Notification', MessageId: 'id', TopicArn: 'arn', Message: 'm', Timestamp: 'ts', Subject: 's' })).toBe(
      'Message\nm\nMessageId\nid\nSubject\ns\nTimestamp\nts\nTopicArn\narn\nType\nNotification\n',
    );
  });
});

describe('checkConfirmation', () => {
  it('accepts a confirmation from the dataset publisher account in the region', () => {
    const msg = signedConfirmation(cert.privateKey);
    const r = checkConfirmation(JSON.stringify(msg), NA);
    expect(r).toMatchObject({ ok: true, topic: { region: 'us-east-1', account: publisherAccount('sp-traffic', 'NA') } });
  });

  it('uses the table for every region', () => {
    for (const region of ['EU', 'FE'] as const) {
      const exp = expectationFor('sp-conversion', region);
      const msg = signedConfirmation(cert.privateKey, { region: exp.awsRegion, account: exp.publisherAccount });
      expect(checkConfirmation(JSON.stringify(msg), exp).ok).toBe(true);
      expect(checkConfirmation(JSON.stringify(msg), NA).ok).toBe(false);
    }
  });

  const refusals: [string, () => string, RegExp][] = [
    ['invalid JSON', () => '{', /not valid JSON/],
    ['a non-object', () => '[]', /not a JSON object/],
    ['a Notification', () => JSON.stringify({ ...signedConfirmation(cert.privateKey), Type: 'Notification' }), /not SubscriptionConfirmation/],
    ['a missing Token', () => JSON.stringify({ ...signedConfirmation(cert.privateKey), Token: undefined }), /lacks Token/],
    ['a bad TopicArn', () => JSON.stringify({ ...signedConfirmation(cert.privateKey), TopicArn: 'arn:aws:sqs:us-east-1:906013806264:q' }), /not an SNS topic ARN/],
    ['another region', () => JSON.stringify(signedConfirmation(cert.privateKey, { region: 'eu-west-1' })), /region eu-west-1 is not us-east-1/],
    ['an unknown publisher account', () => JSON.stringify(signedConfirmation(cert.privateKey, { account: '111122223333' })), /account 111122223333 is not Amazon's sp-traffic publisher/],
    ["another dataset's account", () => JSON.stringify(signedConfirmation(cert.privateKey, { account: publisherAccount('sp-conversion', 'NA') })), /publisher account/],
    ['a foreign SubscribeURL host', () => JSON.stringify(signedConfirmation(cert.privateKey, { subscribeHost: 'sns.us-east-1.amazonaws.com.attacker.example' })), /SubscribeURL is not https:\/\/sns\.us-east-1\.amazonaws\.com/],
    ['an http SubscribeURL', () => JSON.stringify({ ...signedConfirmation(cert.privateKey), SubscribeURL: 'http://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription' }), /SubscribeURL/],
    ['a SubscribeURL for another topic', () => JSON.stringify({ ...signedConfirmation(cert.privateKey), SubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A906013806264%3Aother&Token=x' }), /another TopicArn/],
  ];
  it.each(refusals)('refuses %s', (_name, body, reason) => {
    const r = checkConfirmation(body(), NA);
    expect(r.ok).toBe(false);
    expect((r as { reason: string }).reason).toMatch(reason);
  });
});

describe('SnsSignatureVerifier', () => {
  it('verifies SignatureVersion 1 and 2 and caches the certificate per URL', async () => {
    const f = servingFetcher();
    const v = new SnsSignatureVerifier({ fetchCert: f.fetch });
    expect(await v.verify(signedConfirmation(cert.privateKey, { version: '1' }), 'us-east-1')).toEqual({ ok: true });
    expect(await v.verify(signedConfirmation(cert.privateKey, { version: '2' }), 'us-east-1')).toEqual({ ok: true });
    expect(f.urls).toEqual([CERT_URL]);
    expect(v.fetches).toBe(1);
  });

  it('refuses a tampered message', async () => {
    const v = new SnsSignatureVerifier({ fetchCert: servingFetcher().fetch });
    const msg = signedConfirmation(cert.privateKey);
    for (const field of ['Token', 'TopicArn', 'SubscribeURL', 'Message', 'MessageId', 'Timestamp']) {
      const r = await v.verify({ ...msg, [field]: `${msg[field]}x` }, 'us-east-1');
      expect(r, field).toEqual({ ok: false, reason: 'signature does not verify (SignatureVersion 1)' });
    }
    // Declaring version 2 on a version-1 signature does not verify either.
    expect((await v.verify({ ...msg, SignatureVersion: '2' }, 'us-east-1')).ok).toBe(false);
  });

  it('refuses a signature made with another key', async () => {
    const v = new SnsSignatureVerifier({ fetchCert: servingFetcher().fetch });
    expect(await v.verify(signedConfirmation(otherCert.privateKey), 'us-east-1')).toMatchObject({ ok: false, reason: /does not verify/ });
  });

  it('refuses garbage or missing signatures and unknown versions', async () => {
    const v = new SnsSignatureVerifier({ fetchCert: servingFetcher().fetch });
    const msg = signedConfirmation(cert.privateKey);
    expect(await v.verify({ ...msg, Signature: 'not base64!' }, 'us-east-1')).toMatchObject({ reason: 'Signature is not base64' });
    expect(await v.verify({ ...msg, Signature: 'AAAA' }, 'us-east-1')).toMatchObject({ ok: false });
    expect(await v.verify({ ...msg, SignatureVersion: '3' }, 'us-east-1')).toMatchObject({ reason: /unsupported SignatureVersion/ });
  });

  it.each([
    ['a foreign host', 'https://attacker.example/SimpleNotificationService-x.pem'],
    ['a look-alike host', 'https://sns.us-east-1.amazonaws.com.attacker.example/x.pem'],
    ['http', 'http://sns.us-east-1.amazonaws.com/x.pem'],
    ["another region's host", 'https://sns.eu-west-1.amazonaws.com/x.pem'],
    ['a non-.pem path', 'https://sns.us-east-1.amazonaws.com/x.txt'],
    ['a query string', 'https://sns.us-east-1.amazonaws.com/x.pem?redirect=https://attacker.example'],
    ['a loopback URL without the test option', 'https://127.0.0.1:8443/x.pem'],
  ])('never fetches a certificate from %s', async (_name, url) => {
    const f = servingFetcher();
    const v = new SnsSignatureVerifier({ fetchCert: f.fetch });
    const msg = signSnsMessage({ ...signedConfirmation(cert.privateKey), SigningCertURL: url }, cert.privateKey);
    expect(await v.verify(msg, 'us-east-1')).toMatchObject({ ok: false, reason: /SigningCertURL is not an https \.pem URL on sns\.us-east-1\.amazonaws\.com/ });
    expect(f.urls).toEqual([]);
  });

  it('refuses an expired certificate and a response that is not a certificate, and retries after a failed fetch', async () => {
    const expired = generateTestCert({ notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') });
    const v1 = new SnsSignatureVerifier({ fetchCert: servingFetcher(() => expired.certPem).fetch });
    expect(await v1.verify(signedConfirmation(expired.privateKey), 'us-east-1')).toMatchObject({ reason: /not valid now/ });

    let answer = '<html>nope</html>';
    const f = servingFetcher(() => answer);
    const v2 = new SnsSignatureVerifier({ fetchCert: f.fetch });
    expect(await v2.verify(signedConfirmation(cert.privateKey), 'us-east-1')).toMatchObject({ reason: /not a PEM certificate/ });
    answer = cert.certPem;
    expect(await v2.verify(signedConfirmation(cert.privateKey), 'us-east-1')).toEqual({ ok: true });
    expect(f.urls).toHaveLength(2);
  });

  it('allows a test loopback origin only when asked, only for loopback, never in Lambda', () => {
    expect(() => new SnsSignatureVerifier({ testCertOrigin: 'https://evil.example' })).toThrow(/loopback/);
    expect(() => new SnsSignatureVerifier({ testCertOrigin: 'http://127.0.0.1:9' })).toThrow(/loopback/);
    const before = process.env.AWS_LAMBDA_FUNCTION_NAME;
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'ams-confirm';
    try {
      expect(() => new SnsSignatureVerifier({ testCertOrigin: 'https://127.0.0.1:9' })).toThrow(/inside Lambda/);
    } finally {
      if (before === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME;
      else process.env.AWS_LAMBDA_FUNCTION_NAME = before;
    }
    const v = new SnsSignatureVerifier({ testCertOrigin: 'https://127.0.0.1:9' });
    expect(v.certUrlAllowed('https://127.0.0.1:9/c.pem', 'us-east-1')).toBe(true);
    expect(v.certUrlAllowed('https://127.0.0.1:10/c.pem', 'us-east-1')).toBe(false);
    // The production check is unchanged alongside it.
    expect(v.certUrlAllowed(CERT_URL, 'us-east-1')).toBe(true);
    expect(v.certUrlAllowed('https://attacker.example/c.pem', 'us-east-1')).toBe(false);
  });
});

describe('the real https certificate fetcher against a loopback server', () => {
  let server: Server;
  let origin: string;
  let tls: TestCert;
  let hits = 0;
  beforeAll(async () => {
    tls = generateTestCert({ commonName: 'localhost' });
    server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
      hits++;
      if (req.url === '/SimpleNotificationService-test.pem') {
        res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(cert.certPem);
      } else if (req.url === '/huge.pem') {
        res.writeHead(200).end('x'.repeat(100_000));
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('fetches over verified TLS, caches, and enforces status and size', async () => {
    const v = new SnsSignatureVerifier({ fetchCert: httpsCertFetcher({ ca: tls.certPem }), testCertOrigin: origin });
    const msg = signedConfirmation(cert.privateKey, { certUrl: `${origin}/SimpleNotificationService-test.pem` });
    expect(await v.verify(msg, 'us-east-1')).toEqual({ ok: true });
    expect(await v.verify(signedConfirmation(cert.privateKey, { certUrl: `${origin}/SimpleNotificationService-test.pem` }), 'us-east-1')).toEqual({ ok: true });
    expect(hits).toBe(1);
    expect(await v.verify(signedConfirmation(cert.privateKey, { certUrl: `${origin}/missing.pem` }), 'us-east-1')).toMatchObject({ reason: /HTTP 404/ });
    expect(await v.verify(signedConfirmation(cert.privateKey, { certUrl: `${origin}/huge.pem` }), 'us-east-1')).toMatchObject({ reason: /larger than/ });
  });

  it('refuses a server whose TLS certificate is not trusted', async () => {
    const v = new SnsSignatureVerifier({ fetchCert: httpsCertFetcher(), testCertOrigin: origin });
    const r = await v.verify(signedConfirmation(cert.privateKey, { certUrl: `${origin}/SimpleNotificationService-test.pem` }), 'us-east-1');
    expect(r).toMatchObject({ ok: false, reason: /signing certificate unavailable/ });
  });
});

describe('confirmBatch', () => {
  function ports(confirm?: ConfirmPorts['confirmSubscription']) {
    const calls: { region: string; topicArn: string; token: string }[] = [];
    const log = new MemoryLogger();
    const p: ConfirmPorts = {
      expected: NA,
      verifier: new SnsSignatureVerifier({ fetchCert: servingFetcher().fetch }),
      log,
      confirmSubscription:
        confirm ??
        (async (region, topicArn, token) => {
          calls.push({ region, topicArn, token });
          return `${topicArn}:sub-1`;
        }),
    };
    return { p, calls, log };
  }

  it('confirms a valid confirmation in the TopicArn region and never logs the token', async () => {
    const { p, calls, log } = ports();
    const msg = signedConfirmation(cert.privateKey, { token: 'tok-very-secret-123' });
    expect(await confirmBatch([record(JSON.stringify(msg))], p)).toEqual({ batchItemFailures: [] });
    expect(calls).toEqual([{ region: 'us-east-1', topicArn: msg.TopicArn, token: 'tok-very-secret-123' }]);
    expect(log.entries.find((e) => e.message === 'subscription confirmed')?.attributes).toMatchObject({ topicArn: msg.TopicArn });
    expect(log.text()).not.toContain('tok-very-secret-123');
    expect(log.text()).not.toContain(msg.Signature);
  });

  it.each([
    ['invalid JSON', () => '{nope'],
    ['an unknown publisher account', () => JSON.stringify(signedConfirmation(cert.privateKey, { account: '111122223333', token: 'tok-very-secret-123' }))],
    ['a foreign SubscribeURL host', () => JSON.stringify(signedConfirmation(cert.privateKey, { subscribeHost: 'attacker.example', token: 'tok-very-secret-123' }))],
    ['a bad signature', () => JSON.stringify(signedConfirmation(otherCert.privateKey, { token: 'tok-very-secret-123' }))],
    ['a tampered token', () => JSON.stringify({ ...signedConfirmation(cert.privateKey), Token: 'tok-very-secret-123' })],
  ])('refuses %s: batch item failure, reason logged, no ConfirmSubscription', async (_name, body) => {
    const { p, calls, log } = ports();
    expect(await confirmBatch([record(body(), 'bad-1')], p)).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad-1' }] });
    expect(calls).toEqual([]);
    const warn = log.entries.find((e) => e.level === 'warn');
    expect(warn?.attributes).toMatchObject({ messageId: 'bad-1', reason: expect.any(String) });
    expect(log.text()).not.toContain('tok-very-secret-123');
  });

  it('reports a ConfirmSubscription failure so the message is retried', async () => {
    const { p, log } = ports(async () => {
      throw Object.assign(new Error('Invalid token'), { name: 'InvalidParameterException' });
    });
    const msg = signedConfirmation(cert.privateKey, { token: 'tok-very-secret-123' });
    expect(await confirmBatch([record(JSON.stringify(msg), 'q-9')], p)).toEqual({ batchItemFailures: [{ itemIdentifier: 'q-9' }] });
    expect(log.text()).toContain('InvalidParameterException');
    expect(log.text()).not.toContain('tok-very-secret-123');
  });
});

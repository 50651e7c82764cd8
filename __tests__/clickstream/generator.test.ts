/**
 * The clickstream event generator against a local HTTP server on 127.0.0.1 (bounded counts): records arrive
 * valid and complete, pacing follows the rate, statuses and 207 partial acceptance are counted, the progress line
 * and summary print, argument errors are clear; and the command itself runs end to end.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateRecord } from '../../handlers/clickstream/lib/record.js';
import { formatSummary, HelpRequested, parseArgs, runGenerator, UsageError } from '../../cli/clickstream/generator.js';
import { fromRoot } from '../../lib/paths.js';

let server: Server;
let url: string;
const received: unknown[] = [];
let mode: 'ok' | 'partial' | 'busy' = 'ok';

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = JSON.parse(await readBody(req));
    const recs = Array.isArray(body) ? body : [body];
    received.push(...recs);
    res.setHeader('content-type', 'application/json');
    if (mode === 'busy') {
      res.writeHead(503, { 'retry-after': '1' }).end(JSON.stringify({ Code: 'ServiceUnavailable' }));
    } else if (mode === 'partial') {
      res.writeHead(207).end(JSON.stringify({ Records: recs.map((_, i) => (i === 0 ? { Index: 0, ErrorCode: 'ProvisionedThroughputExceededException' } : { Index: i, SequenceNumber: '1' })) }));
    } else {
      res.writeHead(200).end(JSON.stringify({ Code: 'PutRecordSuccessful', Message: 'ok', Data: { ShardId: 'shardId-000000000000', SequenceNumber: '1' } }));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/report`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

const opts = (extra: Partial<ReturnType<typeof parseArgs>> = {}) => ({ ...parseArgs(['--url', url]), ...extra });

describe('clickstream generator', () => {
  it('posts exactly --count valid records, single objects when --batch is 1, and reports them', async () => {
    received.length = 0;
    mode = 'ok';
    const lines: string[] = [];
    const s = await runGenerator(opts({ rate: 400, count: 40 }), { fetch, progress: (l) => lines.push(l), progressIntervalMs: 20 });
    expect(received).toHaveLength(40);
    for (const r of received) expect(validateRecord(r).ok).toBe(true);
    expect(s).toMatchObject({ requests: 40, recordsSent: 40, recordsAccepted: 40, byStatus: { '200': 40 } });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.at(-1)).toMatch(/^sent \d+\/40 records in \d+ requests \| accepted \d+ \| [\d.]+ rec\/s \| status/);
    expect(formatSummary(s)).toContain('records accepted  40');
  });

  it('batches, paces at the rate, and counts 207 partial acceptance and 503s', async () => {
    received.length = 0;
    mode = 'partial';
    const t0 = performance.now();
    const s = await runGenerator(opts({ rate: 100, count: 30, batch: 10 }), { fetch, progress: () => {} });
    // 30 records at 100/s: the third request is due after 200 ms.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
    expect(s).toMatchObject({ requests: 3, recordsSent: 30, recordsAccepted: 27, byStatus: { '207': 3 } });
    expect(received).toHaveLength(30);

    mode = 'busy';
    const busy = await runGenerator(opts({ rate: 1000, count: 5 }), { fetch, progress: () => {} });
    expect(busy).toMatchObject({ requests: 5, recordsAccepted: 0, byStatus: { '503': 5 } });
  });

  it('stops at --duration even when --count is not reached; network errors are counted', async () => {
    mode = 'ok';
    const s = await runGenerator(opts({ rate: 20, count: 1000, durationSeconds: 0.3 }), { fetch, progress: () => {} });
    expect(s.recordsSent).toBeGreaterThan(0);
    expect(s.recordsSent).toBeLessThanOrEqual(8);
    const down = await runGenerator({ ...opts({ rate: 1000, count: 2 }), url: 'http://127.0.0.1:1/report', timeoutMs: 500 }, { fetch, progress: () => {} });
    expect(down.byStatus).toEqual({ error: 2 });
  });

  it('argument errors name the option', () => {
    expect(() => parseArgs(['--help'])).toThrow(HelpRequested);
    expect(() => parseArgs(['--url', url, '-h'])).toThrow(/Examples:[\s\S]*Exit codes: 0 every request answered 2xx/);
    expect(() => parseArgs([])).toThrow(/--url is required/);
    expect(() => parseArgs(['--url', 'ftp://x'])).toThrow(/http\(s\)/);
    expect(() => parseArgs(['--url', url, '--batch', '501'])).toThrow(/--batch must be an integer from 1 to 500/);
    expect(() => parseArgs(['--url', url, '--rate', 'fast'])).toThrow(/--rate/);
    expect(() => parseArgs(['--url', url, '--bogus', '1'])).toThrow(UsageError);
    expect(parseArgs([`--url=${url}`, '--rate=2.5', '--count', '7'])).toMatchObject({ rate: 2.5, count: 7, batch: 1 });
  });

  it('runs as a command: progress on stderr, summary on stdout, exit 0', async () => {
    mode = 'ok';
    received.length = 0;
    // Asynchronous spawn: a synchronous one would block this process's event loop, and so the server.
    const child = spawn(process.execPath, ['--import', 'tsx', fromRoot('cli', 'clickstream', 'generator.ts'), '--url', url, '--rate', '50', '--count', '60', '--batch', '5'], { cwd: fromRoot() });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.stderr.on('data', (c: Buffer) => (err += c));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code, err).toBe(0);
    expect(received).toHaveLength(60);
    expect(err).toMatch(/posting 60 records/);
    expect(err).toMatch(/sent \d+\/60 records/);
    expect(out).toContain('records sent      60');
  });
});

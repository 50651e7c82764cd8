/**
 * Handler bundles: size, cold import and import + first SDK call, each next to a baseline measured in the same
 * interleaved rounds, plus an estimate of Lambda's init phase at the configured memory.
 *
 * - Subjects run as fresh `node` processes with a clean environment (only the variables Lambda would set for the
 *   function, credentials included, HOME an empty folder: no ~/.aws files, no NODE_* settings of the caller).
 * - Cold import: `node <bundle>.mjs` (what the Lambda runtime does first: import the handler module), wall time
 *   from spawn to exit. Baselines: `node -e 0` for the SDK-free transform (goal <= 1.3x) and, for an SDK handler,
 *   its floor: a bundle of just its client set (the @aws-sdk/client-* packages its bundle contains), each client
 *   constructed once, built with the same options (goal <= 1.2x).
 * - Import + first call: a driver imports the bundle and invokes the handler once with a realistic event; the SDK
 *   call goes to a loopback fake of the services (AWS_ENDPOINT_URL) that answers like AWS. The floor's first
 *   call sends one cheap request with the client the handler calls first.
 * - Lambda init estimate: the CPU time (user + system) the import took here, divided by the vCPU share Lambda
 *   gives the function's memory (1,769 MB = one vCPU, proportional below; docs/performance.md).
 *
 * Flags (after `make bench` use `tsx scripts/bench.ts handlers -- <flags>` or BENCH_FLAGS): `--callgrind` adds
 * instruction counts (valgrind), `--variants` also measures the bundles without keepNames and without this
 * build's plugins (`[no plugins]`), `--rounds=N` (default 11). With --callgrind the goal verdicts use instruction
 * ratios (stable on a loaded machine), otherwise wall-clock ratios.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { ESBUILD_OPTIONS, HANDLERS_DIR, handlerEntry, handlerNames, zip } from '../scripts/build-handlers.js';
import type { BenchRow } from '../scripts/bench.js';
import { notificationEnvelope, spTrafficRecord } from '../__tests__/helpers/ams-records.js';
import { sqsRecord } from '../__tests__/helpers/sqs-records.js';
import { sampleRecords } from '../samples/clickstream.js';
import { callgrindInstructions, cleanEnv, hasValgrind, interleaved, median, medianRatio } from './_measure.js';

const ROOT = resolve(HANDLERS_DIR, '..');
const flags = [...process.argv.slice(2), ...(process.env.BENCH_FLAGS ?? '').split(/\s+/)].filter(Boolean);
const ROUNDS = Number(flags.find((f) => f.startsWith('--rounds='))?.slice(9) ?? 11);

/** Lambda gives a function one vCPU at 1,769 MB and CPU in proportion to memory below that (AWS Lambda docs). */
export const MB_PER_VCPU = 1769;
/** Each handler's configured memory with the default config (config/*.ts defaults; stacks set the fixed ones). */
export const HANDLER_MEMORY_MB: Record<string, number> = {
  'ams-confirm-subscription': 256,
  'ams-fan-out': 256,
  'bwp-events': 256,
  'bwp-oauth': 256,
  'clickstream-ingest': 256,
  'clickstream-process': 256,
  'client-events-authorizer': 256,
  'client-events-post-confirmation': 128,
  'client-events-transform': 256,
};

/** What Lambda would set for the functions (as the stacks set them); nothing is called at import. */
const FUNCTION_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'ASIABENCH00000000000',
  AWS_SECRET_ACCESS_KEY: 'bench-secret-access-key',
  AWS_SESSION_TOKEN: 'bench-session-token',
  AWS_LAMBDA_FUNCTION_NAME: 'bench',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
  LANG: 'en_US.UTF-8',
  TZ: ':UTC',
  DATASET_ID: 'sp-traffic',
  ADVERTISING_REGION: 'NA',
  DATA_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:bench-data',
  CONFIRMATION_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/bench-confirm',
  BWP_TOKENS_TABLE: 'bench-tokens',
  BWP_EVENTS_TABLE: 'bench-events',
  BWP_KMS_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/bench',
  BWP_CLIENT_ID: 'bench',
  BWP_CLIENT_SECRET_ID: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench-AbCdEf',
  BWP_ISSUER: 'https://auth.example.com',
  BWP_AUTHORIZE_URL: 'https://auth.example.com/authorize',
  BWP_TOKEN_URL: 'https://auth.example.com/token',
  BWP_PUBLIC_BASE_URL: 'https://bwp.example.com',
  BWP_VERIFICATION_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE9NrnQefbdiD4Tk65eY2r/fXtf4VV\nPIBdR7qP73NhRBdNhUNfERayW67OP+ufvhpgdWUcbxXQkos8KkwL8yRMzQ==\n-----END PUBLIC KEY-----\n',
  BWP_API_URL: 'https://api.example.com/graphql',
  STREAM_NAME: 'bench-clickstream',
  TABLE_NAME: 'bench-clickstream',
  REJECTS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/bench-clickstream-rejects',
  USER_POOL_ID: 'us-east-1_Bench0001',
  USER_POOL_CLIENT_ID: 'benchclientid0000000000000',
  CLIENT_ID_ATTRIBUTE: 'custom:clientId',
};

/** One cheap request per client package: the floor's first call. */
const FLOOR_CALL: Record<string, [command: string, input: string]> = {
  'client-sns': ['ListTopicsCommand', '{}'],
  'client-sqs': ['ListQueuesCommand', '{}'],
  'client-dynamodb': ['ListTablesCommand', '{}'],
  'client-kms': ['ListKeysCommand', '{}'],
  'client-kinesis': ['ListStreamsCommand', '{}'],
  'client-cognito-identity-provider': ['ListUserPoolsCommand', '{ MaxResults: 1 }'],
  'client-secrets-manager': ['ListSecretsCommand', '{}'],
  'client-eventbridge': ['ListEventBusesCommand', '{}'],
};

/** Handlers whose first invocation is measured: the event and the client package it calls first. */
function firstCalls(): Record<string, { event: unknown; firstClient?: string }> {
  const clicks = sampleRecords({ seed: 7, now: () => Date.parse('2026-01-01T00:00:00Z') });
  const batch = Array.from({ length: 10 }, () => clicks.next());
  return {
    'ams-fan-out': {
      event: { Records: Array.from({ length: 10 }, (_, i) => sqsRecord(JSON.stringify(notificationEnvelope(spTrafficRecord(i))), `m-${i}`)) },
      firstClient: 'client-sns',
    },
    'clickstream-ingest': {
      event: {
        version: '2.0',
        routeKey: 'POST /report',
        rawPath: '/report',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(batch),
        isBase64Encoded: false,
        requestContext: { requestId: 'bench', http: { method: 'POST', path: '/report', sourceIp: '198.51.100.7' } },
      },
      firstClient: 'client-kinesis',
    },
    'clickstream-process': {
      event: {
        Records: batch.map((r, i) => ({
          eventID: `shardId-000000000000:${i}`,
          eventSource: 'aws:kinesis',
          awsRegion: 'us-east-1',
          kinesis: { data: Buffer.from(JSON.stringify(r)).toString('base64'), sequenceNumber: String(1000 + i), partitionKey: 'p', approximateArrivalTimestamp: 1767225600 },
        })),
      },
      firstClient: 'client-dynamodb',
    },
    'client-events-post-confirmation': {
      event: {
        version: '1',
        region: 'us-east-1',
        userPoolId: 'us-east-1_Bench0001',
        userName: 'bench-user',
        triggerSource: 'PostConfirmation_ConfirmSignUp',
        callerContext: { awsSdkVersion: 'x', clientId: 'benchclientid0000000000000' },
        request: { userAttributes: { sub: '00000000-0000-4000-8000-000000000000', email: 'bench@example.com' } },
        response: {},
      },
      firstClient: 'client-cognito-identity-provider',
    },
    'client-events-transform': {
      event: {
        invocationId: 'bench',
        deliveryStreamArn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/bench',
        region: 'us-east-1',
        records: [{ recordId: '1', approximateArrivalTimestamp: 1767225600000, data: Buffer.from(JSON.stringify({ detail: { eventType: 'page_view' } })).toString('base64') }],
      },
    },
  };
}

/** The imports a driver needs are loaded through require, so the driver adds next to nothing to what it measures. */
const DRIVER = `const t0 = performance.now(); const c0 = process.cpuUsage();
const m = await import(process.argv[2]);
const t1 = performance.now(); const c1 = process.cpuUsage();
let outcome = 'returned';
if (process.argv[3]) { try { await m.handler(JSON.parse(process.argv[3]), { awsRequestId: 'bench', functionName: 'bench' }); } catch (e) { outcome = 'threw ' + (e && e.name); } }
const t2 = performance.now(); const c2 = process.cpuUsage();
const cpu = (c) => (c.user + c.system) / 1000;
process.stdout.write('\\n' + JSON.stringify({ startToImported: t1, importMs: t1 - t0, callMs: t2 - t1, importCpuMs: cpu(c1), callCpuMs: cpu(c2) - cpu(c1), outcome }));
process.exit(0);
`;

/** A loopback stand-in for every AWS service the handlers call: well-formed, successful answers. */
async function startFakeAws(): Promise<{ url: string; requests: () => number; stop: () => Promise<void> }> {
  let count = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      count++;
      const body = Buffer.concat(chunks).toString('utf8');
      const target = String(req.headers['x-amz-target'] ?? '');
      if (target) {
        const op = target.split('.').pop();
        const input = JSON.parse(body || '{}') as { Records?: unknown[]; Entries?: { Id: string }[] };
        const out =
          op === 'PutRecords'
            ? { FailedRecordCount: 0, Records: (input.Records ?? []).map((_, i) => ({ SequenceNumber: String(i + 1), ShardId: 'shardId-000000000000' })) }
            : op === 'SendMessageBatch'
              ? { Successful: (input.Entries ?? []).map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}`, MD5OfMessageBody: '' })), Failed: [] }
              : {};
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'bench' }).end(JSON.stringify(out));
        return;
      }
      // Query protocol (SNS): answer the action with an empty result; PublishBatch with every entry successful.
      const params = new URLSearchParams(body);
      const action = params.get('Action') ?? 'Unknown';
      const ids = [...params.entries()].filter(([k]) => /^PublishBatchRequestEntries\.member\.\d+\.Id$/.test(k)).map(([, v]) => v);
      const result =
        action === 'PublishBatch'
          ? `<Successful>${ids.map((id) => `<member><Id>${id}</Id><MessageId>m-${id}</MessageId></member>`).join('')}</Successful><Failed/>`
          : '';
      res
        .writeHead(200, { 'content-type': 'text/xml' })
        .end(`<${action}Response xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>bench</RequestId></ResponseMetadata></${action}Response>`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => count,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Builds with `options`; returns the code and the @aws-sdk/client-* packages it contains. */
async function bundleWith(options: BuildOptions, entry: { file?: string; source?: string }): Promise<{ code: Buffer; clients: string[] }> {
  const result = await build({
    ...options,
    ...(entry.file ? { entryPoints: [entry.file] } : { stdin: { contents: entry.source!, resolveDir: ROOT, loader: 'js' } }),
    outfile: 'index.mjs',
    metafile: true,
  });
  const clients = new Set<string>();
  for (const input of Object.keys(result.metafile!.inputs)) {
    const m = /node_modules\/@aws-sdk\/(client-[a-z0-9-]+)\//.exec(input);
    if (m) clients.add(m[1]);
  }
  return { code: Buffer.from(result.outputFiles![0].contents), clients: [...clients].sort() };
}

/** The client class a client package exports (`export * from "./SNSClient"` in its ESM index). */
function clientClass(pkg: string): string {
  const index = readFileSync(join(ROOT, 'node_modules', '@aws-sdk', pkg, 'dist-es', 'index.js'), 'utf8');
  const m = /export \* from "\.\/(\w+Client)";/.exec(index);
  if (!m) throw new Error(`no client class found in @aws-sdk/${pkg}`);
  return m[1];
}

/** Source of a floor bundle: the client set, each client constructed once, one cheap call with `first`. */
function floorSource(clients: string[], first?: string): string {
  const lines = clients.map((pkg, i) => {
    const cmd = pkg === first ? `, ${FLOOR_CALL[pkg][0]}` : '';
    // Kinesis defaults to HTTP/2; the ingest handler (its only user) passes an HTTP/1.1 handler, so does the floor.
    const config = pkg === 'client-kinesis' ? '{ requestHandler: new NodeHttpHandler() }' : '{}';
    return `import { ${clientClass(pkg)}${cmd} } from '@aws-sdk/${pkg}';\nconst c${i} = new ${clientClass(pkg)}(${config});`;
  });
  if (clients.includes('client-kinesis')) lines.unshift("import { NodeHttpHandler } from '@smithy/node-http-handler';");
  const call = first ? `await c${clients.indexOf(first)}.send(new ${FLOOR_CALL[first][0]}(${FLOOR_CALL[first][1]}));` : '';
  return `${lines.join('\n')}\nexport const handler = async () => { ${call} };\n`;
}

const fmt = (x: number): string => x.toFixed(x < 10 ? 2 : 1);

export async function run(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-handlers-'));
  const home = join(dir, 'home');
  const fake = await startFakeAws();
  const rows: BenchRow[] = [];
  const row = (r: Omit<BenchRow, 'group'>): void => void rows.push({ group: 'handlers', ...r });
  try {
    mkdirSync(home);
    const env = cleanEnv({ ...FUNCTION_ENV, HOME: home, AWS_ENDPOINT_URL: fake.url });
    const driver = join(dir, 'driver.mjs');
    writeFileSync(driver, DRIVER);
    const calls = firstCalls();
    const variants: [string, BuildOptions][] = [['', ESBUILD_OPTIONS]];
    if (flags.includes('--variants')) {
      variants.push([' [no keepNames]', { ...ESBUILD_OPTIONS, keepNames: false }], [' [no plugins]', { ...ESBUILD_OPTIONS, plugins: [] }]);
    }

    // Bundles: each handler (per variant) and each distinct client-set floor (per variant).
    interface Subject { label: string; file: string; floor?: string; event?: string; first?: string; memory?: number }
    const subjects: Subject[] = [];
    const floors = new Map<string, string>();
    for (const [suffix, options] of variants) {
      for (const name of handlerNames()) {
        const { code, clients } = await bundleWith(options, { file: handlerEntry(name) });
        const file = join(dir, `${name}${suffix.replace(/\W+/g, '-')}.mjs`);
        writeFileSync(file, code);
        const call = calls[name];
        let floor: string | undefined;
        if (clients.length) {
          const key = `${clients.join('+')}${call?.firstClient ? ` first ${call.firstClient}` : ''}${suffix}`;
          if (!floors.has(key)) {
            const f = await bundleWith(options, { source: floorSource(clients, call?.firstClient) });
            const floorFile = join(dir, `floor-${floors.size}.mjs`);
            writeFileSync(floorFile, f.code);
            floors.set(key, floorFile);
            subjects.push({ label: `floor ${key}`, file: floorFile, event: call?.firstClient ? '{}' : undefined });
          }
          floor = `floor ${key}`;
        }
        if (!suffix) {
          const zipped = await zip([{ name: 'index.mjs', data: code }]);
          row({ name: `${name}: bundle / zip`, value: Math.round(code.length / 102.4) / 10, unit: 'KB', note: `zip ${(zipped.length / 1024).toFixed(1)} KB (goal < 150 KB: ${zipped.length < 150 * 1024 ? 'met' : 'MISSED'})` });
        }
        subjects.push({ label: `${name}${suffix}`, file, floor, event: call ? JSON.stringify(call.event) : undefined, memory: HANDLER_MEMORY_MB[name] });
      }
    }

    // Asynchronous: the fake endpoint answers from this process's event loop while a child runs.
    const spawnOk = (args: string[]): Promise<string> =>
      new Promise((resolvePromise, reject) => {
        execFile(process.execPath, args, { env, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
          if (err) reject(new Error(`node ${args.join(' ').slice(0, 200)} failed: ${err.message} ${stderr.slice(-800)}`));
          else resolvePromise(stdout);
        });
      });
    const driven: Record<string, { startToImported: number; importMs: number; callMs: number; importCpuMs: number; callCpuMs: number; outcome: string }[]> = {};
    const tasks: Record<string, () => unknown> = { 'node -e 0': () => spawnOk(['-e', '0']) };
    for (const s of subjects) {
      tasks[`import ${s.label}`] = () => spawnOk([s.file]);
      tasks[`driven ${s.label}`] = async () => {
        const before = fake.requests();
        const out = JSON.parse((await spawnOk([driver, pathToFileURL(s.file).href, ...(s.event ? [s.event] : [])])).trim().split('\n').pop()!);
        if (s.event && s.label.startsWith('floor') && fake.requests() === before) throw new Error(`${s.label}: the first call never reached the fake endpoint (${out.outcome})`);
        (driven[s.label] ??= []).push(out);
      };
    }
    const times = await interleaved(ROUNDS, tasks);
    const base = times['node -e 0'];
    row({ name: 'node -e 0 (baseline process start)', value: median(base), unit: 'ms', note: `median of ${ROUNDS} interleaved rounds, clean environment` });

    const callgrind = flags.includes('--callgrind') && hasValgrind();
    const ir = new Map<string, number>();
    if (callgrind) {
      ir.set('node -e 0', callgrindInstructions(process.execPath, ['-e', '0'], env));
      for (const s of subjects) ir.set(s.label, callgrindInstructions(process.execPath, [s.file], env));
    }
    const irNote = (label: string, against: string): string =>
      callgrind ? `; ${(ir.get(label)! / 1e6).toFixed(0)} M instructions, ${(ir.get(label)! / ir.get(against)!).toFixed(2)}x` : '';

    for (const s of subjects) {
      const imp = times[`import ${s.label}`];
      const d = driven[s.label];
      if (s.label.startsWith('floor')) {
        row({ name: `${s.label}: cold import`, value: median(imp), unit: 'ms', note: `${fmt(medianRatio(imp, base))}x node -e 0${irNote(s.label, 'node -e 0')}` });
        if (s.event) {
          row({ name: `${s.label}: import + first call`, value: median(d.map((x) => x.startToImported + x.callMs)), unit: 'ms', note: `first call ${fmt(median(d.map((x) => x.callMs)))} ms (in process)` });
        }
        continue;
      }
      // The verdict: instruction ratio when counted (stable under load), else the wall-clock ratio.
      const verdictRatio = (wall: number, against: string): [number, string] =>
        callgrind ? [ir.get(s.label)! / ir.get(against)!, 'instructions'] : [wall, 'wall'];
      if (s.floor) {
        const f = times[`import ${s.floor}`];
        const wallRatio = medianRatio(imp, f);
        const [ratio, basis] = verdictRatio(wallRatio, s.floor);
        row({
          name: `${s.label}: cold import`,
          value: median(imp),
          unit: 'ms',
          goal: '<= 1.20x floor',
          note: `${fmt(ratio)}x its floor by ${basis} (${s.floor.slice(6)}): ${ratio <= 1.2 ? 'met' : 'MISSED'}; wall ${fmt(wallRatio)}x floor, ${fmt(medianRatio(imp, base))}x node -e 0${irNote(s.label, s.floor)}`,
        });
      } else {
        const wallRatio = medianRatio(imp, base);
        const [ratio, basis] = verdictRatio(wallRatio, 'node -e 0');
        row({ name: `${s.label}: cold import`, value: median(imp), unit: 'ms', goal: '<= 1.30x node -e 0', note: `${fmt(ratio)}x node -e 0 by ${basis}: ${ratio <= 1.3 ? 'met' : 'MISSED'}; wall ${fmt(wallRatio)}x${irNote(s.label, 'node -e 0')}` });
      }
      if (s.event) {
        const total = d.map((x) => x.startToImported + x.callMs);
        const fd = s.floor ? driven[s.floor] : undefined;
        const vsFloor = fd?.length ? `; ${fmt(median(total) / median(fd.map((x) => x.startToImported + x.callMs)))}x the floor's import + first call` : '';
        row({ name: `${s.label}: import + first invocation`, value: median(total), unit: 'ms', note: `in process; handler ${d[0].outcome}${vsFloor}` });
      }
      if (s.memory && !s.label.includes('[')) {
        const share = Math.min(1, s.memory / MB_PER_VCPU);
        const cpu = median(d.map((x) => x.importCpuMs));
        row({
          name: `${s.label}: est. Lambda init at ${s.memory} MB arm64`,
          value: cpu / share,
          unit: 'ms',
          note: `${fmt(cpu)} ms CPU here / ${share.toFixed(3)} vCPU; at 1769 MB ~${Math.round(cpu)} ms (docs/performance.md)`,
        });
      }
    }
  } finally {
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

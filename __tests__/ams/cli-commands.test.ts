/**
 * AMS subscription CLI commands against a local fake Amazon Ads API + token endpoint (127.0.0.1): create (SQS,
 * Firehose, DSP path and account header, idempotent derived client request tokens), get, list (every page,
 * filters, regions), update/archive, status (configured dataset x region table with hints), help and usage
 * errors; both the table and the JSON output of each, exit codes, and no secret in any output.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deriveClientRequestToken } from '../../cli/ams/api.js';
import { fromRoot } from '../../lib/paths.js';
import { FakeAdsApi, MEDIA_TYPE, runAms, type CliRun } from '../helpers/fake-ads-api.js';

let fake: FakeAdsApi;
let dir: string;
const QUEUE = 'arn:aws:sqs:us-east-1:123456789012:trib-use1-sp-traffic-ingress';
const QUEUE_EU = 'arn:aws:sqs:eu-west-1:123456789012:trib-euw1-sp-traffic-ingress';
const FIREHOSE = 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/trib-euw1-sp-conversion';
const SUBSCRIBER = 'arn:aws:iam::123456789012:role/trib-euw1-sp-conversion-ams-subscriber';
const SUBSCRIPTION = 'arn:aws:iam::123456789012:role/trib-euw1-sp-conversion-ams-subscription';

beforeAll(async () => {
  fake = await new FakeAdsApi({ pageLimit: 3 }).start();
  dir = mkdtempSync(join(tmpdir(), 'ams-cli-'));
});
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  fake.subscriptions.length = 0;
  fake.requests.length = 0;
  fake.faults.length = 0;
});

const ok = (r: CliRun) => {
  expect(r.leaked).toEqual([]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r;
};
const fails = (r: CliRun, code: number, message: RegExp | string) => {
  expect(r.leaked).toEqual([]);
  expect(r.code).toBe(code);
  expect(r.stderr).toMatch(message);
  expect(r.stdout).toBe('');
  return r;
};

describe('create', () => {
  it('SQS: POST /streams/subscriptions with the documented headers and body; prints the subscription', async () => {
    const r = ok(await runAms(fake, ['create', '--dataset', 'sp-traffic', '--region', 'NA', '--queue-arn', QUEUE, '--notes', 'prod traffic']));
    const post = fake.adsRequests().find((q) => q.method === 'POST')!;
    expect(post.path).toBe('/na/streams/subscriptions');
    expect(post.headers).toMatchObject({
      'amazon-advertising-api-clientid': fake.clientId,
      'amazon-advertising-api-scope': fake.profiles[0],
      'content-type': MEDIA_TYPE,
      accept: MEDIA_TYPE,
    });
    expect(post.headers.authorization).toMatch(/^Bearer Atza\|fake-access-/);
    const body = JSON.parse(post.body);
    const token = deriveClientRequestToken({ scope: `profile:${fake.profiles[0]}`, region: 'NA', dataSetId: 'sp-traffic', destinationArn: QUEUE });
    expect(body).toEqual({ clientRequestToken: token, dataSetId: 'sp-traffic', destination: { sqsDestination: { queueArn: QUEUE } }, notes: 'prod traffic' });
    expect(token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const id = fake.subscriptions[0].subscriptionId;
    expect(r.stdout).toMatch(new RegExp(`^subscriptionId +${id.replace(/\./g, '\\.')}$`, 'm'));
    expect(r.stdout).toMatch(/^status +PENDING_CONFIRMATION$/m);
    expect(r.stdout).toMatch(new RegExp(`^queueArn +${QUEUE}$`, 'm'));
    expect(r.stdout).toMatch(/^region +NA$/m);
  });

  it('re-running the same create returns the same subscription (derived token) instead of a duplicate', async () => {
    const args = ['create', '--dataset', 'sp-traffic', '--region', 'NA', '--queue-arn', QUEUE, '--json'];
    const first = JSON.parse(ok(await runAms(fake, args)).stdout);
    const second = JSON.parse(ok(await runAms(fake, args)).stdout);
    expect(second.subscriptionId).toBe(first.subscriptionId);
    expect(fake.subscriptions).toHaveLength(1);
    expect(first).toMatchObject({ dataSetId: 'sp-traffic', status: 'PENDING_CONFIRMATION', region: 'NA', destination: { sqsDestination: { queueArn: QUEUE } } });
    // another destination is another subscription
    ok(await runAms(fake, ['create', '--dataset', 'sp-traffic', '--region', 'NA', '--queue-arn', `${QUEUE}-2`]));
    expect(fake.subscriptions).toHaveLength(2);
  });

  it('an explicit --client-request-token is sent as given', async () => {
    ok(await runAms(fake, ['create', '--dataset', 'sp-traffic', '--region', 'NA', '--queue-arn', QUEUE, '--client-request-token', 'my-own-token-0123456789ab']));
    expect(fake.subscriptions[0].clientRequestToken).toBe('my-own-token-0123456789ab');
  });

  it('Firehose: firehoseDestination with the stream and both roles, in the EU host', async () => {
    const r = ok(
      await runAms(fake, ['create', '--dataset', 'sp-conversion', '--region', 'eu', '--firehose', FIREHOSE, '--subscriber-role', SUBSCRIBER, '--subscription-role', SUBSCRIPTION, '--json']),
    );
    const post = fake.adsRequests().find((q) => q.method === 'POST')!;
    expect(post.path).toBe('/eu/streams/subscriptions');
    expect(JSON.parse(post.body).destination).toEqual({ firehoseDestination: { deliveryStreamArn: FIREHOSE, subscriberRoleArn: SUBSCRIBER, subscriptionRoleArn: SUBSCRIPTION } });
    expect(JSON.parse(r.stdout)).toMatchObject({ region: 'EU', destination: { firehoseDestination: { deliveryStreamArn: FIREHOSE } } });
    expect(fake.tokenRequests()[0].path).toBe('/eu/auth/o2/token');
  });

  it('DSP datasets use /dsp/streams/subscriptions with the Amazon-Ads-Account-ID header (Amazon\'s OpenAPI spec)', async () => {
    ok(await runAms(fake, ['create', '--dataset', 'adsp-traffic', '--region', 'NA', '--queue-arn', QUEUE, '--ads-account-id', fake.adsAccounts[0]]));
    const post = fake.adsRequests().find((q) => q.method === 'POST')!;
    expect(post.path).toBe('/na/dsp/streams/subscriptions');
    expect(post.headers['amazon-ads-account-id']).toBe(fake.adsAccounts[0]);
    expect(post.headers['amazon-ads-accountid']).toBeUndefined();
    expect(fake.subscriptions[0]).toMatchObject({ dataSetId: 'adsp-traffic', dsp: true });
    // from the environment (python-ad-api style key) as well
    ok(await runAms(fake, ['create', '--dataset', 'adsp-conversion', '--region', 'NA', '--queue-arn', QUEUE], { env: { AD_API_ADS_ACCOUNT_ID: fake.adsAccounts[0] } }));
    expect(fake.subscriptions).toHaveLength(2);
  });

  it('DSP without an advertiser account is a configuration error that says where to put it', async () => {
    fails(await runAms(fake, ['create', '--dataset', 'adsp-traffic', '--region', 'NA', '--queue-arn', QUEUE]), 2, /DSP \(adsp-\*\) subscriptions need the DSP advertiser account id: pass --ads-account-id, set AD_API_ADS_ACCOUNT_ID/);
    expect(fake.adsRequests()).toHaveLength(0);
  });

  it('usage errors exit 2 before any request', async () => {
    const cases: [string[], RegExp][] = [
      [['create', '--region', 'NA', '--queue-arn', QUEUE], /--dataset is required/],
      [['create', '--dataset', 'nope', '--region', 'NA', '--queue-arn', QUEUE], /unknown dataset "nope"; known: sp-traffic/],
      [['create', '--dataset', 'sp-traffic', '--queue-arn', QUEUE], /--region is required/],
      [['create', '--dataset', 'sp-traffic', '--region', 'US', '--queue-arn', QUEUE], /--region must be NA, EU or FE, got "US"/],
      [['create', '--dataset', 'sp-traffic', '--region', 'NA'], /a destination is required/],
      [['create', '--dataset', 'sp-traffic', '--region', 'NA', '--queue-arn', 'my-queue'], /--queue-arn must be an SQS queue ARN/],
      [['create', '--dataset', 'sp-traffic', '--region', 'NA', '--queue-arn', QUEUE, '--firehose', FIREHOSE], /not both/],
      [['create', '--dataset', 'sp-traffic', '--region', 'NA', '--firehose', FIREHOSE], /--firehose needs --subscriber-role and --subscription-role/],
      [['create', '--dataset', 'sp-traffic', '--region', 'NA', '--queue-arn', QUEUE, '--notes', 'x'.repeat(129)], /--notes may be at most 128 characters/],
      [['create', '--dataset', 'sp-traffic', '--region', 'NA', '--queue-arn', QUEUE, '--client-request-token', 'short'], /22-36 characters/],
      [['create', '--dataset', 'sp-traffic', '--region', 'NA', '--queue-arn', QUEUE, '--bogus'], /unknown option --bogus/],
      [['create', '--dataset'], /--dataset needs a value/],
    ];
    for (const [argv, msg] of cases) fails(await runAms(fake, argv), 2, msg);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('get', () => {
  it('prints one subscription as key/value lines or JSON', async () => {
    const s = fake.seed({ dataSetId: 'sp-traffic', status: 'ACTIVE', destination: { sqsDestination: { queueArn: QUEUE } }, notes: 'n1' });
    const r = ok(await runAms(fake, ['get', s.subscriptionId]));
    expect(r.stdout).toMatch(/^status +ACTIVE$/m);
    expect(r.stdout).toMatch(/^notes +n1$/m);
    const j = JSON.parse(ok(await runAms(fake, ['get', s.subscriptionId, '--json'])).stdout);
    expect(j).toMatchObject({ subscriptionId: s.subscriptionId, dataSetId: 'sp-traffic', status: 'ACTIVE', region: 'NA' });
    expect(fake.adsRequests()[0].path).toBe(`/na/streams/subscriptions/${s.subscriptionId}`);
  });

  it('404 names the region and suggests --region / --dsp; a missing id is a usage error', async () => {
    fails(await runAms(fake, ['get', 'amzn1.fead.cs1.missing', '--region', 'FE']), 1, /get amzn1\.fead\.cs1\.missing: not found in FE \(127\.0\.0\.1:\d+\) \(HTTP 404, NOT_FOUND: subscription amzn1\.fead\.cs1\.missing not found\)\. Is it in another region \(--region\) or a DSP subscription \(--dsp\)\?/);
    fails(await runAms(fake, ['get']), 2, /the subscription id is required/);
    fails(await runAms(fake, ['get', 'a', 'b']), 2, /unexpected argument "b"/);
  });

  it('--dsp reads /dsp/streams/subscriptions/{id}', async () => {
    const s = fake.seed({ dataSetId: 'adsp-campaigns', status: 'ACTIVE' });
    ok(await runAms(fake, ['get', s.subscriptionId, '--dsp', '--ads-account-id', fake.adsAccounts[0]]));
    expect(fake.adsRequests()[0].path).toBe(`/na/dsp/streams/subscriptions/${s.subscriptionId}`);
  });
});

describe('list', () => {
  const seedMany = () => {
    const statuses = ['ACTIVE', 'ARCHIVED', 'ACTIVE', 'SUSPENDED', 'PENDING_CONFIRMATION', 'ACTIVE', 'FAILED_PROVISIONING'];
    return statuses.map((status, i) => fake.seed({ dataSetId: i % 2 ? 'sp-conversion' : 'sp-traffic', status, destination: { sqsDestination: { queueArn: `${QUEUE}-${i}` } } }));
  };

  it('follows nextToken to the last page and prints every subscription in a table', async () => {
    const seeded = seedMany();
    const r = ok(await runAms(fake, ['list']));
    const gets = fake.adsRequests();
    expect(gets.map((g) => g.query.get('startingToken'))).toEqual([null, 'page-3', 'page-6']);
    expect(gets.every((g) => g.query.get('maxResults') === '500')).toBe(true);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SUBSCRIPTION +DATASET +REGION +STATUS +DESTINATION +UPDATED +NOTES$/);
    expect(lines[1]).toMatch(/^-+ +-+/);
    expect(lines).toHaveLength(2 + 7 + 1);
    for (const s of seeded) expect(r.stdout).toContain(s.subscriptionId);
    expect(lines.at(-1)).toBe('7 subscription(s)');
  });

  it('filters by --status and --dataset across pages; --json holds the matches', async () => {
    seedMany();
    const j = JSON.parse(ok(await runAms(fake, ['list', '--status', 'active,PENDING_CONFIRMATION', '--dataset', 'sp-traffic', '--json'])).stdout);
    expect(j).toMatchObject({ regions: ['NA'], family: 'sponsored-ads', count: 3 });
    expect(j.subscriptions.map((s: { status: string }) => s.status).sort()).toEqual(['ACTIVE', 'ACTIVE', 'PENDING_CONFIRMATION']);
    expect(j.subscriptions.every((s: { dataSetId: string; region: string }) => s.dataSetId === 'sp-traffic' && s.region === 'NA')).toBe(true);
    const none = ok(await runAms(fake, ['list', '--status', 'PROVISIONING']));
    expect(none.stdout).toBe('no subscriptions match the filters in NA\n');
  });

  it('several regions, each from its own host; DSP listed with --dsp or adsp-* datasets', async () => {
    fake.seed({ dataSetId: 'sp-traffic', status: 'ACTIVE', region: 'na' });
    fake.seed({ dataSetId: 'sp-traffic', status: 'ACTIVE', region: 'eu', destination: { sqsDestination: { queueArn: QUEUE_EU } } });
    fake.seed({ dataSetId: 'adsp-traffic', status: 'ACTIVE', region: 'na' });
    const j = JSON.parse(ok(await runAms(fake, ['list', '--region', 'NA,EU', '--json'])).stdout);
    expect(j.subscriptions.map((s: { region: string }) => s.region)).toEqual(['NA', 'EU']);
    expect(fake.adsRequests().map((q) => q.path)).toEqual(['/na/streams/subscriptions', '/eu/streams/subscriptions']);
    const d = JSON.parse(ok(await runAms(fake, ['list', '--dataset', 'adsp-traffic', '--json', '--ads-account-id', fake.adsAccounts[0]])).stdout);
    expect(d).toMatchObject({ family: 'dsp', count: 1 });
    fails(await runAms(fake, ['list', '--dataset', 'adsp-traffic,sp-traffic']), 2, /listed separately/);
    fails(await runAms(fake, ['list', '--status', 'RUNNING']), 2, /--status must be among PROVISIONING, PENDING_CONFIRMATION, ACTIVE/);
  });
});

describe('update and archive', () => {
  it('update --notes sends PUT {notes} and shows the result; --status ARCHIVED archives', async () => {
    const s = fake.seed({ dataSetId: 'sp-traffic', status: 'ACTIVE' });
    const r = ok(await runAms(fake, ['update', s.subscriptionId, '--notes', 'moved to prod']));
    const put = fake.adsRequests().find((q) => q.method === 'PUT')!;
    expect(put.path).toBe(`/na/streams/subscriptions/${s.subscriptionId}`);
    expect(put.headers['content-type']).toBe(MEDIA_TYPE);
    expect(JSON.parse(put.body)).toEqual({ notes: 'moved to prod' });
    expect(r.stdout).toMatch(/^notes +moved to prod$/m);
    const j = JSON.parse(ok(await runAms(fake, ['update', s.subscriptionId, '--status', 'archived', '--json'])).stdout);
    expect(j.status).toBe('ARCHIVED');
  });

  it('archive <id> sets ARCHIVED; in another region and for DSP too', async () => {
    const s = fake.seed({ dataSetId: 'sp-traffic', status: 'SUSPENDED', region: 'fe' });
    const r = ok(await runAms(fake, ['archive', s.subscriptionId, '--region', 'FE']));
    expect(r.stdout).toMatch(/^status +ARCHIVED$/m);
    expect(JSON.parse(fake.adsRequests().find((q) => q.method === 'PUT')!.body)).toEqual({ status: 'ARCHIVED' });
    const d = fake.seed({ dataSetId: 'adsp-traffic', status: 'ACTIVE' });
    ok(await runAms(fake, ['archive', d.subscriptionId, '--dsp', '--ads-account-id', fake.adsAccounts[0]]));
    expect(d.status).toBe('ARCHIVED');
  });

  it('only ARCHIVED is a status the API accepts, and an update needs a change', async () => {
    fails(await runAms(fake, ['update', 'x', '--status', 'ACTIVE']), 2, /--status can only be ARCHIVED/);
    fails(await runAms(fake, ['update', 'x']), 2, /nothing to change/);
    fails(await runAms(fake, ['archive']), 2, /the subscription id is required/);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('status', () => {
  const config = () => {
    const file = join(dir, 'status-config.json');
    writeFileSync(file, JSON.stringify({ prefix: 'trib', ams: { regions: ['NA', 'EU'], datasets: ['sp-traffic', 'sp-conversion', 'budget-usage', 'adsp-traffic'] } }));
    return file;
  };

  it('one row per configured dataset x region, the delivering subscription first, hints for problem states, exit 4', async () => {
    const active = fake.seed({ dataSetId: 'sp-traffic', status: 'ACTIVE', region: 'na', destination: { sqsDestination: { queueArn: QUEUE } } });
    fake.seed({ dataSetId: 'sp-traffic', status: 'ARCHIVED', region: 'na' });
    fake.seed({ dataSetId: 'sp-conversion', status: 'SUSPENDED', region: 'na' });
    fake.seed({ dataSetId: 'budget-usage', status: 'PENDING_CONFIRMATION', region: 'na' });
    fake.seed({ dataSetId: 'sp-traffic', status: 'FAILED_CONFIRMATION', region: 'eu' });
    fake.seed({ dataSetId: 'sp-conversion', status: 'PROVISIONING', region: 'eu' });
    fake.seed({ dataSetId: 'budget-usage', status: 'FAILED_PROVISIONING', region: 'eu' });
    fake.seed({ dataSetId: 'adsp-traffic', status: 'ACTIVE', region: 'na' });
    const r = await runAms(fake, ['status', '--config', config(), '--ads-account-id', fake.adsAccounts[0]]);
    expect(r.leaked).toEqual([]);
    expect(r.code).toBe(4);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^DATASET +REGION +STATUS +SUBSCRIPTION +DESTINATION +HINT$/);
    const row = (ds: string, region: string) => lines.find((l) => new RegExp(`^${ds} +${region} `).test(l))!;
    expect(row('sp-traffic', 'NA')).toMatch(new RegExp(`ACTIVE +${active.subscriptionId.replace(/\./g, '\\.')} \\(\\+1 more\\) +${QUEUE}`));
    expect(row('sp-conversion', 'NA')).toMatch(/SUSPENDED .*a suspended subscription never resumes/);
    expect(row('budget-usage', 'NA')).toMatch(/PENDING_CONFIRMATION .*confirmation Lambda/);
    expect(row('sp-traffic', 'EU')).toMatch(/FAILED_CONFIRMATION .*create a new subscription/);
    expect(row('sp-conversion', 'EU')).toMatch(/PROVISIONING .*check again in a few minutes/);
    expect(row('budget-usage', 'EU')).toMatch(/FAILED_PROVISIONING .*could not set up delivery/);
    expect(row('adsp-traffic', 'NA')).toMatch(/ACTIVE/);
    expect(row('adsp-traffic', 'EU')).toMatch(/NONE .*ams subscribe --from-outputs/);
    expect(lines).toHaveLength(2 + 8 + 1);
    expect(lines.at(-1)).toBe('2/8 active, 4 need action');
  });

  it('--json: rows and a summary; every row ACTIVE or on its way exits 0', async () => {
    for (const [ds, region] of [['sp-traffic', 'na'], ['sp-conversion', 'na'], ['budget-usage', 'na'], ['sp-traffic', 'eu'], ['sp-conversion', 'eu'], ['budget-usage', 'eu']]) {
      fake.seed({ dataSetId: ds, status: ds === 'budget-usage' ? 'PENDING_CONFIRMATION' : 'ACTIVE', region });
    }
    const r = await runAms(fake, ['status', '--config', config(), '--dataset', 'sp-traffic,sp-conversion,budget-usage', '--json']);
    expect(r.leaked).toEqual([]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.summary).toEqual({ total: 6, active: 4, problems: 0, errors: 0 });
    expect(j.rows[0]).toMatchObject({ dataSetId: 'sp-traffic', region: 'NA', status: 'ACTIVE' });
    expect(j.rows.find((x: { dataSetId: string }) => x.dataSetId === 'budget-usage').hint).toMatch(/confirmation/);
  });

  it('a region the login cannot read is reported per row with exit 3; the other region still shows', async () => {
    fake.inject({ match: (q) => q.path === '/eu/streams/subscriptions', status: 403, body: { code: 'FORBIDDEN', details: 'Profile is not accessible' } });
    fake.seed({ dataSetId: 'sp-traffic', status: 'ACTIVE', region: 'na' });
    const r = await runAms(fake, ['status', '--config', config(), '--dataset', 'sp-traffic', '--json']);
    expect(r.leaked).toEqual([]);
    expect(r.code).toBe(3);
    const j = JSON.parse(r.stdout);
    expect(j.rows).toHaveLength(2);
    expect(j.rows[0]).toMatchObject({ region: 'NA', status: 'ACTIVE' });
    expect(j.rows[1]).toMatchObject({ region: 'EU', status: 'ERROR' });
    expect(j.rows[1].hint).toMatch(/forbidden in EU .*HTTP 403, FORBIDDEN: Profile is not accessible/);
  });

  it('in the table, a region-wide failure is printed once below it and counted in the summary', async () => {
    fake.inject({ match: (q) => q.path === '/eu/streams/subscriptions', status: 403, body: { code: 'FORBIDDEN', details: 'Profile is not accessible' } });
    fake.seed({ dataSetId: 'sp-traffic', status: 'ACTIVE', region: 'na' });
    const r = await runAms(fake, ['status', '--config', config(), '--dataset', 'sp-traffic,sp-conversion']);
    expect(r.code).toBe(3);
    expect(r.stdout.match(/error \[1\], see below/g)).toHaveLength(2);
    expect(r.stdout).toContain('1/4 active, 1 need action, 2 could not be checked');
    expect(r.stderr.match(/Profile is not accessible/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/^error \[1\]: .*forbidden in EU/m);
  });

  it('a broken config file is a usage error naming the key', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ams: { regions: ['US'] } }));
    fails(await runAms(fake, ['status', '--config', bad]), 2, /config key "ams\.regions\[0\]": "US" is not allowed; allowed values are: NA, EU, FE/);
  });
});

describe('help and usage', () => {
  it('--help on the tool and every command, with examples and exit codes; exit 0', async () => {
    const top = ok(await runAms(fake, ['--help']));
    expect(top.stdout).toContain('Commands:');
    expect(top.stdout).toContain('Exit codes: 0 ok, 1 API or network error, 2 usage/config/credentials error, 3 authentication');
    for (const c of ['create', 'get', 'list', 'update', 'archive', 'subscribe', 'status']) {
      const r = ok(await runAms(fake, [c, '--help']));
      expect(r.stdout).toMatch(new RegExp(`^Usage: ams ${c}`));
      expect(r.stdout).toMatch(/Examples?:\n  npm run ams -- /);
      expect(ok(await runAms(fake, ['help', c])).stdout).toBe(r.stdout);
      expect(ok(await runAms(fake, [c, '-h'])).stdout).toBe(r.stdout);
    }
    expect(fake.requests).toHaveLength(0);
  });

  it('no command prints the help with exit 2; an unknown command exits 2', async () => {
    const r = await runAms(fake, []);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('Commands:');
    fails(await runAms(fake, ['delete', 'x']), 2, /unknown command "delete"; commands: create, get, list, update, archive, subscribe, status/);
  });

  it('usage errors name the tool and command once (they used to read "ams create: create: ...")', async () => {
    expect(fails(await runAms(fake, ['create', '--region', 'NA']), 2, /./).stderr).toBe('ams create: --dataset is required\n');
    expect(fails(await runAms(fake, ['list', '--bogus']), 2, /./).stderr).toBe('ams list: unknown option --bogus (see ams list --help)\n');
    expect(fails(await runAms(fake, ['get', 'id', '--region']), 2, /./).stderr).toBe('ams get: --region needs a value (see ams get --help)\n');
    expect(fails(await runAms(fake, ['get', 'id', '--region', 'NA', '--region', 'EU']), 2, /./).stderr).toBe('ams get: --region given twice (see ams get --help)\n');
    expect(fails(await runAms(fake, ['get', 'id', '--json=yes']), 2, /./).stderr).toBe('ams get: --json takes no value (see ams get --help)\n');
    expect(fake.requests).toHaveLength(0);
  });
});

describe('the entry file', () => {
  it('runs as a process (npm run ams): credentials.yml from $HOME, table on stdout, exit code from main()', async () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, '.config', 'python-ad-api'), { recursive: true });
    writeFileSync(
      join(home, '.config', 'python-ad-api', 'credentials.yml'),
      `version: '1.0'\ndefault:\n  refresh_token: ${fake.refreshToken}\n  client_id: ${fake.clientId}\n  client_secret: ${fake.clientSecret}\n  profile_id: ${fake.profiles[0]}\n`,
    );
    const s = fake.seed({ dataSetId: 'sp-traffic', status: 'ACTIVE' });
    const run = async (args: string[]) => {
      // Asynchronous spawn: a synchronous one would block this process's event loop, and so the fake server.
      const child = spawn(process.execPath, ['--import', 'tsx', fromRoot('cli', 'ams', 'subscriptions.ts'), ...args], {
        cwd: fromRoot(),
        env: { PATH: process.env.PATH, HOME: home, ...fake.env() },
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c));
      child.stderr.on('data', (c: Buffer) => (err += c));
      const code = await new Promise<number | null>((r) => child.on('close', r));
      for (const secret of [fake.refreshToken, fake.clientSecret, ...fake.issuedTokens]) expect(out + err).not.toContain(secret);
      return { code, out, err };
    };
    const listed = await run(['list']);
    expect(listed.code, listed.err).toBe(0);
    expect(listed.out).toContain(s.subscriptionId);
    const missing = await run(['get', 'amzn1.fead.cs1.none']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^ams get: get amzn1\.fead\.cs1\.none: not found in NA/);
    expect((await run(['frobnicate'])).code).toBe(2);
  });
});

describe('accounts per region', () => {
  it('--account REGION=NAME gives each region its own credentials.yml account (profile) and token', async () => {
    const multi = await new FakeAdsApi({ profiles: ['1111111111', '2222222222'] }).start();
    try {
      const file = join(dir, 'multi.yml');
      const account = (profile: string) =>
        `  refresh_token: ${multi.refreshToken}\n  client_id: ${multi.clientId}\n  client_secret: ${multi.clientSecret}\n  profile_id: '${profile}'\n`;
      writeFileSync(file, `version: '1.0'\ndefault:\n${account('1111111111')}uk:\n${account('2222222222')}`);
      multi.seed({ dataSetId: 'sp-traffic', status: 'ACTIVE', region: 'eu' });
      const r = await runAms(multi, ['list', '--region', 'NA,EU', '--credentials', file, '--account', 'EU=uk', '--json'], { credentialsInEnv: false });
      expect(r.leaked).toEqual([]);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).count).toBe(1);
      const scopes = Object.fromEntries(multi.adsRequests().map((q) => [q.path.slice(1, 3), q.headers['amazon-advertising-api-scope']]));
      expect(scopes).toEqual({ na: '1111111111', eu: '2222222222' });
      expect(multi.tokenRequests()).toHaveLength(2);
      const bad = await runAms(multi, ['list', '--credentials', file, '--account', 'US=uk'], { credentialsInEnv: false });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--region must be NA, EU or FE, got "US"/);
      const missing = await runAms(multi, ['list', '--credentials', file, '--account', 'NA=nobody'], { credentialsInEnv: false });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain(`account "nobody" is not in ${file}; accounts there: default, uk`);
    } finally {
      await multi.close();
    }
  });
});

describe('read after create', () => {
  it('a 404 on the read right after the create still prints the new id (status UNKNOWN), exit 0', async () => {
    fake.inject({ match: (q) => q.method === 'GET' && /\/streams\/subscriptions\/.+/.test(q.path), status: 404, body: { code: 'NOT_FOUND', details: 'not yet' } });
    const r = await runAms(fake, ['create', '--dataset', 'sp-traffic', '--region', 'NA', '--queue-arn', QUEUE, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ subscriptionId: fake.subscriptions[0].subscriptionId, status: 'UNKNOWN', dataSetId: 'sp-traffic', region: 'NA' });
    expect(r.stderr).toBe(`note: ${fake.subscriptions[0].subscriptionId} was created but could not be read back yet; see it later with: ams get ${fake.subscriptions[0].subscriptionId} --region NA\n`);
    expect(r.leaked).toEqual([]);
  });
});

describe('create for an archived token', () => {
  it('says on stderr that the derived token belongs to a dead subscription', async () => {
    const args = ['create', '--dataset', 'sp-traffic', '--region', 'NA', '--queue-arn', QUEUE];
    ok(await runAms(fake, args));
    fake.subscriptions[0].status = 'ARCHIVED';
    const r = await runAms(fake, args);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^status +ARCHIVED$/m);
    expect(r.stderr).toBe(`note: this client request token belongs to ${fake.subscriptions[0].subscriptionId}, which is ARCHIVED; pass a new --client-request-token (or use subscribe) to create a replacement\n`);
    expect(fake.subscriptions).toHaveLength(1);
  });
});

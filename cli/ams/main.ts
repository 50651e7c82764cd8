/**
 * The AMS subscription CLI as a function: `main(argv, io)` parses the command line, runs one command and returns
 * the exit code (see EXIT in errors.ts). Everything it touches comes through `io`, so tests run it in-process
 * against a local fake Ads API. Every line written goes through a scrubber holding the credentials and access
 * tokens, so no secret reaches stdout or stderr.
 */
import { homedir as osHomedir } from 'node:os';
import { ADVERTISING_REGIONS, AMS_DATASET_IDS, type AdvertisingRegion } from '../../contracts/ams.js';
import { loadConfig, type TributaryConfig } from '../../config/index.js';
import { fromRoot } from '../../lib/paths.js';
import {
  ARN_KINDS, ARN_PATTERNS, AdsApi, LIVE_STATUSES, SUBSCRIPTION_STATUSES, deriveClientRequestToken, destinationArnOf, isDsp, type Destination, type Subscription,
} from './api.js';
import { parseCommandLine, type OptionSpec, type ParsedArgs } from '../shared/args.js';
import { TokenProvider } from './auth.js';
import { loadCredentials, type AdsCredentials } from './credentials.js';
import { ApiError, AuthError, CliError, ConfigurationError, EXIT, UsageError } from './errors.js';
import { COMMAND_HELP, MAIN_HELP } from './help.js';
import type { FetchLike, HttpOptions } from './http.js';
import { SUBSCRIPTION_COLUMNS, Scrubber, details, json, table } from './output.js';
import type { TerraformRunner } from './outputs.js';

export interface Writer {
  write(chunk: string): unknown;
}

export interface MainIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: Writer;
  readonly stderr: Writer;
  readonly fetch?: FetchLike;
  readonly homedir?: string;
  readonly platform?: NodeJS.Platform;
  /** Backoff sleeps (tests pass a recorder that does not wait). */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** `terraform output -json` runner for subscribe (default: the terraform binary). */
  readonly runTerraform?: TerraformRunner;
}

const GLOBAL_OPTIONS: OptionSpec = {
  json: 'boolean', account: 'list', credentials: 'string', 'ads-account-id': 'string',
  endpoint: 'string', 'token-endpoint': 'string', 'max-attempts': 'string',
};

const COMMAND_OPTIONS: Record<string, OptionSpec> = {
  create: {
    dataset: 'string', region: 'string', 'queue-arn': 'string', firehose: 'string', 'subscriber-role': 'string',
    'subscription-role': 'string', notes: 'string', 'client-request-token': 'string',
  },
  get: { region: 'string', dsp: 'boolean' },
  list: { region: 'list', status: 'list', dataset: 'list', dsp: 'boolean' },
  update: { region: 'string', dsp: 'boolean', status: 'string', notes: 'string' },
  archive: { region: 'string', dsp: 'boolean' },
  subscribe: {
    'from-outputs': 'boolean', stack: 'list', 'outputs-file': 'list', 'outputs-dir': 'string', 'cdktf-out': 'string',
    config: 'string', notes: 'string', 'dry-run': 'boolean',
  },
  status: { config: 'string', region: 'list', dataset: 'list' },
};

/** A hint per status, shown by `status` and `subscribe` for anything but ACTIVE. */
export const STATUS_HINTS: Readonly<Record<string, string>> = {
  NONE: 'no subscription: deploy the stack, then run "ams subscribe --from-outputs"',
  PROVISIONING: 'Amazon is setting the subscription up; check again in a few minutes',
  PENDING_CONFIRMATION:
    'waiting for the SNS subscription confirmation; with sqs delivery the confirmation Lambda confirms it: check its log group and the confirmation DLQ',
  ARCHIVED: 'archived: nothing is delivered and it cannot be reactivated; "ams subscribe --from-outputs" creates a new one',
  FAILED_CONFIRMATION:
    'Amazon got no confirmation in time; check the queue policy and the confirmation Lambda, then create a new subscription (subscribe does)',
  FAILED_PROVISIONING:
    'Amazon could not set up delivery: check the destination ARN, queue policy / role trust, then create a new subscription (subscribe does)',
  SUSPENDED:
    'suspended after delivery failures; a suspended subscription never resumes: fix the destination, archive it and create a new one (subscribe does)',
};
const PROBLEM_STATUSES = new Set(['NONE', 'ARCHIVED', 'FAILED_CONFIRMATION', 'FAILED_PROVISIONING', 'SUSPENDED']);
/** Which subscription represents a dataset when there are several: delivering first, then the newest. */
const STATUS_RANK: Record<string, number> = {
  ACTIVE: 0, PENDING_CONFIRMATION: 1, PROVISIONING: 2, SUSPENDED: 3, FAILED_CONFIRMATION: 4, FAILED_PROVISIONING: 5, ARCHIVED: 6,
};

function region(v: string | undefined, def: AdvertisingRegion | undefined, cmd: string): AdvertisingRegion {
  const r = (v ?? def)?.toUpperCase();
  if (!r) throw new UsageError(`--region is required (NA, EU or FE)`);
  if (!ADVERTISING_REGIONS.includes(r as AdvertisingRegion)) throw new UsageError(`--region must be NA, EU or FE, got ${JSON.stringify(v)}`);
  return r as AdvertisingRegion;
}

function regions(vs: string[] | undefined, def: readonly AdvertisingRegion[], cmd: string): AdvertisingRegion[] {
  if (!vs) return [...def];
  if (vs.length === 1 && vs[0].toLowerCase() === 'all') return [...ADVERTISING_REGIONS];
  return [...new Set(vs.map((v) => region(v, undefined, cmd)))];
}

function datasetIds(vs: string[] | undefined, cmd: string): string[] | undefined {
  if (!vs) return undefined;
  for (const v of vs) {
    if (!AMS_DATASET_IDS.includes(v)) throw new UsageError(`unknown dataset ${JSON.stringify(v)}; known: ${AMS_DATASET_IDS.join(', ')}`);
  }
  return vs;
}

function statuses(vs: string[] | undefined, cmd: string): string[] | undefined {
  if (!vs) return undefined;
  return vs.map((v) => {
    const s = v.toUpperCase();
    if (!(SUBSCRIPTION_STATUSES as readonly string[]).includes(s)) throw new UsageError(`--status must be among ${SUBSCRIPTION_STATUSES.join(', ')}, got ${JSON.stringify(v)}`);
    return s;
  });
}

function notes(v: string | undefined, cmd: string): string | undefined {
  if (v !== undefined && v.length > 128) throw new UsageError(`--notes may be at most 128 characters (got ${v.length})`);
  return v;
}

function checkArn(v: string, kind: keyof typeof ARN_PATTERNS, opt: string, cmd: string): string {
  if (!ARN_PATTERNS[kind].test(v)) throw new UsageError(`--${opt} must be ${ARN_KINDS[kind]}, got ${JSON.stringify(v)}`);
  return v;
}

/** Everything a command needs: parsed options, output, and lazily built API clients per region/account. */
class Context {
  readonly scrubber = new Scrubber();
  private readonly accounts: { byRegion: Partial<Record<AdvertisingRegion, string>>; fallback: string };
  private readonly apis = new Map<string, AdsApi>();
  private readonly credsCache = new Map<string, AdsCredentials>();
  readonly http: HttpOptions;

  constructor(
    readonly io: MainIo,
    readonly args: ParsedArgs,
    readonly command: string,
  ) {
    const byRegion: Partial<Record<AdvertisingRegion, string>> = {};
    let fallback = 'default';
    for (const a of args.lists.account ?? []) {
      const m = /^([A-Za-z]{2})=(.+)$/.exec(a);
      if (m) byRegion[region(m[1], undefined, command)] = m[2];
      else fallback = a;
    }
    this.accounts = { byRegion, fallback };
    const maxAttempts = args.strings['max-attempts'];
    if (maxAttempts !== undefined && !/^([1-9]|10)$/.test(maxAttempts)) throw new UsageError(`--max-attempts must be 1-10`);
    this.http = {
      fetch: io.fetch ?? ((url, init) => fetch(url, init)),
      maxAttempts: maxAttempts ? Number(maxAttempts) : 5,
      sleep: io.sleep,
      onRetry: ({ attempt, delayMs, reason, url }) =>
        this.err(`retrying ${new URL(url).host} after ${reason} (attempt ${attempt}, waiting ${(delayMs / 1000).toFixed(1)} s)\n`),
    };
  }

  get jsonOut(): boolean {
    return this.args.flags.has('json');
  }

  out(text: string): void {
    this.io.stdout.write(this.scrubber.scrub(text));
  }

  err(text: string): void {
    this.io.stderr.write(this.scrubber.scrub(text));
  }

  credentials(r: AdvertisingRegion): AdsCredentials {
    const account = this.accounts.byRegion[r] ?? this.accounts.fallback;
    let creds = this.credsCache.get(account);
    if (!creds) {
      creds = loadCredentials({
        env: this.io.env,
        homedir: this.io.homedir ?? osHomedir(),
        platform: this.io.platform ?? process.platform,
        account,
        file: this.args.strings.credentials,
      });
      for (const s of [creds.refreshToken, creds.clientSecret]) this.scrubber.add(s);
      this.credsCache.set(account, creds);
    }
    return creds;
  }

  api(r: AdvertisingRegion): AdsApi {
    const creds = this.credentials(r);
    let api = this.apis.get(creds.account);
    if (!api) {
      const tokens = new TokenProvider(creds, {
        http: this.http,
        endpoint: this.args.strings['token-endpoint'] ?? this.io.env.AMS_TOKEN_ENDPOINT,
        now: this.io.now,
        onSecret: (s) => this.scrubber.add(s),
      });
      api = new AdsApi({
        creds,
        tokens,
        http: this.http,
        endpoint: this.args.strings.endpoint ?? this.io.env.AMS_ADS_API_ENDPOINT,
        adsAccountId: this.args.strings['ads-account-id'],
      });
      this.apis.set(creds.account, api);
    }
    return api;
  }

  /** The scope the derived client request token is tied to (profile or DSP account). */
  scope(r: AdvertisingRegion, dsp: boolean): string {
    const c = this.credentials(r);
    return dsp ? `dsp:${this.args.strings['ads-account-id'] ?? c.adsAccountId ?? ''}` : `profile:${c.profileId ?? ''}`;
  }

  config(): TributaryConfig {
    const path = this.args.strings.config ?? this.io.env.TRIBUTARY_CONFIG;
    try {
      return path ? loadConfig(path) : loadConfig(fromRoot('config', 'default.json'));
    } catch (err) {
      throw new ConfigurationError((err as Error).message);
    }
  }
}

type Sub = Subscription & { region: AdvertisingRegion };

/**
 * The subscription just created. A read right after a create can miss it (HTTP 404 while it propagates): then
 * what the create established is shown, with the status "UNKNOWN" (read it later with get).
 */
async function readAfterCreate(
  api: AdsApi, r: AdvertisingRegion, subscriptionId: string, dsp: boolean, known: Pick<Subscription, 'dataSetId' | 'destination' | 'notes'>,
): Promise<Subscription> {
  try {
    return await api.get(r, subscriptionId, dsp);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return { subscriptionId, status: 'UNKNOWN', ...known };
    throw err;
  }
}

async function cmdCreate(ctx: Context): Promise<number> {
  const s = ctx.args.strings;
  const cmd = 'create';
  if (ctx.args.positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(ctx.args.positionals[0])}`);
  if (!s.dataset) throw new UsageError('--dataset is required');
  const dataSetId = datasetIds([s.dataset], cmd)![0];
  const r = region(s.region, undefined, cmd);
  let destination: Destination;
  if (s['queue-arn'] && (s.firehose || s['subscriber-role'] || s['subscription-role'])) {
    throw new UsageError('give either --queue-arn or --firehose with --subscriber-role and --subscription-role, not both');
  }
  if (s['queue-arn']) {
    destination = { sqsDestination: { queueArn: checkArn(s['queue-arn'], 'sqs', 'queue-arn', cmd) } };
  } else if (s.firehose) {
    if (!s['subscriber-role'] || !s['subscription-role']) throw new UsageError('--firehose needs --subscriber-role and --subscription-role');
    destination = {
      firehoseDestination: {
        deliveryStreamArn: checkArn(s.firehose, 'firehose', 'firehose', cmd),
        subscriberRoleArn: checkArn(s['subscriber-role'], 'role', 'subscriber-role', cmd),
        subscriptionRoleArn: checkArn(s['subscription-role'], 'role', 'subscription-role', cmd),
      },
    };
  } else {
    throw new UsageError('a destination is required: --queue-arn <arn>, or --firehose <arn> --subscriber-role <arn> --subscription-role <arn>');
  }
  const token = s['client-request-token'];
  if (token !== undefined && (token.length < 22 || token.length > 36)) throw new UsageError('--client-request-token must be 22-36 characters');
  const dsp = isDsp(dataSetId);
  const api = ctx.api(r);
  const clientRequestToken = token ?? deriveClientRequestToken({ scope: ctx.scope(r, dsp), region: r, dataSetId, destinationArn: destinationArnOf({ destination })! });
  const created = await api.create({ region: r, dataSetId, destination, notes: notes(s.notes, cmd), clientRequestToken });
  const sub: Sub = { ...(await readAfterCreate(api, r, created.subscriptionId, dsp, { dataSetId, destination, notes: s.notes })), region: r };
  const shown = { ...sub, clientRequestToken: sub.clientRequestToken ?? created.clientRequestToken };
  ctx.out(ctx.jsonOut ? json(shown) : details(shown));
  if (sub.status === 'UNKNOWN') {
    ctx.err(`note: ${sub.subscriptionId} was created but could not be read back yet; see it later with: ams get ${sub.subscriptionId} --region ${r}\n`);
  } else if (!LIVE_STATUSES.has(sub.status)) {
    ctx.err(`note: this client request token belongs to ${sub.subscriptionId}, which is ${sub.status}; pass a new --client-request-token (or use subscribe) to create a replacement\n`);
  }
  return EXIT.ok;
}

function oneId(ctx: Context, cmd: string): string {
  const [id, extra] = ctx.args.positionals;
  if (!id) throw new UsageError(`the subscription id is required (ams ${cmd} <subscriptionId>)`);
  if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`);
  return id;
}

async function showOne(ctx: Context, r: AdvertisingRegion, id: string, dsp: boolean): Promise<number> {
  const sub: Sub = { ...(await ctx.api(r).get(r, id, dsp)), region: r };
  ctx.out(ctx.jsonOut ? json(sub) : details(sub));
  return EXIT.ok;
}

async function cmdGet(ctx: Context): Promise<number> {
  const id = oneId(ctx, 'get');
  return showOne(ctx, region(ctx.args.strings.region, 'NA', 'get'), id, ctx.args.flags.has('dsp'));
}

async function cmdList(ctx: Context): Promise<number> {
  if (ctx.args.positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(ctx.args.positionals[0])}`);
  const rs = regions(ctx.args.lists.region, ['NA'], 'list');
  const wantStatus = statuses(ctx.args.lists.status, 'list');
  const wantDataset = datasetIds(ctx.args.lists.dataset, 'list');
  const dsp = ctx.args.flags.has('dsp') || (wantDataset !== undefined && wantDataset.every(isDsp));
  if (wantDataset && !dsp && wantDataset.some(isDsp)) {
    throw new UsageError('DSP (adsp-*) and sponsored-ads datasets are listed separately; list them in two calls (--dsp for DSP)');
  }
  const all: Sub[] = [];
  for (const r of rs) {
    const subs = await ctx.api(r).listAll(r, dsp);
    for (const s of subs) {
      if (wantStatus && !wantStatus.includes(s.status)) continue;
      if (wantDataset && !wantDataset.includes(s.dataSetId)) continue;
      all.push({ ...s, region: r });
    }
  }
  if (ctx.jsonOut) ctx.out(json({ regions: rs, family: dsp ? 'dsp' : 'sponsored-ads', count: all.length, subscriptions: all }));
  else if (all.length === 0) ctx.out(`no ${dsp ? 'DSP ' : ''}subscriptions${wantStatus || wantDataset ? ' match the filters' : ''} in ${rs.join(', ')}\n`);
  else ctx.out(table(all, SUBSCRIPTION_COLUMNS) + `${all.length} subscription(s)\n`);
  return EXIT.ok;
}

async function cmdUpdate(ctx: Context, archive: boolean): Promise<number> {
  const cmd = archive ? 'archive' : 'update';
  const id = oneId(ctx, cmd);
  const r = region(ctx.args.strings.region, 'NA', cmd);
  const dsp = ctx.args.flags.has('dsp');
  const change: { status?: 'ARCHIVED'; notes?: string } = {};
  if (archive) change.status = 'ARCHIVED';
  else {
    const st = ctx.args.strings.status;
    if (st !== undefined) {
      if (st.toUpperCase() !== 'ARCHIVED') throw new UsageError(`--status can only be ARCHIVED (the API accepts no other change), got ${JSON.stringify(st)}`);
      change.status = 'ARCHIVED';
    }
    const n = notes(ctx.args.strings.notes, cmd);
    if (n !== undefined) change.notes = n;
    if (Object.keys(change).length === 0) throw new UsageError('nothing to change: give --status ARCHIVED and/or --notes <text>');
  }
  await ctx.api(r).update(r, id, dsp, change);
  return showOne(ctx, r, id, dsp);
}

interface SubscribeRow {
  stack: string;
  dataSetId?: string;
  region?: string;
  action: 'created' | 'exists' | 'would create' | 'skipped' | 'error';
  subscriptionId?: string;
  status?: string;
  destination?: string;
  detail?: string;
  authError?: boolean;
}

async function cmdSubscribe(ctx: Context): Promise<number> {
  const a = ctx.args;
  if (!a.flags.has('from-outputs')) throw new UsageError('--from-outputs is required (it is the only source of destinations)');
  if (a.positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(a.positionals[0])}`);
  if (a.lists['outputs-file'] && a.strings['outputs-dir']) throw new UsageError('give --outputs-file or --outputs-dir, not both');
  const note = notes(a.strings.notes, 'subscribe');
  const { readStackOutputs, targetFromOutputs, terraformRunner } = await import('./outputs.js');
  const { amsStackName } = await import('../../contracts/ams.js');
  let stacks: string[];
  const explicit = a.lists.stack !== undefined;
  if (explicit) stacks = [...new Set(a.lists.stack)];
  else if (a.lists['outputs-file']) stacks = [];
  else {
    const cfg = ctx.config();
    stacks = cfg.ams.regions.flatMap((r) => cfg.ams.datasets.map((d) => amsStackName(d, r)));
  }
  const outputs = await readStackOutputs({
    stacks,
    explicit,
    files: a.lists['outputs-file'],
    dir: a.strings['outputs-dir'],
    cdktfOut: a.strings['cdktf-out'] ?? fromRoot('cdktf.out'),
    runTerraform: ctx.io.runTerraform ?? terraformRunner(ctx.io.env),
  });
  // Credentials of every region involved first: a credentials problem stops here (exit 2), not once per stack.
  const regionsNeeded = new Set<AdvertisingRegion>();
  for (const so of outputs) {
    if (!so.outputs) continue;
    try {
      regionsNeeded.add(targetFromOutputs(so.stack, so.outputs).region);
    } catch {
      /* reported on the stack's row below */
    }
  }
  for (const r of regionsNeeded) ctx.credentials(r);
  const rows: SubscribeRow[] = [];
  const existing = new Map<string, Promise<Subscription[]>>();
  for (const so of outputs) {
    if (so.skipped || !so.outputs) {
      rows.push({ stack: so.stack, action: 'skipped', detail: so.skipped });
      continue;
    }
    let row: SubscribeRow = { stack: so.stack, action: 'error' };
    try {
      const t = targetFromOutputs(so.stack, so.outputs);
      row = { stack: t.stack, dataSetId: t.dataSetId, region: t.region, action: 'error', destination: t.destinationArn };
      const dsp = isDsp(t.dataSetId);
      const api = ctx.api(t.region);
      const key = `${t.region}/${dsp}`;
      if (!existing.has(key)) existing.set(key, api.listAll(t.region, dsp));
      const subs = await existing.get(key)!;
      const mine = subs.filter((s) => s.dataSetId === t.dataSetId && destinationArnOf(s) === t.destinationArn);
      const live = mine.filter((s) => LIVE_STATUSES.has(s.status)).sort((x, y) => STATUS_RANK[x.status] - STATUS_RANK[y.status])[0];
      if (live) {
        Object.assign(row, { action: 'exists', subscriptionId: live.subscriptionId, status: live.status, detail: live.status === 'ACTIVE' ? undefined : STATUS_HINTS[live.status] });
      } else {
        const dead = mine.map((s) => s.subscriptionId).sort();
        const other = subs.find((s) => s.dataSetId === t.dataSetId && LIVE_STATUSES.has(s.status));
        const clientRequestToken = deriveClientRequestToken({
          scope: ctx.scope(t.region, dsp), region: t.region, dataSetId: t.dataSetId, destinationArn: t.destinationArn, generation: dead.join(','),
        });
        const details: string[] = [];
        if (dead.length) details.push(`replaces ${dead.join(', ')} (${mine.map((s) => s.status).join(', ')})`);
        if (other) details.push(`note: ${other.subscriptionId} (${other.status}) already delivers ${t.dataSetId} to ${destinationArnOf(other)}`);
        if (a.flags.has('dry-run')) {
          Object.assign(row, { action: 'would create', detail: details.join('; ') || undefined });
        } else {
          const created = await api.create({ region: t.region, dataSetId: t.dataSetId, destination: t.destination, notes: note ?? `tributary ${t.stack}`.slice(0, 128), clientRequestToken });
          const sub = await readAfterCreate(api, t.region, created.subscriptionId, dsp, { dataSetId: t.dataSetId, destination: t.destination });
          Object.assign(row, { action: 'created', subscriptionId: sub.subscriptionId, status: sub.status, detail: details.join('; ') || undefined });
        }
      }
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      Object.assign(row, { action: 'error', detail: err.message, authError: err instanceof AuthError });
    }
    rows.push(row);
  }
  const count = (act: SubscribeRow['action']) => rows.filter((r) => r.action === act).length;
  const summary = { created: count('created'), exists: count('exists'), wouldCreate: count('would create'), skipped: count('skipped'), errors: count('error') };
  if (ctx.jsonOut) ctx.out(json({ dryRun: a.flags.has('dry-run'), summary, results: rows.map(({ authError: _a, ...r }) => r) }));
  else if (rows.length === 0) ctx.out('no AMS stacks to subscribe\n');
  else {
    ctx.out(
      table(rows, [
        { header: 'STACK', get: (r) => r.stack },
        { header: 'DATASET', get: (r) => r.dataSetId },
        { header: 'REGION', get: (r) => r.region },
        { header: 'ACTION', get: (r) => r.action },
        { header: 'SUBSCRIPTION', get: (r) => r.subscriptionId },
        { header: 'STATUS', get: (r) => r.status },
        { header: 'DETAIL', get: (r) => r.detail },
      ]) +
        `${summary.created} created, ${summary.exists} already subscribed, ${summary.wouldCreate ? `${summary.wouldCreate} would be created, ` : ''}` +
        `${summary.skipped} skipped, ${summary.errors} error(s)\n`,
    );
  }
  if (rows.some((r) => r.authError)) return EXIT.auth;
  return summary.errors > 0 ? EXIT.problems : EXIT.ok;
}

interface StatusRow {
  dataSetId: string;
  region: AdvertisingRegion;
  status: string;
  subscriptionId?: string;
  destination?: string;
  others?: number;
  hint?: string;
  error?: boolean;
}

async function cmdStatus(ctx: Context): Promise<number> {
  if (ctx.args.positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(ctx.args.positionals[0])}`);
  const cfg = ctx.config();
  const rs = regions(ctx.args.lists.region, cfg.ams.regions, 'status');
  const only = datasetIds(ctx.args.lists.dataset, 'status');
  const ds = cfg.ams.datasets.filter((d) => !only || only.includes(d));
  const rows: StatusRow[] = [];
  let worst: number = EXIT.ok;
  for (const r of rs) {
    for (const dsp of [false, true]) {
      const family = ds.filter((d) => isDsp(d) === dsp);
      if (family.length === 0) continue;
      let subs: Subscription[];
      try {
        subs = await ctx.api(r).listAll(r, dsp);
      } catch (err) {
        if (!(err instanceof CliError)) throw err;
        worst = err instanceof AuthError ? EXIT.auth : worst === EXIT.auth ? worst : err.exitCode;
        for (const d of family) rows.push({ dataSetId: d, region: r, status: 'ERROR', hint: err.message, error: true });
        continue;
      }
      for (const d of family) {
        const mine = subs.filter((s) => s.dataSetId === d).sort(
          (x, y) => (STATUS_RANK[x.status] ?? 9) - (STATUS_RANK[y.status] ?? 9) || String(y.updatedDate ?? y.createdDate ?? '').localeCompare(String(x.updatedDate ?? x.createdDate ?? '')),
        );
        const best = mine[0];
        const status = best?.status ?? 'NONE';
        rows.push({
          dataSetId: d, region: r, status, subscriptionId: best?.subscriptionId, destination: best ? destinationArnOf(best) : undefined,
          others: mine.length > 1 ? mine.length - 1 : undefined, hint: STATUS_HINTS[status] ?? (status === 'ACTIVE' ? undefined : `unrecognised status ${status}`),
        });
      }
    }
  }
  const problems = rows.filter((r) => PROBLEM_STATUSES.has(r.status)).length;
  if (ctx.jsonOut) {
    ctx.out(json({ summary: { total: rows.length, active: rows.filter((r) => r.status === 'ACTIVE').length, problems, errors: rows.filter((r) => r.error).length }, rows: rows.map(({ error: _e, ...r }) => r) }));
  } else {
    // A failure that hits a whole region (credentials, login, permissions) is printed once below the table, not
    // repeated on each of its rows.
    const errors = [...new Set(rows.filter((r) => r.error).map((r) => r.hint ?? ''))];
    const errorRef = (r: StatusRow) => `error [${errors.indexOf(r.hint ?? '') + 1}], see below`;
    const failed = rows.filter((r) => r.error).length;
    ctx.out(
      table(rows, [
        { header: 'DATASET', get: (r) => r.dataSetId },
        { header: 'REGION', get: (r) => r.region },
        { header: 'STATUS', get: (r) => r.status },
        { header: 'SUBSCRIPTION', get: (r) => (r.subscriptionId ? `${r.subscriptionId}${r.others ? ` (+${r.others} more)` : ''}` : undefined) },
        { header: 'DESTINATION', get: (r) => r.destination },
        { header: 'HINT', get: (r) => (r.error ? errorRef(r) : r.hint) },
      ]) +
        `${rows.filter((r) => r.status === 'ACTIVE').length}/${rows.length} active, ${problems} need action` +
        `${failed ? `, ${failed} could not be checked` : ''}\n`,
    );
    errors.forEach((message, i) => ctx.err(`error [${i + 1}]: ${message}\n`));
  }
  if (worst !== EXIT.ok) return worst;
  return problems > 0 ? EXIT.problems : EXIT.ok;
}

const COMMANDS: Record<string, (ctx: Context) => Promise<number>> = {
  create: cmdCreate,
  get: cmdGet,
  list: cmdList,
  update: (c) => cmdUpdate(c, false),
  archive: (c) => cmdUpdate(c, true),
  subscribe: cmdSubscribe,
  status: cmdStatus,
};

/** Runs the CLI; returns the exit code. Never throws for expected failures: they print a message on stderr. */
export async function main(argv: readonly string[], io: MainIo): Promise<number> {
  const [command, ...rest] = argv;
  const scrubber = new Scrubber();
  let ctx: Context | undefined;
  try {
    if (!command || command === '--help' || command === '-h' || command === 'help') {
      const topic = command === 'help' ? rest[0] : undefined;
      io.stdout.write(topic && COMMAND_HELP[topic] ? COMMAND_HELP[topic] : MAIN_HELP);
      return command ? EXIT.ok : EXIT.usage;
    }
    const run = COMMANDS[command];
    if (!run) throw new UsageError(`unknown command ${JSON.stringify(command)}; commands: ${Object.keys(COMMANDS).join(', ')} (ams --help)`);
    const args = parseCommandLine(rest, { ...GLOBAL_OPTIONS, ...COMMAND_OPTIONS[command] }, { positionals: true, hint: `(see ams ${command} --help)` });
    if (args.help) {
      io.stdout.write(COMMAND_HELP[command]);
      return EXIT.ok;
    }
    ctx = new Context(io, args, command);
    return await run(ctx);
  } catch (err) {
    const s = ctx?.scrubber ?? scrubber;
    if (err instanceof CliError) {
      io.stderr.write(s.scrub(`ams ${command ?? ''}: ${err.message}\n`.replace(/^ams : /, 'ams: ')));
      return err.exitCode;
    }
    io.stderr.write(s.scrub(`ams ${command ?? ''}: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`));
    return EXIT.runtime;
  }
}

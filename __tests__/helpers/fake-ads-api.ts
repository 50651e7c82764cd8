/**
 * A local fake of the Amazon Ads API's Marketing Stream subscription endpoints and the Login with Amazon token
 * endpoint (node:http on 127.0.0.1, port 0).
 *
 * Contract source: Amazon's OpenAPI spec of the subscription API, __tests__/fixtures/ams/ams-subscriptions-openapi.json
 * (see the README there). Every Ads API request is checked against it by helpers/openapi-contract.ts before
 * anything else: a request the spec refuses (unknown path or method, a required header missing, e.g.
 * Amazon-Ads-Account-ID on /dsp/streams/subscriptions, a Content-Type or Accept other than
 * application/vnd.amazonmarketingstreamsubscriptions.v1+json, a body outside the operation's schema) gets HTTP 400
 * with the spec's error shape {code, message} (InvalidRequestErrorResponseContent). The fake's own answers are
 * checked against the spec's response schemas too; violations are collected in `responseViolations`.
 *
 * Beyond the spec, the fake models what the service does with a valid request:
 *   POST /auth/o2/token       form grant_type=refresh_token, client_id, client_secret, refresh_token
 *                             -> {access_token, refresh_token, token_type: "bearer", expires_in}; 400 invalid_grant /
 *                                401 invalid_client otherwise
 *   Authorization: Bearer <token> from that endpoint (401 otherwise); Amazon-Advertising-API-ClientId must be the
 *   token's client (401); sponsored-ads paths need a profile (Amazon-Advertising-API-Scope) or Amazon-Ads-AccountId
 *   (400), and a profile/DSP account the login may use (403).
 *   create   a known dataSetId of the path's family, exactly one of sqsDestination / firehoseDestination;
 *            -> {subscriptionId, clientRequestToken}; the same token with the same request returns the same
 *            subscription, with a different request a 400
 *   get      -> {subscription}
 *   list     ?maxResults (1-5000)&startingToken -> {subscriptions, nextToken?}
 *   update   {status?: "ARCHIVED", notes?} -> 200, no body
 *   Paths may carry a region prefix (/na, /eu, /fe) so one server stands in for the three regional hosts (the CLI's
 *   endpoint override accepts a {region} placeholder).
 *
 * Faults can be queued (`inject`) to answer the next matching requests with 429/5xx (+Retry-After), 401 or a
 * dropped connection. Every request is recorded.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AMS_DATASETS } from '../../contracts/ams.js';
import { OpenApiContract } from './openapi-contract.js';

export const MEDIA_TYPE = 'application/vnd.amazonmarketingstreamsubscriptions.v1+json';

export interface FakeSubscription {
  subscriptionId: string;
  dataSetId: string;
  status: string;
  destination?: Record<string, Record<string, string>>;
  destinationArn?: string;
  notes?: string;
  clientRequestToken?: string;
  createdDate: string;
  updatedDate: string;
  /** Region key ("na", "eu", "fe" or "" without a prefix) and family: not part of the API's response. */
  region: string;
  dsp: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface Fault {
  /** Requests it applies to; default every Ads API request (not the token endpoint). */
  match?: (req: RecordedRequest) => boolean;
  /** How many matching requests it answers. Default 1. */
  times?: number;
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Destroy the socket instead of answering (a network failure). */
  drop?: boolean;
}

export interface FakeAdsApiOptions {
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  /** Profiles accepted per region key (default the one profile everywhere). */
  profiles?: string[];
  adsAccounts?: string[];
  expiresIn?: number;
  /** Status of a newly created subscription. Default PENDING_CONFIRMATION. */
  initialStatus?: string;
  /** Largest page the server returns, whatever maxResults asks. Default 5000. */
  pageLimit?: number;
}

const SUB_PATH = /^(?:\/(na|eu|fe))?(\/dsp)?\/streams\/subscriptions(?:\/([^/]+))?$/;
const REGION_PREFIX = /^\/(?:na|eu|fe)(?=\/)/;
let contract: OpenApiContract | undefined;
const TOKEN_PATH = /^(?:\/(na|eu|fe))?\/auth\/o2\/token$/;

export class FakeAdsApi {
  readonly server: Server;
  url = '';
  readonly subscriptions: FakeSubscription[] = [];
  readonly requests: RecordedRequest[] = [];
  readonly faults: Fault[] = [];
  readonly issuedTokens: string[] = [];
  /** The fake's own answers that the spec's response schemas refuse (should stay empty). */
  readonly responseViolations: string[] = [];
  /** Requests the spec refused (answered 400/404/405), with the reasons. */
  readonly contractRejections: { method: string; path: string; errors: readonly string[] }[] = [];
  readonly contract: OpenApiContract;
  private readonly validTokens = new Set<string>();
  private counter = 0;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly refreshToken: string;
  readonly profiles: string[];
  readonly adsAccounts: string[];

  constructor(readonly opts: FakeAdsApiOptions = {}) {
    this.clientId = opts.clientId ?? 'amzn1.application-oa2-client.fakeclient0001';
    this.clientSecret = opts.clientSecret ?? 'fake-client-secret-ZXCVBNM1234567890';
    this.refreshToken = opts.refreshToken ?? 'Atzr|fake-refresh-token-QWERTYUIOP0987654321';
    this.profiles = opts.profiles ?? ['3211234567890123'];
    this.adsAccounts = opts.adsAccounts ?? ['ENTITY1FAKEDSP'];
    this.contract = contract ??= OpenApiContract.load();
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Environment pointing the CLI at this server (a {region} placeholder selects the region prefix). */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      AMS_ADS_API_ENDPOINT: `${this.url}/{region}`,
      AMS_TOKEN_ENDPOINT: `${this.url}/{region}/auth/o2/token`,
      ...extra,
    };
  }

  inject(fault: Fault): void {
    this.faults.push({ times: 1, ...fault });
  }

  revokeAccessTokens(): void {
    this.validTokens.clear();
  }

  /** Adds a subscription directly (state that exists before the test). */
  seed(s: Partial<FakeSubscription> & { dataSetId: string; status: string }): FakeSubscription {
    const now = new Date(Date.UTC(2026, 0, 1, 0, 0, this.counter)).toISOString();
    const sub: FakeSubscription = {
      subscriptionId: s.subscriptionId ?? `amzn1.fead.cs1.fake${String(++this.counter).padStart(6, '0')}`,
      createdDate: now,
      updatedDate: now,
      region: 'na',
      dsp: s.dataSetId.startsWith('adsp-'),
      ...s,
    };
    this.subscriptions.push(sub);
    return sub;
  }

  adsRequests(): RecordedRequest[] {
    return this.requests.filter((r) => !TOKEN_PATH.test(r.path));
  }

  tokenRequests(): RecordedRequest[] {
    return this.requests.filter((r) => TOKEN_PATH.test(r.path));
  }

  private send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}, type = MEDIA_TYPE): void {
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': type, ...headers }).end(text);
  }

  /** An error in the spec's shape ({code, message}, e.g. InvalidRequestErrorResponseContent). */
  private error(res: ServerResponse, status: number, code: string, message: string): void {
    this.send(res, status, { code, message });
  }

  /** Sends an Ads API answer after checking it against the spec's response schema for the operation. */
  private answer(res: ServerResponse, rec: RecordedRequest, status: number, body?: unknown): void {
    const text = body === undefined ? '' : JSON.stringify(body);
    const check = this.contract.validateResponse(rec.method, rec.path.replace(REGION_PREFIX, ''), status, MEDIA_TYPE, text);
    if (!check.ok) this.responseViolations.push(`${rec.method} ${rec.path} -> ${status}: ${check.errors.join('; ')}`);
    this.send(res, status, body);
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const rec: RecordedRequest = { method: req.method ?? 'GET', path: u.pathname, query: u.searchParams, headers: req.headers, body };
    this.requests.push(rec);
    const isToken = TOKEN_PATH.test(u.pathname);
    const fault = this.faults.find((f) => (f.times ?? 1) > 0 && (f.match ? f.match(rec) : !isToken));
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.drop) {
        req.socket.destroy();
        return;
      }
      if (fault.status === 401) this.revokeAccessTokens();
      this.send(res, fault.status ?? 500, fault.body ?? { code: 'FAULT', message: `injected HTTP ${fault.status}` }, fault.headers);
      return;
    }
    if (isToken) return this.token(req, res, body);
    const apiPath = u.pathname.replace(REGION_PREFIX, '');
    const m = SUB_PATH.exec(u.pathname);
    const bearer = String(req.headers.authorization ?? '');
    if (m && (!bearer.startsWith('Bearer ') || !this.validTokens.has(bearer.slice(7)))) {
      return this.error(res, 401, 'UNAUTHORIZED', 'Not authorized to access this advertiser');
    }
    const check = this.contract.validateRequest({ method: rec.method, path: apiPath, query: u.searchParams, headers: req.headers, body });
    if (!check.ok) {
      this.contractRejections.push({ method: rec.method, path: u.pathname, errors: check.errors });
      if (!check.routeFound) {
        const known = this.contract.match(rec.method, apiPath);
        return known ? this.error(res, 405, 'METHOD_NOT_ALLOWED', check.errors.join('; ')) : this.error(res, 404, 'NOT_FOUND', `no route ${rec.method} ${u.pathname}`);
      }
      return this.error(res, 400, 'BAD_REQUEST', check.errors.join('; '));
    }
    if (!m) return this.error(res, 404, 'NOT_FOUND', `no route ${req.method} ${u.pathname}`);
    const [, regionKey = '', dspPart, id] = m;
    const dsp = Boolean(dspPart);
    if (!this.authorized(req, res, dsp)) return;
    const scoped = this.subscriptions.filter((s) => s.region === regionKey && s.dsp === dsp);
    if (!id && req.method === 'POST') return this.create(res, rec, body, regionKey, dsp, scoped);
    if (!id && req.method === 'GET') return this.list(res, rec, u.searchParams, scoped);
    const sub = id ? scoped.find((s) => s.subscriptionId === decodeURIComponent(id)) : undefined;
    if (id && !sub) return this.error(res, 404, 'NOT_FOUND', `subscription ${decodeURIComponent(id)} not found`);
    if (sub && req.method === 'GET') return this.answer(res, rec, 200, { subscription: this.view(sub) });
    if (sub && req.method === 'PUT') return this.update(res, rec, body, sub);
    return this.error(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} not allowed`);
  }

  private token(req: IncomingMessage, res: ServerResponse, body: string): void {
    if (req.method !== 'POST' || !String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
      return this.send(res, 400, { error: 'invalid_request', error_description: 'form POST required' }, {}, 'application/json');
    }
    const f = new URLSearchParams(body);
    if (f.get('grant_type') !== 'refresh_token') return this.send(res, 400, { error: 'unsupported_grant_type' }, {}, 'application/json');
    if (f.get('client_id') !== this.clientId || f.get('client_secret') !== this.clientSecret) {
      return this.send(res, 401, { error: 'invalid_client', error_description: 'Client authentication failed' }, {}, 'application/json');
    }
    if (f.get('refresh_token') !== this.refreshToken) {
      return this.send(res, 400, { error: 'invalid_grant', error_description: 'The request has an invalid grant parameter : refresh_token' }, {}, 'application/json');
    }
    const token = `Atza|fake-access-${randomUUID()}`;
    this.issuedTokens.push(token);
    this.validTokens.add(token);
    this.send(res, 200, { access_token: token, refresh_token: this.refreshToken, token_type: 'bearer', expires_in: this.opts.expiresIn ?? 3600 }, {}, 'application/json');
  }

  /** What the service checks beyond the spec: the client, the profile or DSP account the login may use. */
  private authorized(req: IncomingMessage, res: ServerResponse, dsp: boolean): boolean {
    if (req.headers['amazon-advertising-api-clientid'] !== this.clientId) {
      this.error(res, 401, 'UNAUTHORIZED', 'Amazon-Advertising-API-ClientId does not match the access token');
      return false;
    }
    const scope = req.headers['amazon-advertising-api-scope'];
    if (!dsp && !scope && !req.headers['amazon-ads-accountid']) {
      this.error(res, 400, 'BAD_REQUEST', 'Amazon-Advertising-API-Scope (profile) or Amazon-Ads-AccountId header is required');
      return false;
    }
    if (scope !== undefined && !this.profiles.includes(String(scope))) {
      this.error(res, 403, 'FORBIDDEN', 'Profile is not accessible with this token');
      return false;
    }
    if (dsp) {
      // Presence is the spec's (required header parameter), checked before this.
      const account = String(req.headers['amazon-ads-account-id']);
      if (!this.adsAccounts.includes(account)) {
        this.error(res, 403, 'FORBIDDEN', 'Advertiser account is not accessible');
        return false;
      }
    }
    return true;
  }

  private view(s: FakeSubscription): Record<string, unknown> {
    const { region: _r, dsp: _d, ...rest } = s;
    return rest;
  }

  private create(res: ServerResponse, rec: RecordedRequest, body: string, region: string, dsp: boolean, scoped: FakeSubscription[]): void {
    let b: Record<string, unknown>;
    try {
      b = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return this.error(res, 400, 'BAD_REQUEST', 'body is not JSON');
    }
    const token = b.clientRequestToken;
    if (typeof token !== 'string' || token.length < 22 || token.length > 36) return this.error(res, 400, 'BAD_REQUEST', 'clientRequestToken must be 22-36 characters');
    const ds = AMS_DATASETS.find((d) => d.dataSetId === b.dataSetId);
    if (!ds) return this.error(res, 400, 'BAD_REQUEST', `Invalid dataSetId ${JSON.stringify(b.dataSetId)}`);
    if ((ds.family === 'dsp') !== dsp) return this.error(res, 400, 'BAD_REQUEST', `dataSetId ${ds.dataSetId} is not available on this path`);
    if (b.notes !== undefined && (typeof b.notes !== 'string' || b.notes.length > 128)) return this.error(res, 400, 'BAD_REQUEST', 'notes must be at most 128 characters');
    const d = b.destination as Record<string, Record<string, unknown>> | undefined;
    const keys = d && typeof d === 'object' ? Object.keys(d) : [];
    const sqs = d?.sqsDestination;
    const fh = d?.firehoseDestination;
    const validSqs = keys.length === 1 && sqs && typeof sqs.queueArn === 'string' && /^arn:aws:sqs:/.test(sqs.queueArn);
    const validFh = keys.length === 1 && fh && ['deliveryStreamArn', 'subscriberRoleArn', 'subscriptionRoleArn'].every((k) => typeof fh[k] === 'string');
    if (!validSqs && !validFh) return this.error(res, 400, 'BAD_REQUEST', 'destination must hold exactly one of sqsDestination.queueArn or firehoseDestination');
    const same = scoped.find((s) => s.clientRequestToken === token);
    if (same) {
      if (same.dataSetId !== ds.dataSetId || JSON.stringify(same.destination) !== JSON.stringify(d)) {
        return this.error(res, 400, 'BAD_REQUEST', 'clientRequestToken was already used for a different request');
      }
      return this.answer(res, rec, 200, { subscriptionId: same.subscriptionId, clientRequestToken: token });
    }
    const sub = this.seed({
      dataSetId: ds.dataSetId,
      status: this.opts.initialStatus ?? 'PENDING_CONFIRMATION',
      destination: d as FakeSubscription['destination'],
      notes: b.notes as string | undefined,
      clientRequestToken: token,
      region,
      dsp,
    });
    this.answer(res, rec, 200, { subscriptionId: sub.subscriptionId, clientRequestToken: token });
  }

  private list(res: ServerResponse, rec: RecordedRequest, q: URLSearchParams, scoped: FakeSubscription[]): void {
    const max = q.has('maxResults') ? Number(q.get('maxResults')) : 5000;
    if (!Number.isInteger(max) || max < 1 || max > 5000) return this.error(res, 400, 'BAD_REQUEST', 'maxResults must be 1-5000');
    const size = Math.min(max, this.opts.pageLimit ?? 5000);
    let start = 0;
    const tok = q.get('startingToken');
    if (tok !== null) {
      const m = /^page-(\d+)$/.exec(tok);
      if (!m) return this.error(res, 400, 'BAD_REQUEST', 'invalid startingToken');
      start = Number(m[1]);
    }
    const page = scoped.slice(start, start + size).map((s) => this.view(s));
    const next = start + size < scoped.length ? `page-${start + size}` : undefined;
    this.answer(res, rec, 200, { subscriptions: page, ...(next ? { nextToken: next } : {}) });
  }

  private update(res: ServerResponse, rec: RecordedRequest, body: string, sub: FakeSubscription): void {
    let b: Record<string, unknown>;
    try {
      b = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return this.error(res, 400, 'BAD_REQUEST', 'body is not JSON');
    }
    if (b.status !== undefined && b.status !== 'ARCHIVED') return this.error(res, 400, 'BAD_REQUEST', `Invalid status ${JSON.stringify(b.status)}; allowed: ARCHIVED`);
    if (b.notes !== undefined && (typeof b.notes !== 'string' || b.notes.length > 128)) return this.error(res, 400, 'BAD_REQUEST', 'notes must be at most 128 characters');
    if (b.status) sub.status = 'ARCHIVED';
    if (typeof b.notes === 'string') sub.notes = b.notes;
    sub.updatedDate = new Date(Date.UTC(2026, 0, 2, 0, 0, ++this.counter)).toISOString();
    this.answer(res, rec, 200);
  }
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Backoff waits the CLI asked for, ms. */
  sleeps: number[];
  /** Secrets (refresh token, client secret, any access token issued) that appeared in stdout or stderr. */
  leaked: string[];
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  /** Put the credentials in the environment (default) or leave them out (a credentials file supplies them). */
  credentialsInEnv?: boolean;
  homedir?: string;
  now?: () => number;
  runTerraform?: (cwd: string) => Promise<string>;
}

/** Runs the CLI's main() in-process against `fake`, capturing output and checking it for secrets. */
export async function runAms(fake: FakeAdsApi, argv: string[], o: RunOptions = {}): Promise<CliRun> {
  const { main } = await import('../../cli/ams/main.js');
  let stdout = '';
  let stderr = '';
  const sleeps: number[] = [];
  const credEnv =
    o.credentialsInEnv === false
      ? {}
      : {
          AD_API_REFRESH_TOKEN: fake.refreshToken,
          AD_API_CLIENT_ID: fake.clientId,
          AD_API_CLIENT_SECRET: fake.clientSecret,
          AD_API_PROFILE_ID: fake.profiles[0],
        };
  const code = await main(argv, {
    env: { ...fake.env(), ...credEnv, ...o.env },
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    homedir: o.homedir ?? '/nonexistent-home',
    platform: 'linux',
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    now: o.now,
    runTerraform: o.runTerraform,
  });
  const all = stdout + stderr;
  const leaked = [fake.refreshToken, fake.clientSecret, ...fake.issuedTokens].filter((s) => all.includes(s));
  return { code, stdout, stderr, sleeps, leaked };
}

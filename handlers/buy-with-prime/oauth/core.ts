/**
 * The Buy with Prime install app: a framework-free router over plain request/response values, so the same code
 * runs behind API Gateway (index.ts, Lambda) and as a node:http server (server.ts, Fargate).
 *
 *   GET  /launch     new state + PKCE verifier (crypto-random), stored with a short TTL, 302 to the authorize URL
 *   GET  /install    callback: verification-token + requestHash, one-time state, code exchange, tokens stored
 *   GET  /settings   verification-token; shows the installation's status
 *   POST /uninstall  verification-token; deletes the installation's tokens
 *   GET  /health     200 when the process serves requests
 *
 * Every failure answers with a clear 4xx/5xx page carrying a correlation id (also in the x-correlation-id
 * header and in the log entry), stores nothing, and never echoes a token, code or secret.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { BWP_ROUTE_TABLE, type BwpRouteName } from '../../../contracts/buy-with-prime.js';
import type { Log } from '../lib/log.js';
import type { OAuthClient } from '../lib/oauth-client.js';
import type { TokenStore } from '../lib/token-store.js';
import type { TokenService } from '../lib/token-service.js';
import { VerificationError, type VerificationTokenVerifier, type VerifiedToken } from '../lib/verification.js';

export interface AppRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  /** Raw query string without the leading "?". */
  readonly rawQuery: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Uint8Array;
  /** Request id from the platform (API Gateway), used as correlation id when present. */
  readonly requestId?: string;
}

export interface AppResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface AppDeps {
  /** Public origin of the app, e.g. "https://bwp.example.com"; the install URL is `<publicBaseUrl>/install`. */
  readonly publicBaseUrl: string;
  /** How long a launch may take before its state expires, seconds. */
  readonly launchTtlSeconds: number;
  readonly store: TokenStore;
  readonly tokens: TokenService;
  /** The OAuth client (created lazily: it needs the client secret from Secrets Manager). */
  readonly oauth: () => Promise<OAuthClient>;
  readonly verifier: VerificationTokenVerifier;
  readonly log: Log;
  readonly now?: () => number;
}

export type App = (req: AppRequest) => Promise<AppResponse>;

type Route = (req: AppRequest, ctx: Context) => Promise<AppResponse>;

interface Context {
  readonly correlationId: string;
  readonly deps: AppDeps;
  readonly now: () => number;
}

/** An HTTP failure with a status and a message safe to show to the browser. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
  }
}

/** The redirect URI: `<publicBaseUrl>/install`, normalized (lower-case scheme and host) as URL parsing does. */
export function installUrl(publicBaseUrl: string): string {
  return new URL(BWP_ROUTE_TABLE.install.path, publicBaseUrl).href;
}

const SECURITY_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // The install URL carries the authorization code: never send it on as a Referer.
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
};

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function page(status: number, title: string, message: string, correlationId: string): AppResponse {
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222}code{background:#f3f3f3;padding:0 .3rem}</style></head>
<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>
<p><small>Correlation id: <code>${escapeHtml(correlationId)}</code></small></p></body></html>
`;
  return { status, headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'x-correlation-id': correlationId }, body };
}

function json(status: number, value: unknown, correlationId: string): AppResponse {
  return {
    status,
    headers: { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'x-correlation-id': correlationId },
    body: JSON.stringify(value),
  };
}

function query(req: AppRequest): URLSearchParams {
  return new URLSearchParams(req.rawQuery);
}

async function verify(req: AppRequest, ctx: Context): Promise<string> {
  return (await verifyToken(req, ctx)).installationId;
}

/** Claims of a verification token that may name the merchant's business product. */
export const BUSINESS_PRODUCT_CLAIMS = ['businessProductId', 'targetId'] as const;

async function verifyToken(req: AppRequest, ctx: Context): Promise<VerifiedToken> {
  try {
    const verified = await ctx.deps.verifier.verify({ path: req.path, rawQuery: req.rawQuery, headers: req.headers, body: req.body });
    // Each token is accepted once: a captured request replayed (even after a reinstall) is refused.
    if (!(await ctx.deps.store.claimVerificationToken(verified.tokenHash, verified.expiresAt, ctx.now()))) {
      throw new VerificationError('replayed', 'the verification-token was already used');
    }
    return verified;
  } catch (err) {
    if (err instanceof VerificationError) {
      throw new HttpError(401, 'Request not verified', `This request could not be verified as coming from Buy with Prime: ${err.message}.`, err.reason);
    }
    throw err;
  }
}

/**
 * The cookie binding a launch to the browser that started it: `__Host-` (Secure, Path=/, no Domain), HttpOnly,
 * SameSite=Lax (sent on the top-level GET redirect back to /install), as long as the launch lives.
 */
export const LAUNCH_COOKIE = '__Host-bwp-launch';

function sha256(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

function cookie(req: AppRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const launch: Route = async (_req, ctx) => {
  const client = await ctx.deps.oauth();
  const { state, codeVerifier, authorizationUrl } = await client.launch(installUrl(ctx.deps.publicBaseUrl));
  const binding = randomBytes(32).toString('base64url');
  await ctx.deps.store.putLaunch(state, codeVerifier, ctx.now(), ctx.deps.launchTtlSeconds, sha256(binding));
  ctx.deps.log.info('launch started', { correlationId: ctx.correlationId, launchTtlSeconds: ctx.deps.launchTtlSeconds });
  return {
    status: 302,
    headers: {
      ...SECURITY_HEADERS,
      location: authorizationUrl.href,
      'set-cookie': `${LAUNCH_COOKIE}=${binding}; Max-Age=${ctx.deps.launchTtlSeconds}; Path=/; Secure; HttpOnly; SameSite=Lax`,
      'x-correlation-id': ctx.correlationId,
      'content-type': 'text/plain; charset=utf-8',
    },
    body: 'Redirecting to Buy with Prime',
  };
};

const install: Route = async (req, ctx) => {
  const q = query(req);
  const oauthError = q.get('error');
  if (oauthError) {
    throw new HttpError(400, 'Installation not authorized', `Buy with Prime did not authorize the installation (${oauthError.slice(0, 100)}).`, 'authorization_error');
  }
  const code = q.get('code');
  const state = q.get('state');
  if (!code || !state) throw new HttpError(400, 'Invalid install request', 'The install request lacks the code or state parameter.', 'missing_parameter');
  const verified = await verifyToken(req, ctx);
  const installationId = verified.installationId;
  const binding = cookie(req, LAUNCH_COOKIE);
  const launchRecord = binding ? await ctx.deps.store.consumeLaunch(state, ctx.now(), sha256(binding)) : undefined;
  if (!launchRecord) {
    throw new HttpError(
      400,
      'Invalid or expired state',
      'This install link is unknown, expired, was already used, or was started in another browser. Start the installation again from Buy with Prime.',
      binding ? 'bad_state' : 'no_launch_cookie',
    );
  }
  let tokens;
  try {
    const client = await ctx.deps.oauth();
    tokens = await client.exchangeCode(installUrl(ctx.deps.publicBaseUrl), q, state, launchRecord.codeVerifier);
  } catch (err) {
    ctx.deps.log.error('authorization code exchange failed', { correlationId: ctx.correlationId, installationId, error: err });
    throw new HttpError(502, 'Installation failed', 'Buy with Prime did not accept the authorization code. Start the installation again.', 'exchange_failed');
  }
  // The business product this installation acts for: Buy with Prime events name it, not the installation.
  const fromClaims = BUSINESS_PRODUCT_CLAIMS.map((c) => verified.claims[c]).find((v): v is string => typeof v === 'string' && /^[A-Za-z0-9._:-]{1,200}$/.test(v));
  const businessProductId = fromClaims ?? tokens.businessProductId;
  const version = await ctx.deps.tokens.saveInstallation(installationId, tokens, businessProductId);
  ctx.deps.log.info('installation stored', {
    correlationId: ctx.correlationId, installationId, version, businessProductId, hasRefreshToken: !!tokens.refreshToken, expiresIn: tokens.expiresIn,
  });
  if (!businessProductId) {
    ctx.deps.log.warn('installation stored without a business product id: its events cannot be routed to it', { correlationId: ctx.correlationId, installationId });
  }
  const done = page(200, 'Installed', `The app is installed for installation ${installationId}. You can close this window.`, ctx.correlationId);
  return { ...done, headers: { ...done.headers, 'set-cookie': `${LAUNCH_COOKIE}=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax` } };
};

const settings: Route = async (req, ctx) => {
  const installationId = await verify(req, ctx);
  const rec = await ctx.deps.store.getInstallation(installationId);
  ctx.deps.log.info('settings viewed', { correlationId: ctx.correlationId, installationId, state: rec?.state ?? 'none' });
  const status =
    !rec ? `Installation ${installationId} is not connected: install the app from Buy with Prime.`
    : rec.state === 'uninstalled' ? `Installation ${installationId} is not connected (uninstalled): install the app again from Buy with Prime to reconnect it.`
    : rec.state === 'needs_reauth'
      ? `Installation ${installationId} needs reauthorization: Buy with Prime refused its refresh token (${rec.reauthReason ?? 'invalid_grant'}). Install the app again from Buy with Prime; events wait until then.`
    : `Installation ${installationId} is connected (state active, token version ${rec.version}, last renewed ${new Date(rec.updatedAt).toISOString()}${rec.businessProductId ? `, business product ${rec.businessProductId}` : ''}).`;
  return page(200, 'Settings', status, ctx.correlationId);
};

const uninstall: Route = async (req, ctx) => {
  const installationId = await verify(req, ctx);
  const existed = await ctx.deps.tokens.deleteInstallation(installationId);
  ctx.deps.log.info('installation removed', { correlationId: ctx.correlationId, installationId, existed });
  return json(200, { status: existed ? 'uninstalled' : 'not_installed', installationId, correlationId: ctx.correlationId }, ctx.correlationId);
};

const health: Route = async (_req, ctx) => json(200, { status: 'ok' }, ctx.correlationId);

const ROUTE_HANDLERS: Record<BwpRouteName, Route> = { launch, install, settings, uninstall, health };

/** Path -> method -> route, from the routes of contracts/buy-with-prime.ts (the API Gateway routes the stack declares). */
const ROUTES: Record<string, Partial<Record<string, Route>>> = {};
for (const [name, { method, path }] of Object.entries(BWP_ROUTE_TABLE) as [BwpRouteName, (typeof BWP_ROUTE_TABLE)[BwpRouteName]][]) {
  (ROUTES[path] ??= {})[method] = ROUTE_HANDLERS[name];
}

export function createApp(deps: AppDeps): App {
  const now = deps.now ?? Date.now;
  return async (req) => {
    const correlationId = req.requestId && /^[A-Za-z0-9=._-]{1,100}$/.test(req.requestId) ? req.requestId : randomUUID();
    const ctx: Context = { correlationId, deps, now };
    const path = req.path.length > 1 ? req.path.replace(/\/+$/, '') : req.path;
    const methods = ROUTES[path];
    const method = req.method.toUpperCase();
    try {
      if (!methods) throw new HttpError(404, 'Not found', 'There is nothing at this address.', 'not_found');
      const route = methods[method];
      if (!route) {
        const res = page(405, 'Method not allowed', `Use ${Object.keys(methods).join(', ')} for this address.`, correlationId);
        return { ...res, headers: { ...res.headers, allow: Object.keys(methods).join(', ') } };
      }
      // Routed on the normalized path; verified over the path as received (the request hash covers it).
      return await route(req, ctx);
    } catch (err) {
      if (err instanceof HttpError) {
        if (err.status !== 404) {
          deps.log.warn('request rejected', { correlationId, path, status: err.status, reason: err.reason, detail: err.message });
        }
        return page(err.status, err.title, err.message, correlationId);
      }
      deps.log.error('request failed', { correlationId, path, error: err });
      return page(500, 'Something went wrong', 'The request failed on our side. Try again; if it keeps failing, quote the correlation id.', correlationId);
    }
  };
}

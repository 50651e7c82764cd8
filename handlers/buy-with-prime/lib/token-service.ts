/**
 * Gives callers a valid Buy with Prime access token for an installation, refreshing it ahead of expiry
 * (access tokens last 15 minutes).
 *
 * Concurrency: callers in one process share one in-flight refresh per installation; callers in different
 * processes (Lambda instances, Fargate tasks) coordinate through a conditional-write lease on the token item,
 * so concurrent callers cause exactly one refresh request. The refreshed tokens are written with
 * compare-and-set on `version` only: whoever refreshed refresh token v holds its only successor (Buy with Prime
 * rotates refresh tokens), so that result is stored even if the lease ran out meanwhile. A token request is sent
 * only while the lease has at least `minLeaseRemainingMs` left (more than the token endpoint timeout). A caller
 * that loses the lease race returns the current token while it is still valid, and otherwise waits (polling with
 * backoff) for the lease holder's write, or takes over the lease once it expires (a crashed holder). A refresh
 * refused with `invalid_grant` is checked against the store again: if a newer version appears (another worker's
 * rotation), that one is used.
 */
import { randomUUID } from 'node:crypto';
import { BWP_TOKEN_CONTEXT } from '../../../contracts/buy-with-prime.js';
import { open, seal, type DataKeyCipher, type EncryptionContext } from './kms.js';
import type { Log } from './log.js';
import { BWP_METRICS, type Metrics } from './metrics.js';
import type { InstallationRecord, TokenStore } from './token-store.js';

/** Access token lifetime assumed when the token endpoint omits `expires_in` (Buy with Prime: 15 minutes). */
export const DEFAULT_ACCESS_TOKEN_SECONDS = 900;

export interface TokenSet {
  readonly accessToken: string;
  readonly refreshToken?: string;
  /** Seconds the access token is valid from now. */
  readonly expiresIn?: number;
  readonly scope?: string;
  /**
   * The merchant's business product id when the token response names it (`business_product_id`, `target_id`; see
   * docs/buy-with-prime.md "Business products"). Recorded at install time; never stored with the tokens.
   */
  readonly businessProductId?: string;
}

/** Exchanges a refresh token for new tokens at the authorization server. */
export type Refresher = (refreshToken: string) => Promise<TokenSet>;

export class NotInstalledError extends Error {
  override readonly name = 'NotInstalledError';
  constructor(readonly installationId: string) {
    super(`installation ${installationId} has no stored tokens (not installed, or uninstalled)`);
  }
}

/** The stored tokens cannot be renewed: the merchant must reinstall (or the refresh grant was refused). */
export class ReauthorizationRequiredError extends Error {
  override readonly name = 'ReauthorizationRequiredError';
  constructor(readonly installationId: string, reason: string) {
    super(`installation ${installationId} needs to be reauthorized: ${reason}`);
  }
}

export class TokenRefreshTimeoutError extends Error {
  override readonly name = 'TokenRefreshTimeoutError';
  constructor(readonly installationId: string) {
    super(`timed out waiting for another worker to refresh the token of installation ${installationId}`);
  }
}

export interface TokenServiceOptions {
  readonly store: TokenStore;
  readonly cipher: DataKeyCipher;
  readonly refresher: Refresher;
  readonly log?: Log;
  /** Counts installations that move to needs_reauth. */
  readonly metrics?: Metrics;
  /** Refresh when fewer than this many seconds of validity remain. Default 120. */
  readonly refreshAheadSeconds?: number;
  /** How long a refresh lease lasts, ms. Default 15000 (longer than a token request can take). */
  readonly leaseMs?: number;
  /**
   * A token request is sent only if the lease has at least this long left, ms. Default 11000 (the token
   * endpoint timeout is 10 s), so a request never outlives its lease unless the network misbehaves.
   */
  readonly minLeaseRemainingMs?: number;
  /** After invalid_grant on a lease taken over from another worker: how long to wait for its write, ms. Default 5000. */
  readonly invalidGrantGraceMs?: number;
  /** How long a caller waits for another worker's refresh, ms. Default 20000. */
  readonly waitTimeoutMs?: number;
  /** First poll interval while waiting, ms (doubles up to 1 s). Default 50. */
  readonly pollMs?: number;
  /** Clock, epoch ms. Default Date.now. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Lease owner id of this process. Default a random UUID. */
  readonly ownerId?: string;
}

export function tokenContext(installationId: string): EncryptionContext {
  return { [BWP_TOKEN_CONTEXT.purposeKey]: BWP_TOKEN_CONTEXT.purpose, [BWP_TOKEN_CONTEXT.installationKey]: installationId };
}

interface Cached {
  readonly accessToken: string;
  readonly expiresAt: number;
  readonly version: number;
}

export class TokenService {
  private readonly store: TokenStore;
  private readonly cipher: DataKeyCipher;
  private readonly refresher: Refresher;
  private readonly log?: Log;
  private readonly metrics?: Metrics;
  private readonly aheadMs: number;
  private readonly leaseMs: number;
  private readonly minLeaseRemainingMs: number;
  private readonly invalidGrantGraceMs: number;
  private readonly waitTimeoutMs: number;
  private readonly pollMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  readonly ownerId: string;
  private readonly cache = new Map<string, Cached>();
  private readonly inFlight = new Map<string, Promise<string>>();
  /** Token requests this instance made (refresh grants), for metrics and tests. */
  refreshCount = 0;

  constructor(opts: TokenServiceOptions) {
    this.store = opts.store;
    this.cipher = opts.cipher;
    this.refresher = opts.refresher;
    this.log = opts.log;
    this.metrics = opts.metrics;
    this.aheadMs = (opts.refreshAheadSeconds ?? 120) * 1000;
    this.leaseMs = opts.leaseMs ?? 15_000;
    this.minLeaseRemainingMs = Math.min(opts.minLeaseRemainingMs ?? 11_000, this.leaseMs);
    this.invalidGrantGraceMs = opts.invalidGrantGraceMs ?? 5_000;
    this.waitTimeoutMs = opts.waitTimeoutMs ?? 20_000;
    this.pollMs = opts.pollMs ?? 50;
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.ownerId = opts.ownerId ?? randomUUID();
  }

  /** Stores the tokens of a new installation (or a reinstallation) and returns the stored version. */
  async saveInstallation(installationId: string, tokens: TokenSet, businessProductId?: string): Promise<number> {
    const nowMs = this.now();
    const expiresAt = expiry(nowMs, tokens.expiresIn);
    const sealed = await seal(this.cipher, tokenContext(installationId), fieldsOf(tokens));
    const version = await this.store.saveInstallation(installationId, sealed, expiresAt, tokens.scope, nowMs, businessProductId);
    this.cache.set(installationId, { accessToken: tokens.accessToken, expiresAt: expiresAt * 1000, version });
    return version;
  }

  /** Deletes an installation's tokens. Returns whether there were any. */
  async deleteInstallation(installationId: string): Promise<boolean> {
    this.cache.delete(installationId);
    return this.store.deleteInstallation(installationId, this.now());
  }

  /** Forgets the cached token (e.g. after the API rejected it) so the next call reads the store. */
  invalidate(installationId: string): void {
    this.cache.delete(installationId);
  }

  /** A valid access token for `installationId`, refreshed ahead of expiry when needed. */
  async getAccessToken(installationId: string): Promise<string> {
    const cached = this.cache.get(installationId);
    if (cached && cached.expiresAt - this.aheadMs > this.now()) return cached.accessToken;
    const running = this.inFlight.get(installationId);
    if (running) return running;
    const p = this.resolve(installationId).finally(() => this.inFlight.delete(installationId));
    this.inFlight.set(installationId, p);
    return p;
  }

  private async resolve(installationId: string): Promise<string> {
    const deadline = this.now() + this.waitTimeoutMs;
    let delay = this.pollMs;
    for (;;) {
      const rec = await this.store.getInstallation(installationId);
      if (!rec || rec.state === 'uninstalled' || !rec.sealed.fields.access_token) {
        this.cache.delete(installationId);
        throw new NotInstalledError(installationId);
      }
      const nowMs = this.now();
      const expiresAtMs = rec.expiresAt * 1000;
      if (expiresAtMs - this.aheadMs > nowMs) return this.accessTokenOf(rec);

      if (rec.state === 'needs_reauth') {
        // Dead installation: no token requests (Buy with Prime throttles rapid ones) until the merchant reinstalls.
        if (expiresAtMs > nowMs) return this.accessTokenOf(rec);
        throw new ReauthorizationRequiredError(installationId, `needs reauthorization since an earlier refresh was refused (${rec.reauthReason ?? 'invalid_grant'})`);
      }
      if (!rec.hasRefreshToken) {
        if (expiresAtMs > nowMs) return this.accessTokenOf(rec);
        throw new ReauthorizationRequiredError(installationId, 'the access token expired and no refresh token was issued');
      }

      const leaseFree = rec.leaseUntil === undefined || rec.leaseUntil < nowMs;
      if (leaseFree && (await this.store.acquireLease(installationId, rec.version, this.ownerId, nowMs, this.leaseMs))) {
        // A lease whose owner is still recorded was taken over: that worker's request may still complete.
        const tookOver = rec.leaseOwner !== undefined && rec.leaseOwner !== this.ownerId;
        const outcome = await this.refresh(rec, nowMs + this.leaseMs, tookOver);
        if (outcome.kind === 'token') return outcome.accessToken;
        if (outcome.kind === 'newer') continue;
        // 'retry': the lease ran short before the token request; read again.
        continue;
      }
      // Another worker is refreshing (or just did). Its token is still usable until it really expires.
      if (expiresAtMs > nowMs + 5_000) return this.accessTokenOf(rec);
      if (this.now() > deadline) throw new TokenRefreshTimeoutError(installationId);
      await this.sleep(delay);
      delay = Math.min(delay * 2, 1_000);
    }
  }

  private async accessTokenOf(rec: InstallationRecord): Promise<string> {
    const cached = this.cache.get(rec.installationId);
    if (cached && cached.version === rec.version) return cached.accessToken;
    const { access_token } = await open(this.cipher, tokenContext(rec.installationId), rec.sealed, ['access_token']);
    this.cache.set(rec.installationId, { accessToken: access_token, expiresAt: rec.expiresAt * 1000, version: rec.version });
    return access_token;
  }

  /**
   * Holding the lease at `rec.version` until `leaseUntil`: refresh, then compare-and-set the new tokens on the
   * version. Returns the new access token; or 'retry' when too little lease was left to send the token request;
   * or 'newer' when the refresh token was refused but a newer version was stored meanwhile.
   */
  private async refresh(rec: InstallationRecord, leaseUntil: number, tookOver: boolean): Promise<RefreshOutcome> {
    const id = rec.installationId;
    let tokens: TokenSet;
    let oldRefresh: string;
    try {
      ({ refresh_token: oldRefresh } = await open(this.cipher, tokenContext(id), rec.sealed, ['refresh_token']));
      const remaining = leaseUntil - this.now();
      if (remaining < this.minLeaseRemainingMs) {
        // KMS (or this process) was slow: a token request now could outlive the lease. Start over.
        await this.store.releaseLease(id, this.ownerId);
        this.log?.warn('lease too short for a token request; retrying', { installationId: id, version: rec.version, remainingMs: remaining });
        return { kind: 'retry' };
      }
      this.refreshCount++;
      tokens = await this.refresher(oldRefresh);
    } catch (err) {
      await this.store.releaseLease(id, this.ownerId);
      this.log?.warn('token refresh failed', { installationId: id, version: rec.version, error: err });
      if (isInvalidGrant(err)) {
        // Someone else may have rotated refresh token v: use their stored successor if it exists (or appears).
        if (await this.newerVersionStored(id, rec.version, tookOver ? this.invalidGrantGraceMs : 0)) {
          this.log?.info('refresh token was rotated by another worker; using the stored successor', { installationId: id, version: rec.version });
          return { kind: 'newer' };
        }
        if (await this.store.markNeedsReauth(id, rec.version, 'invalid_grant', this.now())) {
          this.metrics?.count(BWP_METRICS.installationsNeedingReauth, { installationId: id });
          this.log?.error('installation needs reauthorization: the newest refresh token was refused', { installationId: id, version: rec.version });
        }
        this.cache.delete(id);
        throw new ReauthorizationRequiredError(id, 'the authorization server refused the refresh token');
      }
      throw err;
    }
    const nowMs = this.now();
    const expiresAt = expiry(nowMs, tokens.expiresIn);
    // Keep the old refresh token when the server does not rotate it.
    const sealed = await seal(this.cipher, tokenContext(id), fieldsOf({ ...tokens, refreshToken: tokens.refreshToken ?? oldRefresh }));
    const version = await this.store.completeRefresh(id, rec.version, this.ownerId, sealed, expiresAt, tokens.scope ?? rec.scope, nowMs);
    if (version === undefined) {
      // The item moved past version v without us (a reinstall or uninstall): those tokens win.
      this.log?.warn('refreshed token lost the compare-and-set to a newer version (reinstall or uninstall)', { installationId: id, version: rec.version });
      return { kind: 'newer' };
    }
    this.cache.set(id, { accessToken: tokens.accessToken, expiresAt: expiresAt * 1000, version });
    this.log?.info('access token refreshed', { installationId: id, version, expiresAt });
    return { kind: 'token', accessToken: tokens.accessToken };
  }

  /** Whether a version newer than `version` is stored, waiting up to `graceMs` for one to appear. */
  private async newerVersionStored(installationId: string, version: number, graceMs: number): Promise<boolean> {
    const deadline = this.now() + graceMs;
    let delay = this.pollMs;
    for (;;) {
      const rec = await this.store.getInstallation(installationId);
      if (!rec || rec.version > version) return true;
      if (this.now() >= deadline) return false;
      await this.sleep(delay);
      delay = Math.min(delay * 2, 1_000);
    }
  }
}

type RefreshOutcome = { kind: 'token'; accessToken: string } | { kind: 'retry' } | { kind: 'newer' };

function expiry(nowMs: number, expiresIn: number | undefined): number {
  const seconds = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : DEFAULT_ACCESS_TOKEN_SECONDS;
  return Math.floor(nowMs / 1000) + Math.floor(seconds);
}

function fieldsOf(tokens: TokenSet): Record<string, string> {
  return tokens.refreshToken ? { access_token: tokens.accessToken, refresh_token: tokens.refreshToken } : { access_token: tokens.accessToken };
}

function isInvalidGrant(err: unknown): boolean {
  const e = err as { error?: string; code?: string; cause?: { error?: string } };
  return e?.error === 'invalid_grant' || e?.cause?.error === 'invalid_grant';
}

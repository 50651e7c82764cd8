/**
 * The Buy with Prime token store: one DynamoDB table holding
 *
 * - one item per installation (`pk = "installation#<installationId>"`): the KMS-envelope-encrypted access and
 *   refresh tokens, `expires_at` (epoch seconds), `version` (incremented by every write, used for
 *   compare-and-set), `updated_at` (epoch ms), `scope`, and while a refresh is running a lease
 *   (`lease_owner`, `lease_until` epoch ms);
 * - one item per business product (`pk = "businessProduct#<businessProductId>"`) naming the installation it
 *   belongs to, recorded at install time: Buy with Prime events name the business product in their `resources`
 *   paths, not the installation;
 * - one item per launch in progress (`pk = "launch#<sha256(state)>"`): the PKCE verifier and a `ttl` attribute
 *   (epoch seconds) so DynamoDB deletes abandoned launches. The state itself is never stored, only its hash.
 *
 * Every conditional write reports a lost race as `false` rather than an exception.
 */
import { createHash } from 'node:crypto';
import {
  ConditionalCheckFailedException, DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand,
  type AttributeValue, type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { Sealed } from './kms.js';

/** Name of the partition key attribute of the token table. */
export const TOKEN_TABLE_KEY = 'pk';
/** Name of the TTL attribute of the token table (launch items only). */
export const TOKEN_TABLE_TTL = 'ttl';

/**
 * The installation state machine: `active` (tokens stored, refreshed ahead of expiry) -> `needs_reauth` (the
 * authorization server refused the refresh token: no further token requests until the merchant installs again)
 * -> `active` (reinstall); any state -> `uninstalled` (POST /uninstall; tokens deleted) -> `active` (reinstall).
 */
export const INSTALLATION_STATES = ['active', 'needs_reauth', 'uninstalled'] as const;
export type InstallationState = (typeof INSTALLATION_STATES)[number];

export interface InstallationRecord {
  readonly installationId: string;
  /** Items written before states existed have none: they are `active`. */
  readonly state: InstallationState;
  readonly businessProductId?: string;
  /** Why the installation needs reauthorization (needs_reauth only). */
  readonly reauthReason?: string;
  readonly sealed: Sealed;
  /** Access token expiry, epoch seconds. */
  readonly expiresAt: number;
  readonly version: number;
  /** Epoch milliseconds of the last write. */
  readonly updatedAt: number;
  readonly scope?: string;
  readonly hasRefreshToken: boolean;
  readonly leaseOwner?: string;
  /** Epoch milliseconds until which `leaseOwner` may refresh. */
  readonly leaseUntil?: number;
}

export interface LaunchRecord {
  readonly codeVerifier: string;
  readonly createdAt: number;
}

export function replayKey(tokenHash: string): string {
  return `replay#${tokenHash}`;
}

export function installationKey(installationId: string): string {
  return `installation#${installationId}`;
}

export function businessProductKey(businessProductId: string): string {
  return `businessProduct#${businessProductId}`;
}

export function launchKey(state: string): string {
  return `launch#${createHash('sha256').update(state, 'utf8').digest('hex')}`;
}

function isConditionFailure(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || (err as { name?: string })?.name === 'ConditionalCheckFailedException';
}

const S = (v: string): AttributeValue => ({ S: v });
const N = (v: number): AttributeValue => ({ N: String(v) });

function sealedAttributes(sealed: Sealed): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = { ':dk': S(sealed.dataKey), ':at': S(sealed.fields.access_token ?? '') };
  return out;
}

export class TokenStore {
  constructor(
    private readonly ddb: DynamoDBClient,
    readonly tableName: string,
  ) {}

  // ---- launches -------------------------------------------------------------------------------------------

  /**
   * Records a verification token (by hash) until its `exp`: true the first time, false for a replay. DynamoDB
   * deletes the entry after `expiresAt` (TTL); the token is refused by its `exp` from then on anyway.
   */
  async claimVerificationToken(tokenHash: string, expiresAt: number, nowMs: number): Promise<boolean> {
    try {
      await this.ddb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { [TOKEN_TABLE_KEY]: S(replayKey(tokenHash)), kind: S('replay'), created_at: N(nowMs), [TOKEN_TABLE_TTL]: N(expiresAt) },
          ConditionExpression: 'attribute_not_exists(#pk) OR #ttl < :now',
          ExpressionAttributeNames: { '#pk': TOKEN_TABLE_KEY, '#ttl': TOKEN_TABLE_TTL },
          ExpressionAttributeValues: { ':now': N(Math.floor(nowMs / 1000)) },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /**
   * Records a launch; it can be consumed once, until `ttlSeconds` after `nowMs`, by the browser holding the cookie
   * whose sha256 is `browserBinding`.
   */
  async putLaunch(state: string, codeVerifier: string, nowMs: number, ttlSeconds: number, browserBinding: string): Promise<void> {
    await this.ddb.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          [TOKEN_TABLE_KEY]: S(launchKey(state)),
          kind: S('launch'),
          browser_binding: S(browserBinding),
          code_verifier: S(codeVerifier),
          created_at: N(nowMs),
          [TOKEN_TABLE_TTL]: N(Math.floor(nowMs / 1000) + ttlSeconds),
        },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': TOKEN_TABLE_KEY },
      }),
    );
  }

  /**
   * Deletes the launch for `state` and returns it, if it exists, has not expired (DynamoDB's TTL deletion is
   * lazy, so expiry is checked in the condition too) and is bound to `browserBinding`. A second call for the same
   * state returns undefined.
   */
  async consumeLaunch(state: string, nowMs: number, browserBinding: string): Promise<LaunchRecord | undefined> {
    try {
      const out = await this.ddb.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { [TOKEN_TABLE_KEY]: S(launchKey(state)) },
          // Another browser's callback (no or a wrong cookie) neither consumes nor learns anything about the state.
          ConditionExpression: 'attribute_exists(#pk) AND #ttl > :now AND browser_binding = :b',
          ExpressionAttributeNames: { '#pk': TOKEN_TABLE_KEY, '#ttl': TOKEN_TABLE_TTL },
          ExpressionAttributeValues: { ':now': N(Math.floor(nowMs / 1000)), ':b': S(browserBinding) },
          ReturnValues: 'ALL_OLD',
        }),
      );
      const item = out.Attributes;
      if (!item?.code_verifier?.S) return undefined;
      return { codeVerifier: item.code_verifier.S, createdAt: Number(item.created_at?.N ?? 0) };
    } catch (err) {
      if (isConditionFailure(err)) return undefined;
      throw err;
    }
  }

  // ---- installations --------------------------------------------------------------------------------------

  async getInstallation(installationId: string): Promise<InstallationRecord | undefined> {
    const out = await this.ddb.send(
      new GetItemCommand({ TableName: this.tableName, Key: { [TOKEN_TABLE_KEY]: S(installationKey(installationId)) }, ConsistentRead: true }),
    );
    const item = out.Item;
    if (!item) return undefined;
    const fields: Record<string, string> = {};
    if (item.access_token_enc?.S) fields.access_token = item.access_token_enc.S;
    if (item.refresh_token_enc?.S) fields.refresh_token = item.refresh_token_enc.S;
    const state = (INSTALLATION_STATES as readonly string[]).includes(item.state?.S ?? '') ? (item.state!.S as InstallationState) : 'active';
    return {
      installationId,
      state,
      businessProductId: item.business_product_id?.S,
      reauthReason: item.reauth_reason?.S,
      sealed: { dataKey: item.data_key_enc?.S ?? '', fields },
      expiresAt: Number(item.expires_at?.N ?? 0),
      version: Number(item.version?.N ?? 0),
      updatedAt: Number(item.updated_at?.N ?? 0),
      scope: item.scope?.S,
      hasRefreshToken: !!item.refresh_token_enc?.S,
      leaseOwner: item.lease_owner?.S,
      leaseUntil: item.lease_until?.N ? Number(item.lease_until.N) : undefined,
    };
  }

  /**
   * Stores the tokens of a (re)installation unconditionally: a new item gets version 1, an existing one its
   * version + 1, and any refresh lease is dropped. Returns the new version.
   */
  async saveInstallation(
    installationId: string, sealed: Sealed, expiresAt: number, scope: string | undefined, nowMs: number, businessProductId?: string,
  ): Promise<number> {
    const { set, names, values, remove } = this.tokenUpdate(sealed, expiresAt, scope, nowMs);
    set.push('#state = :active');
    names['#state'] = 'state';
    values[':active'] = S('active');
    if (businessProductId) {
      set.push('business_product_id = :bp');
      values[':bp'] = S(businessProductId);
    }
    const out = await this.ddb.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { [TOKEN_TABLE_KEY]: S(installationKey(installationId)) },
        UpdateExpression: `SET ${[...set, 'version = if_not_exists(version, :zero) + :one', 'kind = :kind', 'installation_id = :iid'].join(', ')} REMOVE ${['lease_owner', 'lease_until', 'reauth_reason', 'reauth_since', ...remove].join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ...values, ':zero': N(0), ':one': N(1), ':kind': S('installation'), ':iid': S(installationId) },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    if (businessProductId) {
      await this.ddb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { [TOKEN_TABLE_KEY]: S(businessProductKey(businessProductId)), kind: S('business_product'), installation_id: S(installationId), updated_at: N(nowMs) },
        }),
      );
    }
    return Number(out.Attributes?.version?.N ?? 0);
  }

  /** The installation a business product belongs to (recorded at install time), if any. */
  async installationForBusinessProduct(businessProductId: string): Promise<string | undefined> {
    const out = await this.ddb.send(
      new GetItemCommand({ TableName: this.tableName, Key: { [TOKEN_TABLE_KEY]: S(businessProductKey(businessProductId)) }, ConsistentRead: true }),
    );
    return out.Item?.installation_id?.S;
  }

  /**
   * Takes the refresh lease of an installation for `owner` until `nowMs + leaseMs`, only if the stored version
   * is still `version` and nobody else holds an unexpired lease. Returns whether the lease was taken.
   */
  async acquireLease(installationId: string, version: number, owner: string, nowMs: number, leaseMs: number): Promise<boolean> {
    try {
      await this.ddb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [TOKEN_TABLE_KEY]: S(installationKey(installationId)) },
          UpdateExpression: 'SET lease_owner = :owner, lease_until = :until',
          ConditionExpression: 'version = :v AND (attribute_not_exists(lease_until) OR lease_until < :now)',
          ExpressionAttributeValues: { ':owner': S(owner), ':until': N(nowMs + leaseMs), ':v': N(version), ':now': N(nowMs) },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /**
   * Compare-and-set on the version only: writes refreshed tokens if the item is still at `version` (whoever
   * refreshed refresh token v holds its only successor, even if its lease ran out meanwhile); bumps the version and
   * drops any lease. Returns the new version, or undefined when the item moved on (reinstall, uninstall).
   */
  async completeRefresh(
    installationId: string, version: number, owner: string, sealed: Sealed, expiresAt: number, scope: string | undefined, nowMs: number,
  ): Promise<number | undefined> {
    const { set, names, values, remove } = this.tokenUpdate(sealed, expiresAt, scope, nowMs);
    try {
      const out = await this.ddb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [TOKEN_TABLE_KEY]: S(installationKey(installationId)) },
          UpdateExpression: `SET ${[...set, 'version = version + :one'].join(', ')} REMOVE ${['lease_owner', 'lease_until', ...remove].join(', ')}`,
          ConditionExpression: 'version = :v',
          ExpressionAttributeNames: Object.keys(names).length ? names : undefined,
          ExpressionAttributeValues: { ...values, ':one': N(1), ':v': N(version) },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(out.Attributes?.version?.N ?? version + 1);
    } catch (err) {
      if (isConditionFailure(err)) return undefined;
      throw err;
    }
  }

  /**
   * active -> needs_reauth: the authorization server refused the newest refresh token at `version`. Only if the
   * item is still at that version and active (a reinstall in the meantime wins). Drops any lease. Returns whether
   * this call made the transition.
   */
  async markNeedsReauth(installationId: string, version: number, reason: string, nowMs: number): Promise<boolean> {
    try {
      await this.ddb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [TOKEN_TABLE_KEY]: S(installationKey(installationId)) },
          UpdateExpression: 'SET #state = :nr, reauth_reason = :reason, reauth_since = :now REMOVE lease_owner, lease_until',
          ConditionExpression: 'version = :v AND (attribute_not_exists(#state) OR #state = :active)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':nr': S('needs_reauth'), ':reason': S(reason.slice(0, 200)), ':now': N(nowMs), ':v': N(version), ':active': S('active') },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** Drops `owner`'s lease (after a failed refresh), if it still holds it. */
  async releaseLease(installationId: string, owner: string): Promise<void> {
    try {
      await this.ddb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [TOKEN_TABLE_KEY]: S(installationKey(installationId)) },
          UpdateExpression: 'REMOVE lease_owner, lease_until',
          ConditionExpression: 'lease_owner = :owner',
          ExpressionAttributeValues: { ':owner': S(owner) },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  /**
   * Uninstalls: deletes the installation's tokens and lease and keeps the item as `uninstalled` (so its events are
   * acknowledged as such and /settings can say so). Returns whether tokens were stored.
   */
  async deleteInstallation(installationId: string, nowMs = Date.now()): Promise<boolean> {
    try {
      const out = await this.ddb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [TOKEN_TABLE_KEY]: S(installationKey(installationId)) },
          UpdateExpression:
            'SET #state = :u, updated_at = :now, version = version + :one REMOVE access_token_enc, refresh_token_enc, data_key_enc, lease_owner, lease_until, reauth_reason, reauth_since',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#state': 'state', '#pk': TOKEN_TABLE_KEY },
          ExpressionAttributeValues: { ':u': S('uninstalled'), ':now': N(nowMs), ':one': N(1) },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return !!out.Attributes?.access_token_enc?.S;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  private tokenUpdate(sealed: Sealed, expiresAt: number, scope: string | undefined, nowMs: number) {
    const set = ['data_key_enc = :dk', 'access_token_enc = :at', 'expires_at = :exp', 'updated_at = :now'];
    const values: Record<string, AttributeValue> = { ...sealedAttributes(sealed), ':exp': N(expiresAt), ':now': N(nowMs) };
    const names: Record<string, string> = {};
    const remove: string[] = [];
    if (sealed.fields.refresh_token) {
      set.push('refresh_token_enc = :rt');
      values[':rt'] = S(sealed.fields.refresh_token);
    } else {
      remove.push('refresh_token_enc');
    }
    if (scope) {
      set.push('#scope = :scope');
      names['#scope'] = 'scope';
      values[':scope'] = S(scope);
    }
    return { set, names, values, remove };
  }
}

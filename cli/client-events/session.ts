/**
 * A Cognito user session for the client events generator: signs in with USER_PASSWORD_AUTH, then hands out an
 * access token that is always comfortably valid, refreshing it with REFRESH_TOKEN_AUTH before it expires (and
 * signing in again if the refresh token itself is refused). InitiateAuth needs no AWS credentials.
 */
import { CognitoIdentityProviderClient, InitiateAuthCommand, type InitiateAuthCommandInput, type InitiateAuthCommandOutput } from '@aws-sdk/client-cognito-identity-provider';

export type InitiateAuthFn = (input: InitiateAuthCommandInput) => Promise<InitiateAuthCommandOutput>;

/** InitiateAuth through an SDK client for `region` (or a test endpoint). */
export function cognitoInitiateAuth(region: string, endpoint?: string): InitiateAuthFn {
  const client = new CognitoIdentityProviderClient({ region, maxAttempts: 3, ...(endpoint ? { endpoint } : {}) });
  return (input) => client.send(new InitiateAuthCommand(input));
}

export interface SessionOptions {
  clientId: string;
  username: string;
  password: string;
  initiateAuth: InitiateAuthFn;
  /** ms since the epoch. */
  now: () => number;
}

/** Refresh this long before expiry: 5 minutes, or half the lifetime for shorter-lived tokens. */
export function refreshMarginMs(lifetimeSeconds: number): number {
  return Math.min(300, lifetimeSeconds / 2) * 1000;
}

export class TokenSession {
  private accessToken = '';
  private refreshToken = '';
  private expiresAt = 0;
  private lifetimeSeconds = 0;
  signIns = 0;
  refreshes = 0;

  constructor(private readonly o: SessionOptions) {}

  /** The current access token, after signing in or refreshing when it is missing or about to expire. */
  async token(): Promise<string> {
    if (!this.accessToken) await this.signIn();
    else if (this.o.now() >= this.expiresAt - refreshMarginMs(this.lifetimeSeconds)) await this.refresh();
    return this.accessToken;
  }

  /** Forces a refresh (after the API answered 401). */
  async renew(): Promise<string> {
    if (this.refreshToken) await this.refresh();
    else await this.signIn();
    return this.accessToken;
  }

  /** Seconds until the access token expires (for progress output). */
  secondsLeft(): number {
    return Math.max(0, Math.round((this.expiresAt - this.o.now()) / 1000));
  }

  private accept(out: InitiateAuthCommandOutput, what: string): void {
    const r = out.AuthenticationResult;
    if (!r?.AccessToken || !r.ExpiresIn) {
      const challenge = out.ChallengeName ? ` (Cognito asks for the ${out.ChallengeName} challenge, which the generator does not answer)` : '';
      throw new Error(`${what} returned no access token${challenge}`);
    }
    this.accessToken = r.AccessToken;
    if (r.RefreshToken) this.refreshToken = r.RefreshToken;
    this.lifetimeSeconds = r.ExpiresIn;
    this.expiresAt = this.o.now() + r.ExpiresIn * 1000;
  }

  private async signIn(): Promise<void> {
    const out = await this.o.initiateAuth({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: this.o.clientId, AuthParameters: { USERNAME: this.o.username, PASSWORD: this.o.password } });
    this.signIns++;
    this.accept(out, 'sign-in');
  }

  private async refresh(): Promise<void> {
    try {
      const out = await this.o.initiateAuth({ AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: this.o.clientId, AuthParameters: { REFRESH_TOKEN: this.refreshToken } });
      this.refreshes++;
      this.accept(out, 'token refresh');
    } catch (err) {
      if ((err as { name?: string }).name !== 'NotAuthorizedException') throw err;
      this.refreshToken = '';
      await this.signIn(); // the refresh token expired or was revoked
    }
  }
}

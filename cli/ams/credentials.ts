/**
 * Amazon Ads API credentials, compatible with the python-ad-api library the reference CLI uses:
 *
 *   ~/.config/python-ad-api/credentials.yml      (Linux; $XDG_CONFIG_HOME/python-ad-api when set)
 *   ~/Library/Application Support/python-ad-api/ (macOS, after ~/.config/python-ad-api)
 *   %APPDATA%\python-ad-api\credentials.yml       (Windows)
 *
 *   version: '1.0'
 *   default:
 *     refresh_token: Atzr|...
 *     client_id: amzn1.application-oa2-client....
 *     client_secret: ...
 *     profile_id: '1234567890'
 *   other-account:
 *     ...
 *
 * `--account NAME` (default "default") picks an account. Environment variables AD_API_REFRESH_TOKEN,
 * AD_API_CLIENT_ID, AD_API_CLIENT_SECRET, AD_API_PROFILE_ID (python-ad-api's names): as in python-ad-api, with the
 * three required ones set the searched file is not read. Tributary extensions, not in python-ad-api (which since
 * 0.4.4 reads only the plain names, and only all together): with the environment incomplete each set variable
 * overrides its key of the file, and AD_API_<KEY>_<account> wins over AD_API_<KEY>. Also ours: an optional
 * `ads_account_id` (env AD_API_ADS_ACCOUNT_ID) for DSP (adsp-*) datasets.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, win32, posix } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigurationError } from './errors.js';

export interface AdsCredentials {
  readonly refreshToken: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Advertising profile, sent as Amazon-Advertising-API-Scope (required for sponsored-ads datasets). */
  readonly profileId?: string;
  /** DSP advertiser account, sent as Amazon-Ads-Account-ID (required for adsp-* datasets). */
  readonly adsAccountId?: string;
  readonly account: string;
  /** Where the values came from, for messages (never the values themselves). */
  readonly source: string;
}

export const CREDENTIAL_KEYS = ['refresh_token', 'client_id', 'client_secret', 'profile_id', 'ads_account_id'] as const;
type Key = (typeof CREDENTIAL_KEYS)[number];
const REQUIRED: readonly Key[] = ['refresh_token', 'client_id', 'client_secret'];

export interface CredentialEnv {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homedir: string;
  readonly platform: NodeJS.Platform;
}

/** The folders python-ad-api (through confuse) searches for credentials.yml, in order. */
export function credentialSearchPaths({ env, homedir, platform }: CredentialEnv): string[] {
  if (platform === 'win32') {
    const appData = env.APPDATA || win32.join(homedir, 'AppData', 'Roaming');
    return [win32.join(appData, 'python-ad-api', 'credentials.yml')];
  }
  const dirs: string[] = [];
  if (env.XDG_CONFIG_HOME) dirs.push(env.XDG_CONFIG_HOME);
  dirs.push(posix.join(homedir, '.config'));
  if (platform === 'darwin') dirs.push(posix.join(homedir, 'Library', 'Application Support'));
  for (const d of (env.XDG_CONFIG_DIRS || '/etc/xdg').split(':').filter(Boolean)) dirs.push(d);
  return [...new Set(dirs)].map((d) => join(d, 'python-ad-api', 'credentials.yml'));
}

function envValue(env: CredentialEnv['env'], key: Key, account: string): { value: string; name: string } | undefined {
  const base = `AD_API_${key.toUpperCase()}`;
  for (const name of [`${base}_${account}`, base]) {
    const v = env[name];
    if (v !== undefined && v.trim() !== '') return { value: v.trim(), name };
  }
  return undefined;
}

function scalar(v: unknown, file: string, account: string, key: string): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v.trim() || undefined;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  throw new ConfigurationError(`${file}: key "${key}" of account "${account}" must be a string, got ${Array.isArray(v) ? 'a list' : typeof v}`);
}

/** Reads the account's values from a credentials.yml, with errors naming the file and key. */
export function readCredentialsFile(file: string, account: string): Partial<Record<Key, string>> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigurationError(`cannot read credentials file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  // intAsBigInt keeps long numeric profile ids exact; prettyErrors off so no line of the file (a secret) is quoted.
  const doc = parseDocument(text, { intAsBigInt: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = Array.isArray(e.pos) ? text.slice(0, e.pos[0]).split('\n').length : undefined;
    throw new ConfigurationError(`credentials file ${file} is not valid YAML${line ? ` (line ${line})` : ''}: ${e.message.split('\n')[0]}`);
  }
  const root: unknown = doc.toJS();
  if (!root || typeof root !== 'object' || Array.isArray(root)) {
    throw new ConfigurationError(`credentials file ${file} must be a mapping of account names (e.g. "default:") to their keys`);
  }
  const accounts = Object.keys(root).filter((k) => k !== 'version');
  const raw = (root as Record<string, unknown>)[account];
  if (raw === undefined) {
    throw new ConfigurationError(
      `account "${account}" is not in ${file}; accounts there: ${accounts.length ? accounts.join(', ') : '(none)'}`,
    );
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigurationError(`${file}: account "${account}" must be a mapping with ${REQUIRED.join(', ')} and profile_id`);
  }
  const out: Partial<Record<Key, string>> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!(CREDENTIAL_KEYS as readonly string[]).includes(k)) continue; // python-ad-api ignores extra keys too
    const s = scalar(v, file, account, k);
    if (s !== undefined) out[k as Key] = s;
  }
  return out;
}

export interface LoadOptions extends CredentialEnv {
  /** Account name (--account); default "default". */
  readonly account?: string;
  /** Explicit file (--credentials or AMS_CREDENTIALS_FILE) instead of the search. */
  readonly file?: string;
}

/** Loads the selected account: file values, overridden key by key by the environment. */
export function loadCredentials(opts: LoadOptions): AdsCredentials {
  const account = opts.account ?? 'default';
  const explicit = opts.file ?? opts.env.AMS_CREDENTIALS_FILE;
  const searched = explicit ? [explicit] : credentialSearchPaths(opts);
  const file = explicit ?? searched.find((p) => existsSync(p));

  const fromEnv: Partial<Record<Key, string>> = {};
  const envNames: string[] = [];
  for (const k of CREDENTIAL_KEYS) {
    const v = envValue(opts.env, k, account);
    if (v) {
      fromEnv[k] = v.value;
      envNames.push(v.name);
    }
  }
  const envComplete = REQUIRED.every((k) => fromEnv[k] !== undefined);

  let fromFile: Partial<Record<Key, string>> = {};
  if (file && (explicit || !envComplete)) fromFile = readCredentialsFile(file, account);
  if (!file && !envComplete) {
    const missing = REQUIRED.filter((k) => fromEnv[k] === undefined);
    throw new ConfigurationError(
      `no Amazon Ads credentials: no credentials.yml found (searched ${searched.join(', ')}) and the environment lacks ` +
        `${missing.map((k) => `AD_API_${k.toUpperCase()}`).join(', ')}. Create the file with a "${account}:" account ` +
        `holding refresh_token, client_id, client_secret and profile_id, or set those variables.`,
    );
  }
  const merged = { ...fromFile, ...fromEnv };
  const missing = REQUIRED.filter((k) => merged[k] === undefined);
  if (missing.length > 0) {
    throw new ConfigurationError(
      `${file}: account "${account}" lacks ${missing.map((k) => `"${k}"`).join(', ')} ` +
        `(or set ${missing.map((k) => `AD_API_${k.toUpperCase()}`).join(', ')})`,
    );
  }
  const parts = [];
  if (file && Object.keys(fromFile).length > 0) parts.push(`${file} [${account}]`);
  if (envNames.length > 0) parts.push(`environment (${envNames.join(', ')})`);
  return {
    refreshToken: merged.refresh_token!,
    clientId: merged.client_id!,
    clientSecret: merged.client_secret!,
    profileId: merged.profile_id,
    adsAccountId: merged.ads_account_id,
    account,
    source: parts.join(' + '),
  };
}

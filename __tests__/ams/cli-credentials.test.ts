/**
 * AMS CLI credentials: the python-ad-api credentials.yml search path (XDG, ~/.config, macOS, Windows), account
 * selection, environment overrides (AD_API_<KEY>_<account> before AD_API_<KEY>), long numeric profile ids kept
 * exact, and clear messages naming the file and key for missing or malformed credentials.
 *
 * python-ad-api's behaviour (the reference CLI's library; denisneuf/python-amazon-ad-api,
 * ad_api/base/credential_provider.py since 0.4.4): the environment is used only when AD_API_REFRESH_TOKEN,
 * AD_API_CLIENT_ID and AD_API_CLIENT_SECRET are all set, and then credentials.yml is not read; only the plain
 * AD_API_* names are read. Per-key overrides and AD_API_<KEY>_<account> are Tributary extensions (docs/ams-cli.md).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialSearchPaths, loadCredentials } from '../../cli/ams/credentials.js';
import { ConfigurationError } from '../../cli/ams/errors.js';

let home: string;
const file = () => join(home, '.config', 'python-ad-api', 'credentials.yml');
const write = (text: string, path = file()) => {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
};

const YAML = `version: '1.0'

default:
  refresh_token: Atzr|default-refresh-token-000000000000
  client_id: amzn1.application-oa2-client.default
  client_secret: default-secret-000000000000
  profile_id: 3211234567890123456

eu-account:
  refresh_token: Atzr|eu-refresh-token-0000000000000000
  client_id: amzn1.application-oa2-client.eu
  client_secret: eu-secret-0000000000000000
  profile_id: '987654321'
  ads_account_id: ENTITY1EU
`;

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'ams-cred-'));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

const load = (env: Record<string, string> = {}, account?: string, extra: { file?: string; platform?: NodeJS.Platform } = {}) =>
  loadCredentials({ env, homedir: home, platform: extra.platform ?? 'linux', account, file: extra.file });

const messageOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationError);
    return (err as Error).message;
  }
  throw new Error('expected an error');
};

describe('credentials search path', () => {
  it('follows python-ad-api (confuse): XDG_CONFIG_HOME, ~/.config, macOS Application Support, XDG_CONFIG_DIRS, Windows APPDATA', () => {
    expect(credentialSearchPaths({ env: {}, homedir: '/home/u', platform: 'linux' })).toEqual([
      '/home/u/.config/python-ad-api/credentials.yml',
      '/etc/xdg/python-ad-api/credentials.yml',
    ]);
    expect(credentialSearchPaths({ env: { XDG_CONFIG_HOME: '/cfg' }, homedir: '/home/u', platform: 'linux' })[0]).toBe('/cfg/python-ad-api/credentials.yml');
    expect(credentialSearchPaths({ env: {}, homedir: '/Users/u', platform: 'darwin' })).toContain(
      '/Users/u/Library/Application Support/python-ad-api/credentials.yml',
    );
    expect(credentialSearchPaths({ env: { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, homedir: 'C:\\Users\\u', platform: 'win32' })).toEqual([
      'C:\\Users\\u\\AppData\\Roaming\\python-ad-api\\credentials.yml',
    ]);
    expect(credentialSearchPaths({ env: {}, homedir: 'C:\\Users\\u', platform: 'win32' })).toEqual([
      'C:\\Users\\u\\AppData\\Roaming\\python-ad-api\\credentials.yml',
    ]);
  });

  it('finds ~/.config/python-ad-api/credentials.yml and reads the default account, keeping a 19-digit profile id exact', () => {
    write(YAML);
    const c = load();
    expect(c).toMatchObject({
      account: 'default',
      clientId: 'amzn1.application-oa2-client.default',
      refreshToken: 'Atzr|default-refresh-token-000000000000',
      clientSecret: 'default-secret-000000000000',
      profileId: '3211234567890123456',
    });
    expect(c.source).toBe(`${file()} [default]`);
  });

  it('prefers $XDG_CONFIG_HOME when it holds the file', () => {
    const xdg = join(home, 'xdg');
    write(YAML.replace('amzn1.application-oa2-client.default', 'amzn1.application-oa2-client.xdg'), join(xdg, 'python-ad-api', 'credentials.yml'));
    expect(load({ XDG_CONFIG_HOME: xdg }).clientId).toBe('amzn1.application-oa2-client.xdg');
    // an empty XDG folder falls through to ~/.config
    expect(load({ XDG_CONFIG_HOME: join(home, 'empty') }).clientId).toBe('amzn1.application-oa2-client.default');
  });

  it('--account picks another account, with its DSP ads_account_id', () => {
    write(YAML);
    expect(load({}, 'eu-account')).toMatchObject({ account: 'eu-account', clientId: 'amzn1.application-oa2-client.eu', profileId: '987654321', adsAccountId: 'ENTITY1EU' });
  });

  it('an explicit file (--credentials / AMS_CREDENTIALS_FILE) replaces the search', () => {
    const other = join(home, 'elsewhere.yml');
    write(YAML.replace('default-secret', 'other-secret'), other);
    expect(load({}, undefined, { file: other }).clientSecret).toBe('other-secret-000000000000');
    expect(load({ AMS_CREDENTIALS_FILE: other }).clientSecret).toBe('other-secret-000000000000');
  });
});

describe('environment overrides', () => {
  it('AD_API_* override single keys of the file; AD_API_<KEY>_<account> wins over AD_API_<KEY>', () => {
    write(YAML);
    const c = load({ AD_API_PROFILE_ID: '111', AD_API_CLIENT_SECRET_default: 'per-account-secret-00000' });
    expect(c.profileId).toBe('111');
    expect(c.clientSecret).toBe('per-account-secret-00000');
    expect(c.clientId).toBe('amzn1.application-oa2-client.default');
    expect(c.source).toContain('environment (AD_API_CLIENT_SECRET_default, AD_API_PROFILE_ID)');
  });

  it('as in python-ad-api, a complete environment is used and the searched credentials.yml is not read', () => {
    write(YAML);
    const c = load({ AD_API_REFRESH_TOKEN: 'Atzr|env-token-0000000000', AD_API_CLIENT_ID: 'env-client', AD_API_CLIENT_SECRET: 'env-secret-000000' });
    expect(c).toMatchObject({ refreshToken: 'Atzr|env-token-0000000000', clientId: 'env-client', clientSecret: 'env-secret-000000', profileId: undefined });
    expect(c.source).toBe('environment (AD_API_REFRESH_TOKEN, AD_API_CLIENT_ID, AD_API_CLIENT_SECRET)');
  });

  it('a complete environment needs no file at all', () => {
    const c = loadCredentials({
      env: { AD_API_REFRESH_TOKEN: 'Atzr|env-token-0000000000', AD_API_CLIENT_ID: 'env-client', AD_API_CLIENT_SECRET: 'env-secret-000000', AD_API_PROFILE_ID: '42' },
      homedir: join(home, 'nobody'),
      platform: 'linux',
    });
    expect(c).toMatchObject({ refreshToken: 'Atzr|env-token-0000000000', clientId: 'env-client', profileId: '42', account: 'default' });
  });
});

describe('missing or malformed credentials', () => {
  it('no file and no environment: names every searched path and the variables', () => {
    const msg = messageOf(() => loadCredentials({ env: {}, homedir: join(home, 'nobody'), platform: 'linux' }));
    expect(msg).toContain(join(home, 'nobody', '.config', 'python-ad-api', 'credentials.yml'));
    expect(msg).toContain('AD_API_REFRESH_TOKEN, AD_API_CLIENT_ID, AD_API_CLIENT_SECRET');
  });

  it('unknown account: names the file and the accounts it holds', () => {
    write(YAML);
    const msg = messageOf(() => load({}, 'nope'));
    expect(msg).toBe(`account "nope" is not in ${file()}; accounts there: default, eu-account`);
  });

  it('a missing key: names the file, account and key', () => {
    write(`version: '1.0'\ndefault:\n  refresh_token: Atzr|x-000000000000\n  client_id: c\n  profile_id: 1\n`);
    expect(messageOf(() => load())).toBe(`${file()}: account "default" lacks "client_secret" (or set AD_API_CLIENT_SECRET)`);
  });

  it('invalid YAML: names the file and line', () => {
    write(`version: '1.0'\ndefault:\n  refresh_token: "unterminated-secret\n  client_id: c\n`);
    expect(messageOf(() => load())).not.toContain('unterminated-secret');
    expect(messageOf(() => load())).toMatch(new RegExp(`^credentials file ${file().replace(/[.|]/g, '\\$&')} is not valid YAML \\(line \\d+\\)`));
  });

  it('a key that is not a string, and an account that is not a mapping', () => {
    write(`default:\n  refresh_token: [a, b]\n  client_id: c\n  client_secret: s\n`);
    expect(messageOf(() => load())).toBe(`${file()}: key "refresh_token" of account "default" must be a string, got a list`);
    write(`default: just-a-string\n`);
    expect(messageOf(() => load())).toContain(`${file()}: account "default" must be a mapping`);
    write(`- a\n- b\n`);
    expect(messageOf(() => load())).toContain(`credentials file ${file()} must be a mapping of account names`);
  });

  it('an unreadable explicit file', () => {
    expect(messageOf(() => load({}, undefined, { file: join(home, 'missing.yml') }))).toBe(`cannot read credentials file ${join(home, 'missing.yml')}: ENOENT`);
  });
});

/** Unit tests of the shared handler helpers: environment readers and log scrubbing. */
import { describe, expect, it } from 'vitest';
import { boolEnv, choiceEnv, intEnv, numberEnv, requireEnv } from '../../handlers/shared/env.js';
import { MAX_LOGGED_STRING, MemoryLogger, REDACTED, scrub, scrubber } from '../../handlers/shared/log.js';

describe('environment readers', () => {
  const env = { A: 'x', EMPTY: '', N: '42', F: '1.5', BAD: 'abc', T: 'true', MODE: 'ignore' };

  it('requireEnv returns the value and names a missing or empty variable', () => {
    expect(requireEnv(env, 'A')).toBe('x');
    expect(() => requireEnv(env, 'MISSING')).toThrow('environment variable MISSING is not set');
    expect(() => requireEnv(env, 'EMPTY')).toThrow('environment variable EMPTY is not set');
  });

  it('intEnv applies the default and the range', () => {
    expect(intEnv(env, 'N', 7, 1, 100)).toBe(42);
    expect(intEnv(env, 'MISSING', 7, 1, 100)).toBe(7);
    expect(intEnv(env, 'EMPTY', 7, 1, 100)).toBe(7);
    expect(() => intEnv(env, 'N', 7, 1, 10)).toThrow('N must be an integer from 1 to 10, got "42"');
    expect(() => intEnv(env, 'F', 7, 1, 10)).toThrow('F must be an integer');
    expect(() => intEnv(env, 'BAD', 7, 1, 10)).toThrow('got "abc"');
  });

  it('numberEnv accepts finite numbers only', () => {
    expect(numberEnv(env, 'F', 0)).toBe(1.5);
    expect(numberEnv(env, 'MISSING', 3)).toBe(3);
    expect(() => numberEnv(env, 'BAD', 0)).toThrow('BAD must be a number, got "abc"');
  });

  it('choiceEnv and boolEnv list what they accept', () => {
    expect(choiceEnv(env, 'MODE', 'reject', ['reject', 'ignore'])).toBe('ignore');
    expect(choiceEnv(env, 'MISSING', 'reject', ['reject', 'ignore'])).toBe('reject');
    expect(() => choiceEnv(env, 'A', 'reject', ['reject', 'ignore'])).toThrow('A must be "reject" or "ignore", got "x"');
    expect(boolEnv(env, 'T', false)).toBe(true);
    expect(boolEnv(env, 'MISSING', false)).toBe(false);
    expect(() => boolEnv(env, 'N', true)).toThrow('N must be "true" or "false", got "42"');
  });
});

describe('log scrubbing', () => {
  it('redacts sensitive keys at any depth, whatever their case and separators', () => {
    const out = scrub({ ok: 1, Access_Token: 'a', nested: { 'client-secret': 's', list: [{ Authorization: 'Bearer b' }] } });
    expect(out).toEqual({ ok: 1, Access_Token: REDACTED, nested: { 'client-secret': REDACTED, list: [{ Authorization: REDACTED }] } });
  });

  it('cuts long strings and long arrays', () => {
    const out = scrub({ s: 'x'.repeat(MAX_LOGGED_STRING + 10), a: Array.from({ length: 60 }, (_, i) => i) }) as { s: string; a: number[] };
    expect(out.s).toBe(`${'x'.repeat(MAX_LOGGED_STRING)}...[${MAX_LOGGED_STRING + 10} chars]`);
    expect(out.a).toHaveLength(50);
  });

  it('reduces errors to name, message and classifiers, never their cause', () => {
    const err = Object.assign(new Error('boom'), { code: 'Throttling', error: 'invalid_grant', status: 400, cause: { token: 't' } });
    expect(scrub({ err })).toEqual({ err: { name: 'Error', message: 'boom', code: 'Throttling', oauthError: 'invalid_grant', status: 400 } });
  });

  it('extra sensitive keys apply only to the scrubber and logger given them', () => {
    expect(scrubber({ sensitiveKeys: ['code'] })({ code: 'c' })).toEqual({ code: REDACTED });
    expect(scrub({ code: 'c' })).toEqual({ code: 'c' });
    const log = new MemoryLogger({ sensitiveKeys: ['code_verifier'] });
    log.info('exchanged', { codeVerifier: 'v', installation: 'i' });
    expect(log.entries[0]?.attributes).toEqual({ codeVerifier: REDACTED, installation: 'i' });
    expect(log.text()).not.toContain('"v"');
  });
});

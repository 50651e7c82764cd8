/** Unit tests of the shared handler helpers: environment readers and log scrubbing. */
import { describe, expect, it } from 'vitest';
import { boolEnv, choiceEnv, intEnv, numberEnv, requireEnv } from '../../handlers/shared/env.js';
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { createLogger, logOutput, MAX_LOGGED_STRING, MemoryLogger, REDACTED, scrub, scrubber } from '../../handlers/shared/log.js';

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

describe('createLogger writes what Powertools Logger writes, with write(2)', () => {
  // The reference is Powertools Logger itself, writing through its own Console on process.stdout/stderr.
  const reference = (act: (l: PowertoolsLogger) => void): { fd: 1 | 2; entry: Record<string, unknown> }[] => {
    const out: { fd: 1 | 2; entry: Record<string, unknown> }[] = [];
    const writes = [process.stdout, process.stderr].map((stream, i) => {
      const original = stream.write;
      stream.write = ((chunk: string) => (out.push({ fd: (i + 1) as 1 | 2, entry: JSON.parse(chunk) }), true)) as typeof stream.write;
      return () => (stream.write = original);
    });
    try {
      act(new PowertoolsLogger({ serviceName: 'log-test' }));
    } finally {
      for (const restore of writes) restore();
    }
    return out;
  };
  const ours = (act: (l: ReturnType<typeof createLogger>) => void): { fd: 1 | 2; entry: Record<string, unknown> }[] => {
    const out: { fd: 1 | 2; entry: Record<string, unknown> }[] = [];
    const write = logOutput.write;
    logOutput.write = (fd, line) => void out.push({ fd, entry: JSON.parse(line) });
    try {
      act(createLogger('log-test'));
    } finally {
      logOutput.write = write;
    }
    return out;
  };
  const withoutTime = (xs: { fd: 1 | 2; entry: Record<string, unknown> }[]) => xs.map(({ fd, entry: { timestamp, ...rest } }) => ({ fd, time: typeof timestamp, ...rest }));

  it('the same entries on the same descriptors (info/debug on stdout, warn/error on stderr), levels filtered alike', () => {
    const attrs = { records: 3, nested: { ok: true } };
    const expected = reference((l) => {
      l.info('one', attrs);
      l.debug('hidden at INFO');
      l.warn('two', attrs);
      l.error('three');
    });
    expect(expected.map((x) => x.fd)).toEqual([1, 2, 2]);
    expect(withoutTime(ours((l) => {
      l.info('one', attrs);
      l.debug('hidden at INFO');
      l.warn('two', attrs);
      l.error('three');
    }))).toEqual(withoutTime(expected));
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

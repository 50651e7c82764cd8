/**
 * The one argument-parsing convention of the command-line tools (cli/shared/args.ts over node:util parseArgs).
 * What it must do comes from the tools' documented usage: `--name value` and `--name=value`, comma lists that may
 * repeat, exit-2 usage errors that name the option but never echo what the user typed.
 */
import { describe, expect, it } from 'vitest';
import { numberOption, parseCommandLine } from '../../cli/shared/args.js';
import { EXIT, HelpRequested, UsageError } from '../../cli/shared/errors.js';

const SPEC = { region: 'list', dataset: 'string', json: 'boolean', 'dry-run': 'boolean' } as const;
const error = (fn: () => unknown): UsageError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(EXIT.usage);
    return err as UsageError;
  }
  throw new Error('expected a UsageError');
};

describe('parseCommandLine', () => {
  it('reads strings, inline values, flags, comma lists that repeat, and -- before positionals', () => {
    const a = parseCommandLine(['--region', 'NA,EU', '--dataset=sp-traffic', '--region', ' FE ', '--json', '--', '--not-an-option'], SPEC, { positionals: true });
    expect(a.lists.region).toEqual(['NA', 'EU', 'FE']);
    expect(a.strings).toEqual({ dataset: 'sp-traffic' });
    expect([...a.flags]).toEqual(['json']);
    expect(a.positionals).toEqual(['--not-an-option']);
    expect(a.help).toBe(false);
    expect(parseCommandLine(['-h'], SPEC).help).toBe(true);
    expect(parseCommandLine(['--help'], SPEC).help).toBe(true);
  });

  it('refuses unknown options, missing values, values on flags, a string given twice and empty lists', () => {
    expect(error(() => parseCommandLine(['--bogus'], SPEC, { hint: '(see x --help)' })).message).toBe('unknown option --bogus (see x --help)');
    expect(error(() => parseCommandLine(['--dataset'], SPEC)).message).toBe('--dataset needs a value');
    expect(error(() => parseCommandLine(['--dataset', '--json'], SPEC)).message).toBe('--dataset needs a value');
    expect(error(() => parseCommandLine(['--json=1'], SPEC)).message).toBe('--json takes no value');
    expect(error(() => parseCommandLine(['--dataset', 'a', '--dataset', 'b'], SPEC)).message).toBe('--dataset given twice');
    expect(error(() => parseCommandLine(['--region', ' , '], SPEC)).message).toBe('--region needs a value');
  });

  it('refuses positionals unless allowed, naming the position and not the value (it may be a secret)', () => {
    const e = error(() => parseCommandLine(['--json', 'hunter2'], SPEC));
    expect(e.message).toBe('unexpected argument at position 2 (options are --name value)');
    expect(e.message).not.toContain('hunter2');
    expect(parseCommandLine(['id-1'], SPEC, { positionals: true }).positionals).toEqual(['id-1']);
  });

  it('HelpRequested is a UsageError carrying the usage text', () => {
    const h = new HelpRequested('usage: x');
    expect(h).toBeInstanceOf(UsageError);
    expect(h.usage).toBe('usage: x');
  });
});

describe('numberOption', () => {
  it('defaults, bounds and integers', () => {
    expect(numberOption(undefined, 'rate', 5, 1, 10)).toBe(5);
    expect(numberOption('7', 'rate', 5, 1, 10)).toBe(7);
    expect(numberOption('0.5', 'rate', 5, 0.1, 10, false)).toBe(0.5);
    expect(error(() => numberOption('0.5', 'count', 5, 1, 10)).message).toBe('--count must be an integer from 1 to 10, got "0.5"');
    expect(error(() => numberOption('11', 'count', 5, 1, 10)).message).toBe('--count must be an integer from 1 to 10, got "11"');
    expect(error(() => numberOption(' ', 'count', 5, 0, 10)).message).toMatch(/^--count must be/);
  });
});

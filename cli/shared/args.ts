/**
 * The one argument-parsing convention of the command-line tools: node:util `parseArgs` in strict mode
 * (`--name value`, `--name=value`, `--flag`, `--` ends options), with two additions every tool wants:
 * - `list` options take comma-separated values and may repeat (`--region NA,EU --region FE`);
 * - a `string` option given twice is an error instead of silently keeping the last one.
 * Errors are UsageError (exit 2) whose text names the option but never echoes a value the user typed (a misplaced
 * argument may be a secret). `-h`/`--help` is always known and sets `help`.
 */
import { parseArgs } from 'node:util';
import { HelpRequested, UsageError } from './errors.js';

export type OptionType = 'string' | 'boolean' | 'list';
export type OptionSpec = Readonly<Record<string, OptionType>>;

export interface ParsedArgs {
  readonly positionals: string[];
  readonly strings: Record<string, string>;
  readonly lists: Record<string, string[]>;
  readonly flags: Set<string>;
  readonly help: boolean;
}

export interface ParseOptions {
  /** Positional arguments allowed (default false: any is an error). */
  readonly positionals?: boolean;
  /** Appended to usage errors, e.g. "(see ams create --help)". */
  readonly hint?: string;
}

/** Parses `argv` against `spec`; throws UsageError with a readable reason. */
export function parseCommandLine(argv: readonly string[], spec: OptionSpec, opts: ParseOptions = {}): ParsedArgs {
  const hint = opts.hint ? ` ${opts.hint}` : '';
  const options: Record<string, { type: 'string' | 'boolean'; multiple: boolean; short?: string }> = {
    help: { type: 'boolean', multiple: false, short: 'h' },
  };
  for (const [name, type] of Object.entries(spec)) if (name !== 'help') options[name] = { type: type === 'boolean' ? 'boolean' : 'string', multiple: type !== 'boolean' };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true, tokens: true });
  } catch (err) {
    throw new UsageError(`${describeParseError(err as NodeJS.ErrnoException)}${hint}`);
  }
  const positionals = parsed.positionals;
  if (positionals.length && !opts.positionals) {
    const at = parsed.tokens!.find((t) => t.kind === 'positional')!.index + 1;
    throw new UsageError(`unexpected argument at position ${at} (options are --name value)${hint}`);
  }
  const out: ParsedArgs = { positionals, strings: {}, lists: {}, flags: new Set(), help: parsed.values.help === true };
  for (const [name, type] of Object.entries(spec)) {
    const v = parsed.values[name];
    if (v === undefined) continue;
    if (type === 'boolean') {
      if (v === true) out.flags.add(name);
      continue;
    }
    const values = v as string[];
    if (type === 'string') {
      if (values.length > 1) throw new UsageError(`--${name} given twice${hint}`);
      out.strings[name] = values[0];
      continue;
    }
    const items = values.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
    if (items.length === 0) throw new UsageError(`--${name} needs a value${hint}`);
    out.lists[name] = items;
  }
  return out;
}

/**
 * For single-command tools: the string options of `argv`, throwing HelpRequested(usage) for -h/--help and a
 * UsageError whose text ends with the usage for anything parseCommandLine refuses.
 */
export function parseToolOptions(argv: readonly string[], spec: OptionSpec, usage: string): Record<string, string> {
  let args: ParsedArgs;
  try {
    args = parseCommandLine(argv, spec);
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`${err.message}\n${usage}`);
    throw err;
  }
  if (args.help) throw new HelpRequested(usage);
  return args.strings;
}

function describeParseError(err: NodeJS.ErrnoException): string {
  const option = /'(-{1,2}[^' ]+)/.exec(err.message)?.[1];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option ?? ''}`.trim();
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      // A string option without a value, a value that looks like another option, or a value given to a flag.
      return / takes no argument|does not take an argument/.test(err.message) ? `${option} takes no value` : `${option} needs a value`;
    default:
      return 'could not read the command line (options are --name value)';
  }
}

/** A numeric option: undefined -> `def`; otherwise an integer (or number) within [min, max], or a UsageError. */
export function numberOption(raw: string | undefined, name: string, def: number, min: number, max: number, integer = true): number {
  if (raw === undefined) return def;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return v;
}

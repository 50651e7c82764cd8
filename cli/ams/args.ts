/**
 * Argument parsing for the AMS subscription CLI: `<command> [positionals] [--option value | --option=value | --flag]`.
 * List options take comma-separated values and may repeat. Unknown options are usage errors.
 */
import { UsageError } from './errors.js';

export type OptionType = 'string' | 'boolean' | 'list';
export type OptionSpec = Readonly<Record<string, OptionType>>;

export interface ParsedArgs {
  readonly positionals: string[];
  readonly strings: Record<string, string>;
  readonly lists: Record<string, string[]>;
  readonly flags: Set<string>;
}

export function parseArgs(argv: readonly string[], spec: OptionSpec, command: string): ParsedArgs {
  const out: ParsedArgs = { positionals: [], strings: {}, lists: {}, flags: new Set() };
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (onlyPositionals || !a.startsWith('-') || a === '-') {
      out.positionals.push(a);
      continue;
    }
    if (a === '--') {
      onlyPositionals = true;
      continue;
    }
    if (a === '-h') {
      out.flags.add('help');
      continue;
    }
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/s.exec(a);
    if (!m) throw new UsageError(`${command}: unexpected argument ${JSON.stringify(a)} (see ams ${command} --help)`);
    const [, name, inline] = m;
    const type = spec[name];
    if (!type) throw new UsageError(`${command}: unknown option --${name} (see ams ${command} --help)`);
    if (type === 'boolean') {
      if (inline !== undefined) throw new UsageError(`${command}: --${name} takes no value`);
      out.flags.add(name);
      continue;
    }
    const v = inline ?? argv[++i];
    if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new UsageError(`${command}: --${name} needs a value`);
    if (type === 'string') {
      if (name in out.strings) throw new UsageError(`${command}: --${name} given twice`);
      out.strings[name] = v;
    } else {
      const items = v.split(',').map((s) => s.trim()).filter(Boolean);
      if (items.length === 0) throw new UsageError(`${command}: --${name} needs a value`);
      (out.lists[name] ??= []).push(...items);
    }
  }
  return out;
}

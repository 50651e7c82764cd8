/**
 * The redrive CLI (docs/operations.md): `npm run redrive -- status|replay ...`.
 * Exit codes: 0 ok, 1 AWS/runtime error, 2 usage or configuration error, 4 status found parked items or an alarm
 * in ALARM / replay left items still failing.
 */
import { fromRoot } from '../../lib/paths.js';
import { CliError, EXIT, UsageError } from '../shared/errors.js';
import { parseCommandLine, type OptionSpec } from '../shared/args.js';
import { json, table } from '../ams/output.js';
import { terraformRunner, type TerraformRunner } from '../ams/outputs.js';
import { age, defaultClients, parseSince, type ClientFactory } from './aws.js';
import { findPlace, loadPlaces } from './places.js';
import { progress } from './progress.js';
import { replay } from './replay.js';
import { status } from './status.js';

export interface MainIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown; isTTY?: boolean };
  readonly clients?: ClientFactory;
  readonly runTerraform?: TerraformRunner;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly pollMs?: number;
}

const SELECT = `Selecting stacks (default: every stack of the last synth, cdktf.out/tributary-manifest.json):
  --stack NAME|GLOB      a stack (repeatable, comma-separated, globs: 'clickstream-*')
  --region REGION        only the stacks in this AWS region
  --cdktf-out DIR        synth output folder (default cdktf.out)
  --outputs-dir DIR      read <stack>.json (\`terraform output -json\`) from DIR instead of running terraform`;

export const EXIT_CODES = `Exit codes: 0 ok, 1 AWS or runtime error, 2 usage/configuration error, 4 status found parked items or
an alarm in ALARM / replay left items still failing.`;

export const MAIN_HELP = `redrive: see what the pipelines parked, and send it back once the cause is fixed

Usage: npm run redrive -- <command> [options]

Commands:
  status     one table of every parking place: count, oldest age, a redacted sample, the alarm state
  replay     send one parking place's items back through the pipeline

Run "npm run redrive -- <command> --help" for a command's options. Runbook: docs/operations.md.

${EXIT_CODES}
`;

export const COMMAND_HELP: Record<string, string> = {
  status: `Usage: redrive status [--stack NAME|GLOB ...] [--region REGION] [--sample] [--json]

Every parking place of the selected stacks, read from their Terraform outputs (parking_<place>):
  PLACE (<stack>/<place>, what replay takes), KIND, COUNT (messages, or objects for Firehose error prefixes),
  OLDEST (age of the oldest item), ALARM (state of the alarm watching the place), SAMPLE (one item, redacted:
  keys, numbers and error codes kept, every other string shown as <N chars>).
A queue that has a redrive policy of its own (the clickstream rejects and on-failure queues) is not sampled unless
--sample: each receive counts toward its maxReceiveCount.

${SELECT}
  --sample               sample queues that have a redrive policy too
  --json                 machine-readable JSON on stdout

Examples:
  npm run redrive -- status
  npm run redrive -- status --stack 'clickstream-*' --json
  npm run redrive -- status --region eu-west-1

${EXIT_CODES}
`,
  replay: `Usage: redrive replay <stack>/<place> [--dry-run] [--limit N] [--since T] [--json]

Sends what one parking place holds back through its pipeline, after you fixed what made it fail:
  sqs-dlq              back to its source queue: an SQS message move task (progress from ListMessageMoveTasks);
                       with --limit/--since, or where SQS offers no move task, message by message (send, then delete)
  sns-dlq              each undelivered record put into the Firehose stream (PutRecordBatch)
  clickstream-rejects  re-validated with today's validator; bodies from the API go to the stream, ineligible stream
                       records straight to the table under their original sequence number
  kinesis-on-failure   the batch's sequence range re-read from the stream (while within its retention) and
                       re-processed by the processor's own code into the table
  eventbridge-dlq      each event put back on its bus (PutEvents)
  firehose-errors      each error record's rawData put back through the delivery stream; the object is deleted once
                       every record was taken (what was not is kept in a .remaining object beside it)
Nothing is deleted before it was re-delivered. What still fails stays where it was, with its reason in the summary.
Re-running is safe: replayed items are gone from the place, and the clickstream table writes are idempotent.

<place> is <stack>/<place> as status shows it, or just <place> when one selected stack has it.
  --dry-run              read and check everything, send and delete nothing
  --limit N              at most N items (messages, or objects for Firehose error prefixes)
  --since T              only items parked since T: an ISO date-time or a duration back from now (90m, 6h, 2d)
  --json                 the summary as JSON on stdout
${SELECT}

Examples:
  npm run redrive -- replay ams-sp-traffic-na/ingress_dlq
  npm run redrive -- replay clickstream-us-east-1/rejects --dry-run
  npm run redrive -- replay clickstream-us-east-1/process_failures --since 6h --limit 50
  npm run redrive -- replay client-events-us-east-1/firehose_errors --json

${EXIT_CODES}
`,
};

const COMMON: OptionSpec = { stack: 'list', region: 'string', 'cdktf-out': 'string', 'outputs-dir': 'string', json: 'boolean' };

const OPTIONS: Record<'status' | 'replay', OptionSpec> = {
  status: { ...COMMON, sample: 'boolean' },
  replay: { ...COMMON, 'dry-run': 'boolean', limit: 'string', since: 'string' },
};

function fmtCount(n: number | undefined, inFlight?: number): string | undefined {
  if (n === undefined) return undefined;
  return inFlight ? `${n} (+${inFlight} in flight)` : String(n);
}

export async function main(argv: readonly string[], io: MainIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (!command || command === '--help' || command === '-h' || command === 'help') {
      const topic = command === 'help' ? rest[0] : undefined;
      io.stdout.write(topic && COMMAND_HELP[topic] ? COMMAND_HELP[topic] : MAIN_HELP);
      return command ? EXIT.ok : EXIT.usage;
    }
    if (command !== 'status' && command !== 'replay') throw new UsageError(`unknown command ${JSON.stringify(command)}; commands: status, replay (redrive --help)`);
    const args = parseCommandLine(rest, OPTIONS[command], { positionals: true, hint: `(see redrive ${command} --help)` });
    const { positionals } = args;
    if (args.help) {
      io.stdout.write(COMMAND_HELP[command]);
      return EXIT.ok;
    }
    const now = io.now ?? (() => new Date());
    const stacks = args.lists.stack ?? [];
    const loaded = await loadPlaces({
      cdktfOut: args.strings['cdktf-out'] ?? fromRoot('cdktf.out'),
      stacks,
      region: args.strings.region,
      outputsDir: args.strings['outputs-dir'],
      runTerraform: io.runTerraform ?? terraformRunner(io.env),
    });
    const clients = io.clients ?? defaultClients();

    if (command === 'status') {
      if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
      const rows = await status(loaded.places, clients, { sample: args.flags.has('sample'), now: now() });
      const parked = rows.filter((r) => (r.count ?? 0) + (r.inFlight ?? 0) > 0).length;
      const alarming = rows.filter((r) => r.alarmState === 'ALARM').length;
      const errors = rows.filter((r) => r.error).length;
      if (args.flags.has('json')) {
        io.stdout.write(json({ summary: { places: rows.length, parked, alarming, errors, skippedStacks: loaded.skipped.length }, rows, skipped: loaded.skipped }));
      } else {
        io.stdout.write(
          table(rows, [
            { header: 'PLACE', get: (r) => r.place },
            { header: 'KIND', get: (r) => r.kind },
            { header: 'COUNT', get: (r) => (r.error ? 'error' : fmtCount(r.count, r.inFlight)) },
            { header: 'OLDEST', get: (r) => (r.oldestAgeSeconds === undefined ? undefined : `${r.oldestAgeApproximate ? '>=' : ''}${age(r.oldestAgeSeconds)}`) },
            { header: 'ALARM', get: (r) => r.alarmState },
            { header: 'SAMPLE', get: (r) => r.error ?? r.sample },
          ]) + `${rows.length} parking places, ${parked} holding items, ${alarming} alarms in ALARM${errors ? `, ${errors} could not be read` : ''}\n`,
        );
        for (const s of loaded.skipped) io.stderr.write(`skipped ${s.stack}: ${s.reason}\n`);
      }
      if (errors) return EXIT.runtime;
      return parked || alarming ? EXIT.problems : EXIT.ok;
    }

    // replay
    const rv = args.strings;
    if (positionals.length !== 1) throw new UsageError('name exactly one parking place (<stack>/<place>; see redrive status)');
    let limit: number | undefined;
    if (rv.limit !== undefined) {
      limit = Number(rv.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a whole number >= 1, got ${JSON.stringify(rv.limit)}`);
    }
    let since: Date | undefined;
    if (rv.since !== undefined) {
      since = parseSince(rv.since, now());
      if (!since) throw new UsageError(`--since must be an ISO date-time or a duration like 90m, 6h, 2d; got ${JSON.stringify(rv.since)}`);
    }
    const place = findPlace(loaded.places, positionals[0]);
    const summary = await replay(place, clients(place.region), {
      dryRun: args.flags.has('dry-run'), limit, since, now,
      sleep: io.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
      pollMs: io.pollMs,
      progress: progress({ write: (t) => io.stderr.write(t), isTTY: !!io.stderr.isTTY, label: `replay ${place.id}` }),
    });
    io.stdout.write(args.flags.has('json') ? json(summary.toJSON()) : summary.text());
    return summary.stillFailing > 0 ? EXIT.problems : EXIT.ok;
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr.write(`redrive ${command ?? ''}: ${err.message}\n`);
      return err.exitCode;
    }
    io.stderr.write(`redrive ${command ?? ''}: ${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)}\n`);
    return EXIT.runtime;
  }
}

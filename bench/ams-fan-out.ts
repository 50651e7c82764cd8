/**
 * Amazon Marketing Stream fan-out throughput (no SDK calls): the pure core (classify + PublishBatch planning) and
 * the whole per-batch fan-out with a no-op publisher, over 100k realistic sp-traffic Notification bodies, next to a
 * raw JSON.parse/JSON.parse/JSON.stringify loop over the same bodies (the least work that unwraps a record).
 */
import type { SQSRecord } from 'aws-lambda';
import { notificationEnvelope, spTrafficRecord } from '../__tests__/helpers/ams-records.js';
import { sqsRecord } from '../__tests__/helpers/sqs-records.js';
import { classify, planBatches } from '../handlers/ams/fan-out/core.js';
import { fanOut } from '../handlers/ams/fan-out/handler.js';
import { silentLogger } from '../handlers/shared/log.js';
import type { BenchRow } from '../scripts/bench.js';

const N = 100_000;
const SQS_BATCH = 100; // the stack's default event source batch size
const RUNS = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function time(fn: () => unknown): Promise<number> {
  await fn(); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

export async function run(): Promise<BenchRow[]> {
  const bodies = Array.from({ length: N }, (_, i) => JSON.stringify(notificationEnvelope(spTrafficRecord(i))));
  const avgBytes = Math.round(bodies.reduce((n, b) => n + b.length, 0) / N);
  let sink = 0;

  const raw = await time(() => {
    for (const b of bodies) {
      const env = JSON.parse(b) as { Message: string };
      sink += JSON.stringify(JSON.parse(env.Message)).length;
    }
  });

  const core = await time(() => {
    const sizes: number[] = [];
    for (const b of bodies) {
      const c = classify(b);
      if (c.kind === 'record') sizes.push(c.bytes);
    }
    sink += planBatches(sizes).length;
  });

  const records: SQSRecord[] = bodies.map((body, i) => sqsRecord(body, `m-${i}`));
  const ports = {
    publishBatch: async (entries: { Id: string }[]) => ({ Successful: entries.map((e) => ({ Id: e.Id })) }),
    forwardConfirmation: async () => {},
    log: silentLogger,
  };
  const whole = await time(async () => {
    for (let i = 0; i < N; i += SQS_BATCH) {
      const r = await fanOut(records.slice(i, i + SQS_BATCH), ports);
      sink += r.batchItemFailures.length;
    }
  });
  if (sink < 0) console.log(sink);

  const perSec = (ms: number) => Math.round(N / (ms / 1000));
  return [
    { group: 'ams-fan-out', name: `raw JSON.parse x2 + JSON.stringify (${N} bodies, ~${avgBytes} B)`, value: perSec(raw), unit: 'records/s' },
    { group: 'ams-fan-out', name: 'core: classify + planBatches', value: perSec(core), unit: 'records/s', note: `${(raw / core).toFixed(2)}x the raw loop's rate` },
    {
      group: 'ams-fan-out',
      name: `fanOut per ${SQS_BATCH}-record batch, no-op publisher`,
      value: perSec(whole),
      unit: 'records/s',
      note: `${(raw / whole).toFixed(2)}x the raw loop's rate`,
    },
  ];
}

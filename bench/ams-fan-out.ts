/**
 * Amazon Marketing Stream fan-out throughput (no SDK calls): the pure core (classify + PublishBatch planning) and
 * the whole per-batch fan-out with a no-op publisher, over 100k realistic sp-traffic Notification bodies, next to a
 * raw JSON.parse/JSON.parse/JSON.stringify loop over the same bodies (the least work that unwraps a record).
 */
import type { SQSRecord } from 'aws-lambda';
import { notificationEnvelope, spTrafficRecord } from '../__tests__/helpers/ams-records.js';
import { sqsRecord } from '../__tests__/helpers/sqs-records.js';
import { classify, planPublishBatches } from '../handlers/ams/fan-out/core.js';
import { fanOut } from '../handlers/ams/fan-out/handler.js';
import { silentLogger } from '../handlers/shared/log.js';
import type { BenchRow } from '../scripts/bench.js';
import { interleaved, median, medianRatio } from './_measure.js';

const N = 100_000;
const SQS_BATCH = 100; // the stack's default event source batch size
const ROUNDS = 7;

export async function run(): Promise<BenchRow[]> {
  const bodies = Array.from({ length: N }, (_, i) => JSON.stringify(notificationEnvelope(spTrafficRecord(i))));
  const avgBytes = Math.round(bodies.reduce((n, b) => n + b.length, 0) / N);
  let sink = 0;

  const rawLoop = () => {
    for (const b of bodies) {
      const env = JSON.parse(b) as { Message: string };
      sink += JSON.stringify(JSON.parse(env.Message)).length;
    }
  };

  const coreLoop = () => {
    const sizes: number[] = [];
    for (const b of bodies) {
      const c = classify(b);
      if (c.kind === 'record') sizes.push(c.bytes);
    }
    sink += planPublishBatches(sizes).length;
  };

  const records: SQSRecord[] = bodies.map((body, i) => sqsRecord(body, `m-${i}`));
  const ports = {
    publishBatch: async (entries: { Id: string }[]) => ({ Successful: entries.map((e) => ({ Id: e.Id })) }),
    forwardConfirmation: async () => {},
    log: silentLogger,
  };
  const wholeLoop = async () => {
    for (let i = 0; i < N; i += SQS_BATCH) {
      const r = await fanOut(records.slice(i, i + SQS_BATCH), ports);
      sink += r.batchItemFailures.length;
    }
  };
  // Interleaved rounds (one untimed warm-up round): ratios are per round against the raw loop of the same round.
  const t = await interleaved(ROUNDS, { raw: rawLoop, core: coreLoop, whole: wholeLoop });
  const [raw, core, whole] = [median(t.raw), median(t.core), median(t.whole)];
  if (sink < 0) console.log(sink);

  const perSec = (ms: number) => Math.round(N / (ms / 1000));
  return [
    { group: 'ams-fan-out', name: `raw JSON.parse x2 + JSON.stringify (${N} bodies, ~${avgBytes} B)`, value: perSec(raw), unit: 'records/s' },
    { group: 'ams-fan-out', name: 'core: classify + planPublishBatches', value: perSec(core), unit: 'records/s', note: `${medianRatio(t.raw, t.core).toFixed(2)}x the raw loop's rate (median of ${ROUNDS} interleaved rounds)` },
    {
      group: 'ams-fan-out',
      name: `fanOut per ${SQS_BATCH}-record batch, no-op publisher`,
      value: perSec(whole),
      unit: 'records/s',
      note: `${medianRatio(t.raw, t.whole).toFixed(2)}x the raw loop's rate (median of ${ROUNDS} interleaved rounds)`,
    },
  ];
}

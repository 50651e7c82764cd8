/**
 * The path of one request through the pieces this repo owns, without AWS: generator-style request bodies in both
 * entry forms -> the API's PutEvents request template (rendered with velocityjs, helpers/vtl.ts) -> the EventBridge event the
 * Firehose rule delivers -> the transform Lambda -> newline-delimited objects with the authenticated clientId.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PUT_EVENTS_REQUEST_TEMPLATE } from '../../stacks/client-events/templates.js';
import { sampleEvents } from '../../samples/client-events.js';
import { transformRecords } from '../../handlers/client-events/transform/core.js';
import { renderVelocityjs } from '../helpers/vtl.js';

const CLIENT_ID = '5b0e8d7c-3a1f-4e2b-9c6d-7f8a9b0c1d2e';

/** What EventBridge delivers to a rule target for one PutEvents entry. */
function deliver(entry: { Source: string; DetailType: string; Resources: string[]; Detail: string }) {
  return {
    version: '0', id: randomUUID(), 'detail-type': entry.DetailType, source: entry.Source, account: '123456789012',
    time: '2026-11-30T03:00:00Z', region: 'us-east-1', resources: entry.Resources, detail: JSON.parse(entry.Detail) as unknown,
  };
}

describe('request -> mapping template -> EventBridge event -> transform', () => {
  it.each(['object', 'string'] as const)('entry form %s: every event lands as one line with accountNumber = clientId', (form) => {
    const sampler = sampleEvents({ seed: 4, now: () => Date.UTC(2026, 10, 30) });
    const details = [...sampler.batch(9, true), { eventType: 'searching', query: `it's "quoted" \\ 東京 😀\n`, accountNumber: 'forged' }];
    const body = { entries: details.map((d) => ({ entry: form === 'string' ? JSON.stringify(d) : d })) };
    const rendered = JSON.parse(
      renderVelocityjs(PUT_EVENTS_REQUEST_TEMPLATE, { body: JSON.stringify(body), context: { authorizer: { clientId: CLIENT_ID } }, stageVariables: { environment: 'dev', eventBusName: 'bus' } }).output,
    ) as { Entries: { Source: string; DetailType: string; Resources: string[]; Detail: string }[] };
    expect(rendered.Entries).toHaveLength(10);
    const records = rendered.Entries.map((e, i) => ({ recordId: `r${i}`, approximateArrivalTimestamp: 0, data: Buffer.from(JSON.stringify(deliver(e))).toString('base64') }));
    const out = transformRecords(records);
    expect(out.stats).toEqual({ ok: 10, failed: 0, reasons: {} });
    const objectFile = out.records.map((r) => Buffer.from(r.data!, 'base64').toString('utf8')).join('');
    const lines = objectFile.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(10);
    lines.forEach((line, i) => {
      const e = JSON.parse(line) as { source: string; 'detail-type': string; detail: Record<string, unknown> };
      expect(e.source).toBe('clientevents');
      expect(e['detail-type']).toBe('dev');
      expect(e.detail).toEqual({ ...details[i], schemaVersion: details[i].schemaVersion ?? 'unversioned', accountNumber: CLIENT_ID });
    });
    expect(lines.filter((l) => JSON.parse(l).detail.eventType === 'loyaltypurchase')).toHaveLength(1);
  });
});

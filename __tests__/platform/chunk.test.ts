import { describe, expect, it } from 'vitest';
import { planBatches } from '../../handlers/shared/chunk.js';

describe('planBatches (handlers/shared/chunk.ts)', () => {
  it('groups by at most maxEntries items, in order', () => {
    expect(planBatches(Array(25).fill(100), 10, 262_144).map((b) => b.length)).toEqual([10, 10, 5]);
    expect(planBatches(Array(10).fill(100), 10, 262_144)).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
    expect(planBatches([], 10, 262_144)).toEqual([]);
  });

  it('keeps each batch within the aggregate byte limit, an item of exactly the limit alone', () => {
    expect(planBatches([100_000, 100_000, 100_000, 262_144, 1, 1], 10, 262_144)).toEqual([[0, 1], [2], [3], [4, 5]]);
    for (const b of planBatches(Array(40).fill(30_000), 10, 262_144)) expect(b.length * 30_000).toBeLessThanOrEqual(262_144);
  });

  it('applies whichever limit is reached first (Kinesis-sized: 500 records, 5 MiB)', () => {
    const mib = 1024 * 1024;
    expect(planBatches(Array(1200).fill(10), 500, 5 * mib).map((b) => b.length)).toEqual([500, 500, 200]);
    expect(planBatches(Array(12).fill(mib), 500, 5 * mib).map((b) => b.length)).toEqual([5, 5, 2]);
  });

  it('returns every index exactly once', () => {
    const sizes = Array.from({ length: 97 }, (_, i) => (i * 7919) % 60_000);
    expect(planBatches(sizes, 10, 262_144).flat()).toEqual(sizes.map((_, i) => i));
  });

  it('refuses an item that no batch can hold, and limits that cannot plan anything', () => {
    expect(() => planBatches([262_145], 10, 262_144)).toThrow(/message 0 is 262145 bytes, above the 262144-byte batch limit/);
    expect(() => planBatches([1], 0, 262_144)).toThrow(/maxEntries must be a positive integer/);
    expect(() => planBatches([1], 10, 0)).toThrow(/maxBytes must be positive/);
  });
});

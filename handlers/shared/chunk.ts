/**
 * Chunking by count and bytes: the shape of the AWS batch APIs that limit both the entries and the total payload
 * of a call (SNS PublishBatch, SQS SendMessageBatch, Kinesis PutRecords; each caller passes its API's limits).
 * Pure, no I/O.
 */

/**
 * Groups items (given by their byte sizes, in order) into batches of at most `maxEntries` items and at most
 * `maxBytes` bytes in total, filling each batch before starting the next. Returns the indices of each batch, so
 * the caller can map them back to its items (and report per-item results by index).
 * Throws when one item alone is larger than `maxBytes` (no batch can ever hold it): the caller refuses such an item
 * before planning.
 *
 * @example
 * planBatches([100_000, 100_000, 100_000], 10, 262_144) // [[0, 1], [2]]
 */
export function planBatches(sizes: readonly number[], maxEntries: number, maxBytes: number): number[][] {
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new Error(`maxEntries must be a positive integer, got ${maxEntries}`);
  if (!(maxBytes > 0)) throw new Error(`maxBytes must be positive, got ${maxBytes}`);
  const batches: number[][] = [];
  let current: number[] = [];
  let currentBytes = 0;
  sizes.forEach((size, i) => {
    if (size > maxBytes) throw new Error(`message ${i} is ${size} bytes, above the ${maxBytes}-byte batch limit`);
    if (current.length === maxEntries || currentBytes + size > maxBytes) {
      batches.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(i);
    currentBytes += size;
  });
  if (current.length) batches.push(current);
  return batches;
}

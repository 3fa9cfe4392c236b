/**
 * snapshot.json as tests read and forge it, in either format (3: a JSON header line and the
 * packed records; 2: one JSON value). Forging goes through the same packing the product writes,
 * but keeps the header as given, so a stale integrity hash stays stale.
 */
import type { PushedRecord } from '../../src/core/types.js';
import { PackedRecords } from '../../src/pipeline/packed-records.js';
import { splitSnapshotFile } from '../../src/state/baseline.js';

/** The snapshot's facts and records as one object (format 2's shape), or 'corrupt'. */
export function readSnapshotBytes(
  bytes: Buffer,
): (Record<string, unknown> & { records: PushedRecord[] }) | 'corrupt' {
  const file = splitSnapshotFile(bytes);
  if (!file) return 'corrupt';
  if (file.format === 'json') return file.value as Record<string, unknown> & { records: PushedRecord[] };
  const records = PackedRecords.parse(file.body);
  const { count: _count, ...facts } = file.header;
  return { ...facts, records: typeof records === 'string' ? [] : [...records] };
}

/**
 * The bytes of a format-3 snapshot.json holding `header` (as given; its `count` is the number of
 * records unless the header names one) and `records`.
 */
export function forgeSnapshot(header: Record<string, unknown>, records: readonly PushedRecord[]): Buffer {
  const { records: _dropped, ...facts } = header;
  const body = PackedRecords.encode(records) ?? Buffer.alloc(0);
  return Buffer.concat([
    Buffer.from(`${JSON.stringify({ ...facts, version: 3, count: facts.count ?? records.length })}\n`),
    body,
  ]);
}

/** Small builders for pipeline tests (plain data, no I/O). */

import type { SourceSnapshot } from '../../src/core/source.js';
import type { Place, PushedRecord, SourceRecord } from '../../src/core/types.js';

export function place(ref: string, source = 'hr'): Place {
  return { source, kind: 'csv-folder', ref };
}

export function rec(n: number, over: Partial<SourceRecord> = {}, source = 'hr'): SourceRecord {
  return { place: place(`staff.csv:${n + 1}`, source), ...pushed(n), ...over };
}

export function pushed(n: number, over: Partial<PushedRecord> = {}): PushedRecord {
  return {
    firstName: `First${n}`,
    lastName: `Last${n}`,
    email: `user${n}@example.com`,
    id: `ID${n}`,
    syncId: `S${n}`,
    ...over,
  };
}

export function snap(records: SourceRecord[], source = 'hr'): SourceSnapshot {
  return { source, kind: 'csv-folder', records, notices: [], description: 'test' };
}

/**
 * E-mail addresses MIM refuses. The emulator must refuse them as MIM does, and our validator must
 * refuse them first: a file MIM would reject is never uploaded.
 */
export const MALFORMED_EMAILS: readonly string[] = [
  'ada',
  'ada@',
  '@example.com',
  'ada@example',
  'a da@example.com',
  'ada@@example.com',
];

/**
 * The last accepted upload, packed: its records as the bytes the baseline's integrity hash covers
 * (`syncId\0firstName\0lastName\0email\0id\0carriedSince\n` each, UTF-8, sorted by unique Sync ID)
 * plus where each field starts. A million people cost their bytes and 24 bytes each instead of a
 * million objects, and the plan compares desired records with the bytes, so an unchanged person
 * builds nothing: objects are built only for the people a plan reports and when a caller asks.
 *
 * Pure: bytes in, checked values out.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import type { PersonFields, PushedRecord } from '../core/types.js';

const PER_RECORD = 6;
const NUL = 0;
const LF = 10;
const NAMES = ['syncId', 'firstName', 'lastName', 'email', 'id'] as const;
/** A lone surrogate has no UTF-8 form: such a record cannot be packed (and is never valid data). */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * A carriedSince as a run writes it (`Date#toISOString`, UTC). Anything else is refused when the
 * snapshot is read: carry-forward would read a non-date as "never expires" (NaN age), so a person
 * whose row is invalid would keep MIM access past guard.carryForwardDays.
 */
export function isCarriedSince(v: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(v) && Number.isFinite(Date.parse(v));
}

/** Records in Sync ID order as the plan, carry-forward and merge read the previous upload. */
export type PreviousRecords = readonly PushedRecord[] | PackedRecords;

export class PackedRecords implements Iterable<PushedRecord> {
  readonly length: number;
  readonly #bytes: Buffer;
  /** Field k of record i starts at [6i + k] and ends one byte before the next start. */
  readonly #starts: Uint32Array;
  #array: readonly PushedRecord[] | undefined;

  private constructor(bytes: Buffer, starts: Uint32Array, length: number) {
    this.#bytes = bytes;
    this.#starts = starts;
    this.length = length;
  }

  /**
   * Reads packed bytes, as strictly as a stored list of records is read: every record whole with
   * six fields, the first five not empty, the sixth empty or a carriedSince, UTF-8, sorted by
   * unique Sync ID (JavaScript string order, as the plan joins). A problem is one sentence naming
   * the record.
   */
  static parse(bytes: Buffer): PackedRecords | string {
    if (bytes.length === 0) return 'an empty list of records';
    // isAscii is a few ms a million people; the full UTF-8 check only when it is needed.
    if (!isAscii(bytes) && !isUtf8(bytes)) return 'the records are not UTF-8 text';
    // Sized exactly (one start per field, plus the end): a million people's offsets are 24 MB,
    // and a guessed size that doubles would hold up to twice that at the plan's peak.
    let starts = new Uint32Array(PER_RECORD * lineCount(bytes) + 1);
    let m = 1;
    let field = 0;
    let rec = 0;
    for (let p = 0; p < bytes.length; p++) {
      const b = bytes[p]!;
      if (b !== NUL && b !== LF) continue;
      if (b === NUL) {
        if (field === PER_RECORD - 1) return `record ${rec} has more than ${PER_RECORD} fields`;
        if (p === starts[m - 1]) return `record ${rec} has no ${NAMES[field]}`;
        field++;
      } else {
        if (field !== PER_RECORD - 1) return `record ${rec} has ${field + 1} fields instead of ${PER_RECORD}`;
        if (p > starts[m - 1]! && !isCarriedSince(bytes.toString('latin1', starts[m - 1]!, p)))
          return `record ${rec} has a carriedSince that is not a time a run wrote`;
        if (rec > 0 && !ascending(bytes, starts, m - 2 * PER_RECORD, m - PER_RECORD))
          return `records are not sorted by unique Sync ID at record ${rec}`;
        rec++;
        field = 0;
      }
      if (m === starts.length) {
        const grown = new Uint32Array(starts.length * 2);
        grown.set(starts);
        starts = grown;
      }
      starts[m++] = p + 1;
    }
    if (field !== 0 || bytes[bytes.length - 1] !== LF) return `record ${rec} is cut off`;
    return new PackedRecords(bytes, starts.subarray(0, m), rec);
  }

  /**
   * The packed bytes of records in Sync ID order, or undefined when a field holds what the
   * packing cannot keep apart (a NUL, a line break, a lone surrogate): `parse` of the bytes finds
   * any NUL or line break as a wrong field count.
   */
  static encode(records: readonly PushedRecord[]): Buffer | undefined {
    const chunks: Buffer[] = [];
    let batch = '';
    const flush = (): boolean => {
      if (LONE_SURROGATE.test(batch)) return false;
      chunks.push(Buffer.from(batch, 'utf8'));
      batch = '';
      return true;
    };
    for (const r of records) {
      batch += `${r.syncId}\0${r.firstName}\0${r.lastName}\0${r.email}\0${r.id}\0${r.carriedSince ?? ''}\n`;
      if (batch.length > 65_536 && !flush()) return undefined;
    }
    if (!flush()) return undefined;
    return Buffer.concat(chunks);
  }

  /** Packs records (sorted by unique Sync ID); a problem when they cannot be packed. */
  static from(records: readonly PushedRecord[]): PackedRecords | string {
    const bytes = PackedRecords.encode(records);
    if (!bytes) return 'a field holds a character the snapshot cannot store';
    const packed = PackedRecords.parse(bytes);
    if (typeof packed !== 'string' && packed.length !== records.length)
      return 'a field holds a character the snapshot cannot store';
    return packed;
  }

  /** The packed bytes (what the integrity hash covers). */
  get bytes(): Buffer {
    return this.#bytes;
  }

  #field(i: number, k: number): string {
    const at = i * PER_RECORD + k;
    return this.#bytes.toString('utf8', this.#starts[at], this.#starts[at + 1]! - 1);
  }

  /** Record i, built now (keys in the order `toPushed` writes them). */
  at(i: number): PushedRecord {
    const firstName = this.#field(i, 1);
    const lastName = this.#field(i, 2);
    const email = this.#field(i, 3);
    const id = this.#field(i, 4);
    const syncId = this.#field(i, 0);
    const carriedSince = this.#field(i, 5);
    return carriedSince
      ? { firstName, lastName, email, id, syncId, carriedSince }
      : { firstName, lastName, email, id, syncId };
  }

  syncIdAt(i: number): string {
    return this.#field(i, 0);
  }

  /** Record i's Sync ID against `syncId` in JavaScript string order: negative, 0 or positive. */
  compareSyncId(i: number, syncId: string): number {
    const bytes = this.#bytes;
    let p = this.#starts[i * PER_RECORD]!;
    const end = this.#starts[i * PER_RECORD + 1]! - 1;
    for (let k = 0; k < syncId.length; k++, p++) {
      const c = syncId.charCodeAt(k);
      if (c >= 0x80) return compareStrings(this.syncIdAt(i), syncId);
      if (p === end) return -1;
      const b = bytes[p]!;
      // A non-ASCII byte starts a character above every ASCII one, in both orders.
      if (b !== c) return b < c ? -1 : 1;
    }
    return p === end ? 0 : 1;
  }

  /** Whether record i holds these first name, last name, e-mail and ID (what MIM compares). */
  sameFields(i: number, r: PersonFields): boolean {
    const base = i * PER_RECORD;
    return (
      this.#equals(base + 1, r.firstName) &&
      this.#equals(base + 2, r.lastName) &&
      this.#equals(base + 3, r.email) &&
      this.#equals(base + 4, r.id)
    );
  }

  /** Whether record i has this Sync ID and carry-forward start (absent and '' are the same). */
  sameKeys(i: number, syncId: string, carriedSince: string | undefined): boolean {
    return this.#equals(i * PER_RECORD, syncId) && this.#equals(i * PER_RECORD + 5, carriedSince ?? '');
  }

  /** Field `at` equals `s`: UTF-8 encoded on the fly, so nothing is allocated. */
  #equals(at: number, s: string): boolean {
    const bytes = this.#bytes;
    let p = this.#starts[at]!;
    const end = this.#starts[at + 1]! - 1;
    for (let k = 0; k < s.length; k++) {
      const c = s.charCodeAt(k);
      if (c < 0x80) {
        if (p === end || bytes[p++] !== c) return false;
      } else if (c < 0x800) {
        if (end - p < 2 || bytes[p++] !== (0xc0 | (c >> 6)) || bytes[p++] !== (0x80 | (c & 63))) return false;
      } else if (c < 0xd800 || c >= 0xe000) {
        if (
          end - p < 3 ||
          bytes[p++] !== (0xe0 | (c >> 12)) ||
          bytes[p++] !== (0x80 | ((c >> 6) & 63)) ||
          bytes[p++] !== (0x80 | (c & 63))
        )
          return false;
      } else {
        // Outside the Basic Multilingual Plane: rare, so decoded and compared as text.
        return this.#bytes.toString('utf8', this.#starts[at], end) === s;
      }
    }
    return p === end;
  }

  *[Symbol.iterator](): Iterator<PushedRecord> {
    if (this.#array) {
      yield* this.#array;
      return;
    }
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }

  /** Every record as an object, built once: for the rare paths that look people up by key. */
  toArray(): readonly PushedRecord[] {
    if (!this.#array) {
      const out: PushedRecord[] = new Array(this.length);
      for (let i = 0; i < this.length; i++) out[i] = this.at(i);
      this.#array = out;
    }
    return this.#array;
  }
}

/** Whether record i has this Sync ID and carry-forward start (absent and '' are the same). */
export function sameKeysAt(
  records: PreviousRecords,
  i: number,
  syncId: string,
  carriedSince: string | undefined,
): boolean {
  if (records instanceof PackedRecords) return records.sameKeys(i, syncId, carriedSince);
  const r = records[i];
  return r !== undefined && r.syncId === syncId && (r.carriedSince ?? '') === (carriedSince ?? '');
}

/** A plain list of records, for callers that index people by key. */
export function recordList(previous: PreviousRecords): readonly PushedRecord[] {
  return previous instanceof PackedRecords ? previous.toArray() : previous;
}

/** The Sync ID whose fields start at [cur] comes after the one at [prev]. */
function ascending(bytes: Buffer, starts: Uint32Array, prev: number, cur: number): boolean {
  return compareRanges(bytes, starts[prev]!, starts[prev + 1]! - 1, starts[cur]!, starts[cur + 1]! - 1) < 0;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Two UTF-8 ranges of `bytes` in JavaScript string order. Byte order is code point order, which
 * differs from UTF-16 order only for characters from U+E000 up (lead bytes 0xEE and above), so
 * those are decoded and compared as strings.
 */
function compareRanges(bytes: Buffer, a: number, aEnd: number, b: number, bEnd: number): number {
  const n = Math.min(aEnd - a, bEnd - b);
  for (let k = 0; k < n; k++) {
    const x = bytes[a + k]!;
    const y = bytes[b + k]!;
    if (x === y) continue;
    if (x >= 0xee || y >= 0xee)
      return compareStrings(bytes.toString('utf8', a, aEnd), bytes.toString('utf8', b, bEnd));
    return x - y;
  }
  return aEnd - a - (bEnd - b);
}

/** Line breaks in the bytes: how many records a whole file holds (a cut-off last one adds none). */
function lineCount(bytes: Buffer): number {
  let n = 0;
  for (let p = bytes.indexOf(LF); p !== -1; p = bytes.indexOf(LF, p + 1)) n++;
  return n;
}

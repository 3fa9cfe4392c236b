/**
 * Normalise + validate one record at a time, keeping only what a run needs: the valid records,
 * the first N rejections in full, a count of the rest, and a compact log of every rejected
 * record's Sync ID / e-mail / place (carry-forward must see them all, or a pushed person whose
 * row is invalid would be deleted instead of carried). A source that streams (csv-folder) feeds
 * its rows here as it reads, so a hostile file of a million invalid rows costs a few bytes per
 * row, not a million objects. Pure: no I/O.
 */
import type { FieldOrigins } from '../core/source.js';
import {
  type CollectedRecords,
  FIELD_LABELS,
  type IdentityRecord,
  type Notice,
  type RejectedKey,
  type Rejection,
  type SourceKind,
  type SourceRecord,
} from '../core/types.js';
import { normalizeToIdentity } from './normalize.js';
import { alreadyNormalAndValid, NO_PROBLEMS, validateFields } from './validate.js';

/** Default for how many rejections of one source are listed in full. */
export const DEFAULT_MAX_LISTED_REJECTIONS = 1000;

export type { CollectedRecords, RejectedKey };

/** Keys per block before it is packed into one string. */
const BLOCK = 1024;
const SEP = '\u0000';

/**
 * Rejected keys packed as strings of `syncId SEP email SEP ref`, joined per block: about one byte
 * per character instead of three objects per record. Refs of a block that share their part up to
 * the last `:` (`staff.csv:`) store only the rest. Keys that cannot be a pushed person's are stored
 * empty: one holding a NUL, and an e-mail without `@` (every pushed e-mail passed validation).
 */
class RejectedKeyLog {
  private readonly blocks: { readonly prefix: string; readonly text: string }[] = [];
  private current: string[] = [];
  private readonly source: string;
  private readonly kind: SourceKind;

  constructor(source: string, kind: SourceKind) {
    this.source = source;
    this.kind = kind;
  }

  add(syncId: string | undefined, email: string | undefined, ref: string): void {
    const mail = email?.includes('@') ? email : undefined;
    this.current.push(clean(syncId), clean(mail), ref.replaceAll(SEP, ' '));
    if (this.current.length >= BLOCK * 3) this.pack();
  }

  private pack(): void {
    const entries = this.current;
    if (entries.length === 0) return;
    const first = entries[2]!;
    const prefix = first.slice(0, first.lastIndexOf(':') + 1);
    let shared = prefix.length > 0;
    for (let i = 2; shared && i < entries.length; i += 3) shared = entries[i]!.startsWith(prefix);
    if (shared) for (let i = 2; i < entries.length; i += 3) entries[i] = entries[i]!.slice(prefix.length);
    this.blocks.push({ prefix: shared ? prefix : '', text: entries.join(SEP) });
    this.current = [];
  }

  *entries(): Generator<RejectedKey> {
    this.pack();
    const { source, kind } = this;
    for (const { prefix, text } of this.blocks) {
      const parts = text.split(SEP);
      for (let i = 0; i + 2 < parts.length; i += 3) {
        yield {
          place: { source, kind, ref: prefix + parts[i + 2]! },
          syncId: parts[i] || undefined,
          email: parts[i + 1] || undefined,
        };
      }
    }
  }
}

function clean(key: string | undefined): string {
  return key === undefined || key.includes(SEP) ? '' : key;
}

/** "…; E-mail address is read from attribute mail — to read another, set attributes.email or map.email". */
function withOrigin(p: Rejection, origins: FieldOrigins | undefined): Rejection {
  const origin = p.field === undefined ? undefined : origins?.[p.field];
  if (!origin || p.field === undefined) return p;
  const label = FIELD_LABELS[p.field];
  return { ...p, fix: `${p.fix}; ${label} is read from ${origin.from} — to read another, set ${origin.key}` };
}

/** The one rejection of a record the source could read only in part, with the keys it had. */
function unreadable(
  record: SourceRecord,
  person: IdentityRecord,
  why: NonNullable<SourceRecord['unreadable']>,
): Rejection {
  return {
    place: record.place,
    code: 'unreadable-row',
    reason: why.reason,
    fix: why.fix,
    syncId: person.syncId || undefined,
    email: person.email || undefined,
  };
}

export class RecordCollector {
  private readonly valid: IdentityRecord[] = [];
  private readonly listed: Rejection[] = [];
  private readonly notices: Notice[] = [];
  private readonly keys: RejectedKeyLog;
  private readonly source: string;
  private readonly kind: SourceKind;
  private readonly maxListed: number;
  private total = 0;
  private rejections = 0;
  private origins: FieldOrigins | undefined;

  constructor(source: string, kind: SourceKind, maxListed = DEFAULT_MAX_LISTED_REJECTIONS) {
    this.source = source;
    this.kind = kind;
    this.maxListed = maxListed;
    this.keys = new RejectedKeyLog(source, kind);
  }

  /** Where the source reads each field; named in the fix of a rejection about that field. */
  setFieldOrigins(origins: FieldOrigins | undefined): void {
    this.origins = origins;
  }

  /** Normalises and validates one record: kept when valid, else its problems are counted. */
  add(record: SourceRecord): void {
    this.total++;
    if (alreadyNormalAndValid(record)) {
      this.valid.push(record);
      return;
    }
    const person = normalizeToIdentity(record);
    // The record, not its place: a csv row builds its place only when a problem names it.
    const problems = record.unreadable
      ? [unreadable(record, person, record.unreadable)]
      : validateFields(person, record);
    if (record.notes) for (const message of record.notes) this.notices.push({ place: record.place, message });
    if (problems === NO_PROBLEMS) {
      this.valid.push(person);
      return;
    }
    this.rejections += problems.length;
    for (const p of problems)
      if (this.listed.length < this.maxListed) this.listed.push(withOrigin(p, this.origins));
    this.keys.add(person.syncId || undefined, person.email || undefined, record.place.ref);
  }

  /** A record the source itself could not read: it has no keys. */
  addUnreadable(ref: string, reason: string, fix: string): void {
    this.total++;
    this.rejections++;
    if (this.listed.length < this.maxListed) {
      this.listed.push({
        place: { source: this.source, kind: this.kind, ref },
        code: 'unreadable-row',
        reason,
        fix,
      });
    }
  }

  result(): CollectedRecords {
    const keys = this.keys;
    return {
      source: this.source,
      kind: this.kind,
      total: this.total,
      valid: this.valid,
      listed: this.listed,
      rejections: this.rejections,
      notices: this.notices,
      rejectedKeys: () => keys.entries(),
    };
  }
}

/** Collects a source that hands over a whole array (LDAP, Entra, tests). */
export function collectAll(
  source: string,
  kind: SourceKind,
  records: readonly SourceRecord[],
  unreadable: readonly { readonly ref: string; readonly reason: string; readonly fix: string }[] = [],
  maxListed = DEFAULT_MAX_LISTED_REJECTIONS,
  origins?: FieldOrigins,
): CollectedRecords {
  const c = new RecordCollector(source, kind, maxListed);
  c.setFieldOrigins(origins);
  for (const r of records) c.add(r);
  for (const u of unreadable) c.addUnreadable(u.ref, u.reason, u.fix);
  return c.result();
}

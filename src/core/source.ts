/**
 * The contract every source kind keeps (csv-folder, ldap, entra, and the next one). Shaped like
 * Benthos' plugins: a config spec, a constructor, check / fetch / settle / close, and an optional
 * hook naming what the daemon should watch, so the daemon never imports a source kind.
 *
 * To add a kind: write `sources/<kind>/` exporting one `SourceDefinition`, add it to the registry
 * in `sources/index.ts`, and add a runner of the source contract suite (`test/contract/<kind>.…`).
 * Nothing else in the code names a kind.
 */
import type convict from 'convict';
import type { Logger } from 'pino';
import type { CollectedRecords, Field, Notice, SourceKind, SourceRecord } from './types.js';

/** What a run did with a snapshot; a source advances cursors or archives files only on success. */
export type SettleOutcome =
  /** MIM accepted the push. */
  | 'applied'
  /** Nothing needed pushing (plan empty or payload byte-identical). */
  | 'unchanged'
  /** The guard blocked the run; nothing was pushed. Keep the input for the approved re-run. */
  | 'blocked'
  /** The run failed (another source, MIM, state). Keep the input for the next try. */
  | 'failed';

/**
 * Exactly which input a snapshot was read from (csv-folder: the file), so the state can record
 * what the baseline came from and a later run can find that same input again — by content hash
 * and sequence number, never by a wall-clock stamp or mtime ordering.
 */
export interface InputIdentity {
  /** File name as stored (archive name for an archived file). */
  readonly name: string;
  /** SHA-256 (hex) of the input's bytes. */
  readonly sha256: string;
  /** Monotonic sequence the source gave this input (e.g. archive order); not a clock reading. */
  readonly seq?: number | undefined;
}

export interface SourceSnapshot {
  readonly source: string;
  readonly kind: SourceKind;
  /** Every person the source holds, complete. Order is the source's order (used for tie-breaks). */
  readonly records: readonly SourceRecord[];
  /** Records the source itself could not read (e.g. an unparseable CSV row), with their place. */
  readonly unreadable?: readonly { readonly ref: string; readonly reason: string; readonly fix: string }[];
  /** Fallbacks taken and accounts skipped (disabled, guests), for the report. */
  readonly notices: readonly Notice[];
  /** A short description of what was read, e.g. "staff-2026-11-25.csv (1,204 rows)". */
  readonly description: string;
  /**
   * When `records` is empty: the likely causes, as the source found them (e.g. "group cn=x has
   * no members"), for the hard stop's message.
   */
  readonly whyEmpty?: string | undefined;
  /**
   * Set by a source that normalises and validates while it reads (csv-folder), so a huge or
   * hostile input never exists as one object per row; `records` then holds only the valid ones.
   */
  readonly collected?: CollectedRecords | undefined;
  /** The exact input read, where the source has one (csv-folder); recorded with the baseline. */
  readonly input?: InputIdentity | undefined;
  /**
   * Where each field is read from and which config key chooses it, so a rejection's fix can say
   * what to change (`mail` → `attributes.email`). The pipeline adds it to the fix; it never
   * needs to know the source kind.
   */
  readonly fieldOrigins?: FieldOrigins | undefined;
  /**
   * Called once per run after the outcome is settled. Sources that consume input (a drop file)
   * or keep a cursor (a delta link) act here, never earlier.
   * `rejectionsReport` is a text listing every rejected row of this source, one per line.
   */
  settle?(outcome: SettleOutcome, rejectionsReport: string): Promise<void>;
}

/** What a `check` found; sources and sinks answer with the same shape. */
export interface CheckResult {
  readonly ok: boolean;
  /** Human lines: "bind as cn=sync… OK", "search base ou=people: 1,204 users match". */
  readonly lines: readonly string[];
}

export interface Source {
  readonly name: string;
  readonly kind: SourceKind;
  /** Tests every connection and credential without changing anything. Never throws for a failed check. */
  check(signal: AbortSignal): Promise<CheckResult>;
  /**
   * The complete current set of people, or a thrown SyncError (SourceUnavailableError,
   * SourceInvalidError, ConfigError). Never a partial list, never [] because something failed.
   */
  fetch(signal: AbortSignal): Promise<SourceSnapshot>;
  /**
   * `plan --explain`: every entry this source holds for one person (by e-mail or Sync ID), also
   * the ones it leaves out (filter, group, scope, disabled, expired) and why. Reads only; never
   * changes state. Optional: without it, explain uses the fetched snapshot. Called after `fetch`
   * (a csv-folder looks in the file that fetch read). Undefined: this source cannot look (a lazy
   * wrapper whose kind has no explain), so the snapshot is used.
   */
  explain?(key: string, signal: AbortSignal): Promise<PersonLookup | undefined>;
  close(): Promise<void>;
}

/** One field of one entry, and where its value came from. */
export interface FieldOrigin {
  /** firstName, lastName, email, id, syncId. */
  readonly field: string;
  readonly value: string | undefined;
  /** The attribute / column / property read, or the expression: `mail`, `column "E-Mail"`. */
  readonly from: string;
  /** The config key that chooses it, so a hint can name what to change: `attributes.email`. */
  readonly key: string;
  /** Mapping steps (mapping/types.ts MappingStep), empty for a plain read. */
  readonly steps: readonly { readonly step: string; readonly value: string | undefined }[];
}

/** Where one field comes from, for every record of a source: `attribute mail`, key `attributes.email`. */
export type FieldOrigins = Readonly<Partial<Record<Field, Pick<FieldOrigin, 'from' | 'key'>>>>;

/** What a source knows about one person. */
export interface PersonFinding {
  /** file:line, DN or Graph id. */
  readonly place: string;
  /** In the source's records, or left out by the source itself (never reaches the pipeline). */
  readonly verdict: 'included' | 'left-out';
  /** For 'left-out': why, naming the rule: `disabled (userAccountControl 514)`, `scope: column "Mobile ID" is "nein"`. */
  readonly reason?: string | undefined;
  readonly fields: readonly FieldOrigin[];
}

/** What a source's `explain` found, and where it looked (said when it found nothing). */
export interface PersonLookup {
  /** `staff.csv (e-mail or Sync ID column)`, `ldap://dc1 ou=people: (|(mail=…)(entryUUID=…))`. */
  readonly searched: string;
  readonly findings: readonly PersonFinding[];
}

/** Given to a source's factory. */
export interface SourceContext {
  /** The job this source belongs to. */
  readonly job: string;
  /** A directory the source may keep its own state in (created on demand), e.g. a delta link. */
  readonly stateDir: string;
  readonly logger: Logger;
  readonly now: () => Date;
  /**
   * True for `plan` and `check`: the source must change nothing on disk (no moves to failed/ or
   * archive/, no cursor or state writes). Settle is never called in a dry run.
   */
  readonly dryRun?: boolean | undefined;
  /**
   * The input this source delivered for the baseline the run plans against (from the state), or
   * undefined when the baseline is unknown. A csv-folder with no new file re-reads exactly this.
   */
  readonly acceptedInput?: InputIdentity | undefined;
}

/** A schema tree as convict takes it (leaves have `default`). */
export type SchemaTree = { [key: string]: SchemaTree | convict.SchemaObj };

/**
 * A folder whose new files should start a run (csv-folder's drop folder). The daemon watches it
 * (top level only) and calls the job once the folder has been quiet for `stableMs`.
 */
export interface WatchedFolder {
  /** The source's name in the job. */
  readonly source: string;
  /** Absolute path. */
  readonly folder: string;
  /** True for a file name the source would read (ignored names and patterns already applied). */
  readonly matches: (fileName: string) => boolean;
  readonly stableMs: number;
}

/**
 * A source kind's configuration spec and constructor.
 * - `schema` lists the keys under the source's entry in `jobs[].sources[]` (not `name`/`kind`).
 *   Give each leaf `doc`, `format`, `default`; the loader assigns env names.
 * - A key marked `sensitive: true` may have a sibling `<key>File` (String, default ''): the loader
 *   fills the secret from that file (or from `<ENV>_FILE`) when it is empty.
 * - `watches`, when present, names the folders whose new files should trigger a run.
 */
export interface SourceDefinition<C = unknown> {
  readonly kind: SourceKind;
  readonly summary: string;
  readonly schema: SchemaTree;
  create(config: C & { readonly name: string }, ctx: SourceContext): Source;
  /**
   * Imports the kind's implementation (its client library), when the definition module keeps it
   * out so that commands which build no source start fast. `createSources` awaits it before
   * `create`, so `create`'s config errors still come at creation; a definition with `load` also
   * builds a working source without it (loading on first use).
   */
  load?(): Promise<void>;
  watches?(config: C & { readonly name: string }, job: string): readonly WatchedFolder[];
}

/** Every source kind the program knows, by kind. Handed to config loading and source creation. */
export type SourceRegistry = ReadonlyMap<SourceKind, SourceDefinition<never>>;

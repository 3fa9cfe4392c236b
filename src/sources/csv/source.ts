/**
 * The `csv-folder` source: reads the newest complete export in a drop folder.
 *
 * - No new file: the file the baseline came from (`ctx.acceptedInput`, found in the archive by its
 *   SHA-256, whatever its name) is read again, so a run with nothing new plans "unchanged" instead
 *   of "everyone deleted". With no known baseline the highest-sequence archive is read, and a notice
 *   says so. No file anywhere is an error, never [].
 * - A file that cannot be used as a whole (cut off, not text, over `maxFileBytes`, no usable
 *   columns) is moved to the failed folder with a `.errors.txt` (so it is not retried forever) and
 *   the run stops with SourceInvalidError. In a dry run (`plan`, `check`) nothing moves.
 * - After a successful run (`applied`/`unchanged`) the input and the older files it superseded go
 *   to the archive as `<sequence>-<name>`, with a `.rejects.txt` listing rejected rows. Blocked or
 *   failed runs keep them. Then archive/ and failed/ are pruned to `keepFiles` / `keepDays`
 *   (the input just archived and the baseline's input are always kept).
 * - Files in the folder that do not match `pattern` (an .xlsx, an .ods) are reported as notices
 *   and in the log, never skipped silently.
 * - Rows are normalised and validated while the file is read (RecordCollector): only valid records
 *   and a capped list of rejections are held.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import {
  AbortedError,
  ConfigError,
  errorText,
  SourceInvalidError,
  SourceUnavailableError,
} from '../../core/errors.js';
import { plural, someOf } from '../../core/plural.js';
import type {
  CheckResult,
  PersonLookup,
  SettleOutcome,
  Source,
  SourceContext,
  SourceSnapshot,
} from '../../core/source.js';
import type { Notice } from '../../core/types.js';
import { type CollectedRecords, RecordCollector } from '../../pipeline/collect.js';
import { checkCsvFolder } from './check.js';
import type { CsvFolderSettings } from './config.js';
import { describeRead, formatRef, shortPath } from './describe.js';
import { explainCsv, type ReadInput } from './explain.js';
import { CsvFileError, type FileProblem, isAbort, tooLarge } from './file-error.js';
import {
  archiveName,
  archiveSeq,
  archiveStamp,
  type DropFile,
  FUTURE_TOLERANCE_MS,
  findByHash,
  listArchive,
  listFailed,
  listUnmatched,
  moveWithSeq,
  moveWithStamp,
  nextArchiveSeq,
  pruneMoved,
  untrustedOrder,
  waitForNewestComplete,
  writeReport,
} from './folder.js';
import { type FileIdentity, fileIdentity, sameFile } from './identity.js';
import { type CsvReadResult, readCsvFile } from './read.js';

/** Non-matching files named one by one; beyond this they are counted. */
const UNMATCHED_LISTED = 20;

type Read = CsvReadResult<RecordCollector> & { readonly collected: CollectedRecords };

export class CsvFolderSource implements Source {
  readonly kind = 'csv-folder' as const;
  readonly name: string;
  private readonly settings: CsvFolderSettings;
  private readonly ctx: SourceContext;
  /** The file the last fetch read, for `explain`. */
  private lastRead: ReadInput | undefined;

  constructor(settings: CsvFolderSettings, ctx: SourceContext) {
    this.name = settings.name;
    this.settings = settings;
    this.ctx = ctx;
  }

  async fetch(signal: AbortSignal): Promise<SourceSnapshot> {
    try {
      return await this.fetchOnce(signal);
    } catch (e) {
      if (isAbort(e)) throw new AbortedError();
      throw e;
    }
  }

  async close(): Promise<void> {}

  explain(key: string, signal: AbortSignal): Promise<PersonLookup> {
    return explainCsv(this.name, this.settings, this.lastRead, key, signal);
  }

  private async fetchOnce(signal: AbortSignal): Promise<SourceSnapshot> {
    const { folder, matches, stableMs, stableTimeoutMs, archiveDir } = this.settings;
    const unmatched = await this.unmatchedNotices();
    const pick = await waitForNewestComplete({ folder, matches, stableMs, stableTimeoutMs, signal });
    if (!pick) return this.reread(signal, unmatched);
    const { input, superseded } = pick;
    this.assertTrustedOrder([input, ...superseded]);
    // Superseded files are archived at the sequences just below the input's.
    const first = await nextArchiveSeq(archiveDir);
    const seq = first + superseded.length;
    const read = await this.read(input, signal, false);
    const notices: Notice[] = [...unmatched.notices, ...read.notices];
    let description = `${input.name} (${describeRead(read)})`;
    if (superseded.length > 0) {
      // A busy drop folder can hold hundreds: name the newest few, count the rest.
      const names = someOf(superseded.map((f) => f.name));
      notices.push({
        place: { source: this.name, kind: this.kind, ref: input.name },
        message: `${plural(superseded.length, 'older file')} superseded by ${input.name} and archived unread after a successful run: ${names}`,
      });
      description += `; supersedes ${plural(superseded.length, 'older file')}`;
    }
    let settled = false;
    return {
      source: this.name,
      kind: this.kind,
      records: read.collected.valid,
      collected: read.collected,
      notices,
      description,
      input: { name: archiveName(seq, input.name), sha256: read.sha256, seq },
      settle: async (outcome: SettleOutcome, rejectionsReport: string): Promise<void> => {
        if (settled || this.ctx.dryRun) return;
        settled = true;
        await this.settle(outcome, rejectionsReport, input, read.identity, superseded, first);
      },
    };
  }

  /** No new file: read again the file the baseline came from (by hash), or the last archived one. */
  private async reread(
    signal: AbortSignal,
    unmatched: { readonly notices: Notice[]; readonly names: string[] },
  ): Promise<SourceSnapshot> {
    const { folder, archiveDir, matches } = this.settings;
    const archive = await listArchive(archiveDir, matches);
    if (archive.length === 0) {
      const also = unmatched.names.length
        ? ` (${unmatched.names.length} file(s) there do not match pattern "${this.settings.pattern}": ${unmatched.names.slice(0, 5).join(', ')})`
        : '';
      throw new SourceUnavailableError(`No file in the drop folder, and none archived yet${also}`, {
        place: folder,
        fix: also
          ? `Export the data as CSV (Excel: File › Save As › "CSV UTF-8"), or add its name to pattern. Writers should write staff.csv.tmp and rename it when complete.`
          : 'Drop an export (e.g. staff.csv) into the folder. Writers should write staff.csv.tmp and rename it when complete.',
      });
    }
    const accepted = this.ctx.acceptedInput;
    const notices = [...unmatched.notices];
    let file: DropFile;
    if (accepted) {
      const found = await findByHash(archive, accepted, signal);
      if (!found) {
        throw new SourceUnavailableError(
          `No new file, and the file the last push came from (${accepted.name}, SHA-256 ${accepted.sha256.slice(0, 12)}…) is no longer in the archive`,
          {
            place: archiveDir,
            fix: `Drop a current export into ${folder}, or put that file back into ${archiveDir}. Another archived file is not read in its place: it could be older and delete people added since.`,
          },
        );
      }
      file = found;
    } else {
      file = archive[0]!;
      notices.push({
        place: { source: this.name, kind: this.kind, ref: file.name },
        message: `the baseline's input file is not known, so the last archived file (highest sequence) ${file.name} was read; check that it is the current export`,
      });
    }
    const read = await this.read(file, signal, true);
    if (accepted && read.sha256 !== accepted.sha256) {
      throw new SourceUnavailableError(`${file.name} changed while it was read`, {
        place: file.path,
        fix: 'The next run reads it again.',
      });
    }
    const seq = archiveSeq(file.name);
    return {
      source: this.name,
      kind: this.kind,
      records: read.collected.valid,
      collected: read.collected,
      notices: [...notices, ...read.notices],
      description: `no new file in ${folder}; re-read the last accepted file ${shortPath(folder, file.path)} (${describeRead(read)})`,
      input: { name: file.name, sha256: read.sha256, ...(seq > 0 ? { seq } : {}) },
    };
  }

  /** Stops, moving nothing, when several pending files cannot be put in order (see folder.ts). */
  private assertTrustedOrder(files: readonly DropFile[]): void {
    const ahead = untrustedOrder(files, Date.now());
    if (ahead.length === 0) return;
    const list = files.map((f) => `${f.name} (modified ${new Date(f.mtimeMs).toISOString()})`).join(', ');
    throw new SourceInvalidError(
      `${files.length} files are waiting and ${ahead.map((f) => f.name).join(', ')} is dated more than ${FUTURE_TOLERANCE_MS / 60_000} minutes in the future, so which export is newest cannot be told: ${list}`,
      {
        place: this.settings.folder,
        fix: `A clock jumped (this host's or the writer's). Remove every file but the current export from ${this.settings.folder}; nothing was read or moved.`,
      },
    );
  }

  /** Files the pattern does not read, as notices (and a log warning, for the daemon log). */
  private async unmatchedNotices(): Promise<{ notices: Notice[]; names: string[] }> {
    const { folder, matches, pattern } = this.settings;
    const names = await listUnmatched(folder, matches);
    if (names.length === 0) return { notices: [], names };
    const notices: Notice[] = names.slice(0, UNMATCHED_LISTED).map((name) => ({
      place: { source: this.name, kind: this.kind, ref: name },
      message: `${name} is in the drop folder but does not match pattern "${pattern}", so it is not read: export it as CSV (Excel: File › Save As › "CSV UTF-8"), add its name to pattern, or move it away`,
    }));
    if (names.length > UNMATCHED_LISTED) {
      notices.push({
        place: { source: this.name, kind: this.kind, ref: folder },
        message: `and ${names.length - UNMATCHED_LISTED} more file(s) that do not match pattern "${pattern}"`,
      });
    }
    this.ctx.logger.warn(
      { folder, files: names.slice(0, UNMATCHED_LISTED), count: names.length, pattern },
      'Files in the drop folder do not match the pattern and are not read',
    );
    return { notices, names };
  }

  /** Tests the folders and reads the next input without moving anything. Never throws. */
  async check(signal: AbortSignal): Promise<CheckResult> {
    return checkCsvFolder(
      this.settings,
      this.ctx.acceptedInput,
      (file) => this.readFile(file, signal),
      signal,
    );
  }

  /** One pass over a file into a RecordCollector (normalised and validated while read). */
  private readFile(file: DropFile, signal: AbortSignal): Promise<CsvReadResult<RecordCollector>> {
    return readCsvFile(file.path, {
      sourceName: this.name,
      fileName: file.name,
      settings: this.settings,
      signal,
      sink: () => new RecordCollector(this.name, this.kind, this.settings.maxListedRejections),
    });
  }

  /** Reads a file; a file-level problem moves a pending file to the failed folder first (not in a dry run). */
  private async read(file: DropFile, signal: AbortSignal, archived: boolean): Promise<Read> {
    try {
      if (file.size > this.settings.maxFileBytes)
        throw new CsvFileError([tooLarge(file.size, this.settings.maxFileBytes)]);
      const read = await this.readFile(file, signal);
      this.lastRead = { file, sha256: read.sha256 };
      return { ...read, collected: read.sink.result() };
    } catch (e) {
      if (e instanceof CsvFileError) {
        if (e.changed) {
          throw new SourceUnavailableError(`${file.name} changed while it was read`, {
            place: file.path,
            fix: e.problems[0]?.fix ?? 'The next run reads it again.',
          });
        }
        throw archived ? this.archivedFileError(file, e) : await this.failFile(file, e.problems);
      }
      // A scope naming a column the file lacks: the config's problem, so the file stays where it is.
      if (isAbort(e) || e instanceof ConfigError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        throw new SourceUnavailableError(`${file.name} disappeared before it could be read`, {
          place: file.path,
          fix: 'Another process moved it away; the next run looks again.',
          cause: e,
        });
      }
      throw new SourceUnavailableError(`Cannot read ${file.name} (${code ?? errorText(e)})`, {
        place: file.path,
        fix: 'Check that the service user may read the file.',
        cause: e,
      });
    }
  }

  /** Moves an unusable file to the failed folder with its problems, and returns the error to throw. */
  private async failFile(file: DropFile, problems: readonly FileProblem[]): Promise<SourceInvalidError> {
    const first = problems[0] ?? { reason: 'the file cannot be used', fix: 'Export it again.' };
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : '';
    const place = first.line !== undefined ? `${file.path}:${first.line}` : file.path;
    const report = problems.map((p) => `${formatRef(file.name, p.line)}: ${p.reason} (${p.fix})`).join('\n');
    const where = this.ctx.dryRun
      ? `Dry run: the file was left where it is; a sync moves it to ${this.settings.failedDir}.`
      : await this.moveToFailed(file, report);
    return new SourceInvalidError(`${file.name} cannot be used: ${first.reason}${more}`, {
      place,
      fix: `${first.fix} ${where}`,
    });
  }

  /** Moves an unusable file and its report to the failed folder; says where it went (or why not). */
  private async moveToFailed(file: DropFile, report: string): Promise<string> {
    try {
      const failed = await moveWithStamp(file.path, this.settings.failedDir, archiveStamp(this.ctx.now()));
      await writeReport(`${failed}.errors.txt`, report);
      return `It was moved to ${failed}; ${failed}.errors.txt lists every problem. Drop the corrected file again.`;
    } catch (e) {
      this.ctx.logger.warn(
        { file: file.path, err: errorText(e) },
        'Could not move an unusable file to the failed folder',
      );
      return `It could not be moved to ${this.settings.failedDir} (${errorText(e)}), so every run reports it until it is removed or replaced.`;
    }
  }

  private archivedFileError(file: DropFile, e: CsvFileError): SourceInvalidError {
    const first = e.problems[0];
    return new SourceInvalidError(`The archived file ${file.name} cannot be used: ${e.message}`, {
      place: first?.line !== undefined ? `${file.path}:${first.line}` : file.path,
      fix: 'Drop a new export into the drop folder; the archive is only read when nothing new is there.',
    });
  }

  private async settle(
    outcome: SettleOutcome,
    rejectionsReport: string,
    input: DropFile,
    identity: FileIdentity,
    superseded: readonly DropFile[],
    first: number,
  ): Promise<void> {
    if (outcome === 'blocked' || outcome === 'failed') return;
    const { archiveDir } = this.settings;
    try {
      // Superseded files first, at lower sequences: the input is always the highest.
      for (const [i, old] of superseded.entries()) {
        if (await this.unchanged(old.path, old)) await moveWithSeq(old.path, archiveDir, first + i);
      }
      // A writer may have replaced the file since it was read: that version is new input, keep it.
      if (await this.unchanged(input.path, identity)) {
        const archived = await moveWithSeq(input.path, archiveDir, first + superseded.length);
        if (rejectionsReport.trim()) await writeReport(`${archived}.rejects.txt`, rejectionsReport);
        await this.prune(path.basename(archived));
      } else {
        this.ctx.logger.warn(
          { file: input.path },
          'The input file changed after it was read; left for the next run',
        );
      }
    } catch (e) {
      throw new SourceUnavailableError(`Could not archive ${input.name} (${errorText(e)})`, {
        place: archiveDir,
        fix: 'Give the service user write access to the archive folder; until then the next run reads the same file again.',
        cause: e,
      });
    }
  }

  /**
   * Retention after a successful run: deletes moved files beyond keepFiles and keepDays. Never
   * fails the run (MIM already has the upload): a problem is logged and the next run tries again.
   */
  private async prune(justArchived: string): Promise<void> {
    const { archiveDir, failedDir, matches, keepFiles, keepDays } = this.settings;
    const retention = { keepFiles, keepDays };
    const accepted = this.ctx.acceptedInput?.name;
    const nowMs = this.ctx.now().getTime();
    try {
      const archive = await listArchive(archiveDir, matches);
      // The baseline's file is found by hash when renamed; not seeing its name, delete nothing here.
      const archivePruned =
        accepted && !archive.some((f) => f.name === accepted)
          ? []
          : await pruneMoved(
              archive,
              retention,
              new Set([justArchived, accepted ?? '']),
              nowMs,
              '.rejects.txt',
            );
      const failedPruned = await pruneMoved(
        await listFailed(failedDir, matches),
        retention,
        new Set(),
        nowMs,
        '.errors.txt',
      );
      if (archivePruned.length + failedPruned.length > 0) {
        this.ctx.logger.info(
          {
            archiveDir,
            archived: archivePruned,
            failedDir,
            failed: failedPruned,
            keepFiles,
            keepDays,
          },
          `Retention: deleted ${archivePruned.length} archived and ${failedPruned.length} failed file(s) beyond the newest ${keepFiles} and older than ${keepDays} days`,
        );
      }
    } catch (e) {
      this.ctx.logger.warn(
        { archiveDir, failedDir, err: errorText(e) },
        'Could not prune the archive or failed folder; the next run tries again',
      );
    }
  }

  private async unchanged(file: string, identity: FileIdentity): Promise<boolean> {
    const now = await stat(file).then(fileIdentity, () => undefined);
    return now !== undefined && sameFile(now, identity);
  }
}

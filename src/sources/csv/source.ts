/**
 * The `csv-folder` source: reads the newest complete export in a drop folder.
 *
 * - No new file: the last accepted file in the archive is read again, so a run with nothing new
 *   plans "unchanged" instead of "everyone deleted". No file anywhere is an error, never [].
 * - A file that cannot be used as a whole is moved to the failed folder with a `.errors.txt`
 *   (so it is not retried forever) and the run stops with SourceInvalidError.
 * - After a successful run (`applied`/`unchanged`) the input and the older files it superseded go
 *   to the archive, with a `.rejects.txt` listing rejected rows. Blocked or failed runs keep them.
 */
import { access, constants, stat } from 'node:fs/promises';
import path from 'node:path';
import { AbortedError, errorText, SourceInvalidError, SourceUnavailableError } from '../../core/errors.js';
import type { Notice } from '../../core/types.js';
import type { CheckResult, SettleOutcome, Source, SourceContext, SourceSnapshot } from '../types.js';
import type { CsvFolderSettings } from './config.js';
import type { Delimiter } from './dialect.js';
import {
  archiveStamp,
  type DropFile,
  folderError,
  listArchive,
  listPending,
  moveWithStamp,
  waitForNewestComplete,
  writeReport,
} from './folder.js';
import {
  CsvFileError,
  type CsvReadResult,
  type FileIdentity,
  type FileProblem,
  fileIdentity,
  isAbort,
  readCsvFile,
  sameFile,
} from './read.js';

const DELIMITER_NAMES: Readonly<Record<Delimiter, string>> = { ',': 'comma', ';': 'semicolon', '\t': 'tab' };

export class CsvFolderSource implements Source {
  readonly kind = 'csv-folder' as const;
  readonly name: string;
  private readonly settings: CsvFolderSettings;
  private readonly ctx: SourceContext;

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

  private async fetchOnce(signal: AbortSignal): Promise<SourceSnapshot> {
    const { folder, matches, stableMs, stableTimeoutMs, archiveDir } = this.settings;
    const pick = await waitForNewestComplete({ folder, matches, stableMs, stableTimeoutMs, signal });
    if (!pick) {
      const [last] = await listArchive(archiveDir, matches);
      if (!last) {
        throw new SourceUnavailableError('No file in the drop folder, and none archived yet', {
          place: folder,
          fix: 'Drop an export (e.g. staff.csv) into the folder. Writers should write staff.csv.tmp and rename it when complete.',
        });
      }
      const read = await this.read(last, signal, true);
      return {
        source: this.name,
        kind: this.kind,
        records: read.records,
        notices: read.notices,
        description: `no new file in ${folder}; re-read the last accepted file ${shortPath(folder, last.path)} (${describeRead(read)})`,
      };
    }
    const { input, superseded } = pick;
    const read = await this.read(input, signal, false);
    const notices: Notice[] = [...read.notices];
    let description = `${input.name} (${describeRead(read)})`;
    if (superseded.length > 0) {
      const names = superseded.map((f) => f.name).join(', ');
      notices.push({
        place: { source: this.name, kind: this.kind, ref: input.name },
        message: `older file(s) superseded by ${input.name} and archived unread after a successful run: ${names}`,
      });
      description += `; supersedes ${superseded.length} older file(s)`;
    }
    let settled = false;
    return {
      source: this.name,
      kind: this.kind,
      records: read.records,
      notices,
      description,
      settle: async (outcome: SettleOutcome, rejectionsReport: string): Promise<void> => {
        if (settled) return;
        settled = true;
        await this.settle(outcome, rejectionsReport, input, read.identity, superseded);
      },
    };
  }

  /** Reads a file; a file-level problem moves a pending file to the failed folder first. */
  private async read(file: DropFile, signal: AbortSignal, archived: boolean): Promise<CsvReadResult> {
    try {
      return await readCsvFile(file.path, {
        sourceName: this.name,
        fileName: file.name,
        settings: this.settings,
        signal,
      });
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
      if (isAbort(e)) throw e;
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
    let where: string;
    try {
      const failed = await moveWithStamp(file.path, this.settings.failedDir, archiveStamp(this.ctx.now()));
      await writeReport(`${failed}.errors.txt`, report);
      where = `It was moved to ${failed}; ${failed}.errors.txt lists every problem. Drop the corrected file again.`;
    } catch (e) {
      this.ctx.logger.warn(
        { file: file.path, err: errorText(e) },
        'Could not move an unusable file to the failed folder',
      );
      where = `It could not be moved to ${this.settings.failedDir} (${errorText(e)}), so every run reports it until it is removed or replaced.`;
    }
    return new SourceInvalidError(`${file.name} cannot be used: ${first.reason}${more}`, {
      place,
      fix: `${first.fix} ${where}`,
    });
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
  ): Promise<void> {
    if (outcome === 'blocked' || outcome === 'failed') return;
    const { archiveDir } = this.settings;
    const stamp = archiveStamp(this.ctx.now());
    try {
      // A writer may have replaced the file since it was read: that version is new input, keep it.
      if (await this.unchanged(input.path, identity)) {
        const archived = await moveWithStamp(input.path, archiveDir, stamp);
        if (rejectionsReport.trim()) await writeReport(`${archived}.rejects.txt`, rejectionsReport);
      } else {
        this.ctx.logger.warn(
          { file: input.path },
          'The input file changed after it was read; left for the next run',
        );
      }
      for (const old of superseded) {
        if (await this.unchanged(old.path, old)) await moveWithStamp(old.path, archiveDir, stamp);
      }
    } catch (e) {
      throw new SourceUnavailableError(`Could not archive ${input.name} (${errorText(e)})`, {
        place: archiveDir,
        fix: 'Give the service user write access to the archive folder; until then the next run reads the same file again.',
        cause: e,
      });
    }
  }

  private async unchanged(file: string, identity: FileIdentity): Promise<boolean> {
    const now = await stat(file).then(fileIdentity, () => undefined);
    return now !== undefined && sameFile(now, identity);
  }

  /** Tests the folders and reads the next input without moving anything. Never throws. */
  async check(signal: AbortSignal): Promise<CheckResult> {
    const lines: string[] = [];
    let ok = true;
    const fail = (line: string): void => {
      ok = false;
      lines.push(line);
    };
    const { folder, archiveDir, failedDir, matches } = this.settings;
    try {
      const problem = await folderProblem(folder);
      if (problem) {
        fail(`drop folder ${folder}: ${problem}`);
        return { ok, lines };
      }
      lines.push(`drop folder ${folder}: readable and writable`);
      for (const [label, dir] of [
        ['archive', archiveDir],
        ['failed', failedDir],
      ] as const) {
        const status = await dirStatus(dir);
        if (status.ok) lines.push(`${label} folder ${dir}: ${status.text}`);
        else fail(`${label} folder ${dir}: ${status.text}`);
      }
      const [next] = await listPending(folder, matches);
      const [last] = next ? [] : await listArchive(archiveDir, matches);
      const file = next ?? last;
      if (!file) {
        fail(
          `no file matching "${this.settings.pattern}" in ${folder} or its archive: drop an export to start`,
        );
        return { ok, lines };
      }
      const age = Date.now() - file.mtimeMs;
      lines.push(
        next
          ? `next file: ${file.name} (${file.size.toLocaleString('en-US')} bytes, modified ${new Date(file.mtimeMs).toISOString()}${age < this.settings.stableMs ? ', still being written' : ''})`
          : `no new file: a run re-reads the last accepted file ${shortPath(folder, file.path)}`,
      );
      try {
        const read = await readCsvFile(file.path, {
          sourceName: this.name,
          fileName: file.name,
          settings: this.settings,
          signal,
        });
        lines.push(...describeForCheck(read));
      } catch (e) {
        if (e instanceof CsvFileError) {
          ok = false;
          const action = next && !e.changed ? ` a run would move it to ${failedDir}` : '';
          lines.push(`${file.name} cannot be used;${action}:`);
          for (const p of e.problems) lines.push(`  ${formatRef(file.name, p.line)}: ${p.reason} (${p.fix})`);
        } else fail(`cannot read ${file.name}: ${isAbort(e) ? 'check cancelled' : errorText(e)}`);
      }
    } catch (e) {
      fail(`check failed: ${errorText(isAbort(e) ? new AbortedError() : e)}`);
    }
    return { ok, lines };
  }
}

/** `archive/x.csv` when inside the drop folder, else the full path. */
function shortPath(folder: string, file: string): string {
  const rel = path.relative(folder, file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

function formatRef(name: string, line: number | undefined): string {
  return line !== undefined ? `${name}:${line}` : name;
}

function describeRead(read: CsvReadResult): string {
  const rows = `${read.records.length.toLocaleString('en-US')} row${read.records.length === 1 ? '' : 's'}`;
  return `${rows}; ${encodingName(read)}, ${DELIMITER_NAMES[read.delimiter]}-separated, ${read.header ? 'header row' : 'no header row'}`;
}

function encodingName(read: CsvReadResult): string {
  const { encoding, how } = read.encoding;
  const name = encoding === 'windows-1252' ? 'Windows-1252' : encoding.toUpperCase();
  return how === 'bom' ? `${name} with BOM` : name;
}

function describeForCheck(read: CsvReadResult): string[] {
  const out = [
    `encoding: ${encodingName(read)} (${read.encoding.how})`,
    `delimiter: ${DELIMITER_NAMES[read.delimiter]}`,
    `header row: ${read.header ? 'yes' : 'no'}`,
  ];
  if (read.mapping) out.push(...read.mapping.labels.map((l) => `column: ${l}`));
  out.push(`rows: ${read.records.length.toLocaleString('en-US')}`);
  for (const n of read.notices) out.push(`note: ${n.place ? `${n.place.ref}: ` : ''}${n.message}`);
  return out;
}

async function folderProblem(folder: string): Promise<string | undefined> {
  try {
    const s = await stat(folder);
    if (!s.isDirectory()) return 'not a directory';
    await access(folder, constants.R_OK | constants.W_OK | constants.X_OK);
    return undefined;
  } catch (e) {
    return folderError(folder, e).describe();
  }
}

/** Whether `dir` can be used, or created on first use, found out without creating it. */
async function dirStatus(dir: string): Promise<{ readonly ok: boolean; readonly text: string }> {
  let probe = dir;
  for (;;) {
    const s = await stat(probe).catch(() => undefined);
    if (s) {
      if (!s.isDirectory()) return { ok: false, text: `${probe} is not a directory` };
      try {
        await access(probe, constants.W_OK | constants.X_OK);
      } catch {
        return {
          ok: false,
          text:
            probe === dir
              ? 'not writable by the service user'
              : `cannot be created: ${probe} is not writable`,
        };
      }
      return { ok: true, text: probe === dir ? 'OK' : 'OK (created on first use)' };
    }
    const parent = path.dirname(probe);
    if (parent === probe) return { ok: false, text: 'cannot be created' };
    probe = parent;
  }
}

import { access, constants, stat } from 'node:fs/promises';
import path from 'node:path';
import { AbortedError, errorText } from '../../core/errors.js';
import { formatCount } from '../../core/plural.js';
import type { CheckResult, InputIdentity } from '../../core/source.js';
import type { CsvFolderSettings } from './config.js';
import { describeForCheck, formatRef, shortPath } from './describe.js';
import { CsvFileError, isAbort, tooLarge } from './file-error.js';
import { type DropFile, findByHash, folderError, listArchive, listPending, listUnmatched } from './folder.js';
import type { CsvReadResult } from './read.js';

/**
 * `check` for a csv-folder: tests the drop, archive and failed folders and reads the next input
 * (or the file a run would re-read) without moving anything. Never throws.
 */
export async function checkCsvFolder(
  settings: CsvFolderSettings,
  accepted: InputIdentity | undefined,
  readFile: (file: DropFile) => Promise<CsvReadResult>,
  signal: AbortSignal,
): Promise<CheckResult> {
  const lines: string[] = [];
  let ok = true;
  const fail = (line: string): void => {
    ok = false;
    lines.push(line);
  };
  const { folder, archiveDir, failedDir, matches } = settings;
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
    for (const name of await listUnmatched(folder, matches)) {
      lines.push(`not read: ${name} does not match pattern "${settings.pattern}"`);
    }
    const [next] = await listPending(folder, matches);
    const archive = next ? [] : await listArchive(archiveDir, matches);
    const last = accepted ? await findByHash(archive, accepted, signal) : archive[0];
    const file = next ?? last;
    if (!file) {
      fail(
        accepted && archive.length > 0
          ? `no new file, and the file the last push came from (${accepted.name}) is not in ${archiveDir}: drop a current export`
          : `no file matching "${settings.pattern}" in ${folder} or its archive: drop an export to start`,
      );
      return { ok, lines };
    }
    const age = Date.now() - file.mtimeMs;
    lines.push(
      next
        ? `next file: ${file.name} (${formatCount(file.size)} bytes, modified ${new Date(file.mtimeMs).toISOString()}${age < settings.stableMs ? ', still being written' : ''})`
        : `no new file: a run re-reads the last accepted file ${shortPath(folder, file.path)}${accepted ? '' : ' (the highest sequence: the baseline is not known)'}`,
    );
    if (file.size > settings.maxFileBytes) {
      const p = tooLarge(file.size, settings.maxFileBytes);
      fail(`${file.name} cannot be used: ${p.reason} (${p.fix})`);
      return { ok, lines };
    }
    try {
      const read = await readFile(file);
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

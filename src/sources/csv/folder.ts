/**
 * The drop folder: which file is the input, when it is complete, and where it goes afterwards.
 *
 * Writers should write `x.csv.tmp` (or .part, or a dot-file) and rename it when complete; such names
 * are never read. For writers that cannot, a file only counts once its size and mtime have stood
 * still for `stableMs`. The newest complete file is the input (mtime, tie → name); older pending
 * files are superseded and archived with it. Archive names are `<UTC YYYYMMDDTHHMMSSZ>-<name>`.
 */
import { constants } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SourceUnavailableError } from '../../core/errors.js';

export interface DropFile {
  readonly name: string;
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
}

/** Partial downloads, editor backups and our own reports. */
const IGNORED_SUFFIXES = ['.tmp', '.part', '.partial', '~', '.crdownload', '.rejects.txt', '.errors.txt'];

export function isIgnoredName(name: string): boolean {
  const lower = name.toLowerCase();
  return name.startsWith('.') || IGNORED_SUFFIXES.some((s) => lower.endsWith(s));
}

/** Regular files in `dir` whose names match; vanished entries are skipped. Throws the fs error. */
export async function listFiles(dir: string, matches: (name: string) => boolean): Promise<DropFile[]> {
  const names = await readdir(dir);
  const files: DropFile[] = [];
  for (const name of names) {
    if (isIgnoredName(name) || !matches(name)) continue;
    const full = path.join(dir, name);
    const s = await stat(full).catch(() => undefined);
    if (!s?.isFile()) continue;
    files.push({ name, path: full, size: s.size, mtimeMs: s.mtimeMs, ino: s.ino });
  }
  return files;
}

function newestFirst(a: DropFile, b: DropFile): number {
  return b.mtimeMs - a.mtimeMs || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0);
}

/** Pending files, newest first. Folder problems become SourceUnavailableError. */
export async function listPending(folder: string, matches: (name: string) => boolean): Promise<DropFile[]> {
  try {
    return (await listFiles(folder, matches)).sort(newestFirst);
  } catch (e) {
    throw folderError(folder, e);
  }
}

const STAMP_RE = /^(\d{8}T\d{6}Z)-/;

/**
 * Archived files, the last accepted first: by archive stamp, then mtime (the input is never older
 * than the files it superseded, which share its stamp), then name.
 */
export async function listArchive(dir: string, matches: (name: string) => boolean): Promise<DropFile[]> {
  let files: DropFile[];
  try {
    files = await listFiles(dir, matches);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw folderError(dir, e);
  }
  const stampOf = (f: DropFile): string => STAMP_RE.exec(f.name)?.[1] ?? '';
  return files.sort((a, b) => {
    const sa = stampOf(a);
    const sb = stampOf(b);
    return sa !== sb ? (sa < sb ? 1 : -1) : newestFirst(a, b);
  });
}

export function folderError(folder: string, e: unknown): SourceUnavailableError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    return new SourceUnavailableError('The drop folder does not exist', {
      place: folder,
      fix: 'Create it (the exports must land there) or correct `folder` in the source config.',
      cause: e,
    });
  }
  if (code === 'ENOTDIR') {
    return new SourceUnavailableError('The drop folder is not a directory', {
      place: folder,
      fix: 'Point `folder` at the directory the exports land in.',
      cause: e,
    });
  }
  return new SourceUnavailableError(`Cannot read the drop folder (${code ?? String(e)})`, {
    place: folder,
    fix: 'Give the service user read and write access to the folder (and its archive/failed sub-folders).',
    cause: e,
  });
}

export interface Pick {
  readonly input: DropFile;
  /** Older pending files; archived together with the input after a successful run. */
  readonly superseded: readonly DropFile[];
}

export interface WaitOptions {
  readonly folder: string;
  readonly matches: (name: string) => boolean;
  readonly stableMs: number;
  readonly stableTimeoutMs: number;
  readonly signal: AbortSignal;
}

/**
 * The newest complete pending file, or undefined when there is none. A file is complete when its
 * mtime is `stableMs` old, or when we saw it unchanged for `stableMs` (which also copes with a
 * writer whose clock runs ahead). Waits for a younger file, then gives up with SourceUnavailableError.
 * A newer file landing meanwhile becomes the candidate. Uses the real clock: mtimes are real.
 */
export async function waitForNewestComplete(options: WaitOptions): Promise<Pick | undefined> {
  const { folder, matches, stableMs, stableTimeoutMs, signal } = options;
  const deadline = Date.now() + stableTimeoutMs;
  const poll = Math.min(500, Math.max(25, Math.floor(stableMs / 4)));
  const seen = new Map<string, { readonly size: number; readonly mtimeMs: number; readonly since: number }>();
  for (;;) {
    signal.throwIfAborted();
    const files = await listPending(folder, matches);
    const newest = files[0];
    if (!newest) return undefined;
    const now = Date.now();
    let first = seen.get(newest.path);
    if (!first || first.size !== newest.size || first.mtimeMs !== newest.mtimeMs) {
      first = { size: newest.size, mtimeMs: newest.mtimeMs, since: now };
      seen.set(newest.path, first);
    }
    if (now - newest.mtimeMs >= stableMs || now - first.since >= stableMs) {
      return { input: newest, superseded: files.slice(1) };
    }
    if (now >= deadline) {
      throw new SourceUnavailableError(`${newest.name} is still being written`, {
        place: newest.path,
        fix: `It kept changing for ${Math.round(stableTimeoutMs / 1000)} s; the next run tries again. Writers should write ${newest.name}.tmp and rename it when complete (or raise stableTimeoutMs).`,
      });
    }
    await sleep(Math.min(poll, Math.max(1, deadline - now)), undefined, { signal });
  }
}

/** `2026-11-25T09:30:00.123Z` → `20261125T093000Z`. */
export function archiveStamp(now: Date): string {
  return now
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/** Moves `file` into `dir` as `<stamp>-<name>` (creating `dir`); returns the new path. Never overwrites. */
export async function moveWithStamp(file: string, dir: string, stamp: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const name = path.basename(file);
  let target = path.join(dir, `${stamp}-${name}`);
  for (let n = 2; await exists(target); n++) target = path.join(dir, `${stamp}-${n}-${name}`);
  try {
    await rename(file, target);
  } catch (e) {
    // The archive is on another filesystem: copy, then remove the original.
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    await copyFile(file, target, constants.COPYFILE_EXCL);
    await unlink(file);
  }
  return target;
}

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

export async function writeReport(file: string, text: string): Promise<void> {
  await writeFile(file, text.endsWith('\n') ? text : `${text}\n`, 'utf8');
}

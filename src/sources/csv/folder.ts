/**
 * The drop folder: which file is the input, when it is complete, and where it goes afterwards.
 *
 * Writers should write `x.csv.tmp` (or .part, or a dot-file) and rename it when complete; such names
 * are never read. For writers that cannot, a file only counts once its size and mtime have stood
 * still for `stableMs`. The newest complete file is the input (mtime, tie → name); older pending
 * files are superseded and archived with it.
 *
 * No decision here reads the wall clock's order. Archive names are `<sequence>-<name>` (000001,
 * 000002, …: one more than the highest in the archive), so "last archived" is the highest
 * sequence, never a clock stamp; a run re-reads the accepted file by its content hash anyway.
 * mtimes come from the writer's clock: when several files are pending and one of them is dated
 * more than FUTURE_TOLERANCE_MS ahead of this host's clock, their order cannot be trusted and the
 * run stops without moving anything (see `untrustedOrder`). Older archives named
 * `<UTC YYYYMMDDTHHMMSSZ>-<name>` (before sequences) count as older than every sequence.
 */
import { constants, createReadStream } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SourceUnavailableError } from '../../core/errors.js';
import type { InputIdentity } from '../../core/source.js';
import { isAbort } from './file-error.js';
import { isIgnoredName } from './ignored-names.js';

export interface DropFile {
  readonly name: string;
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
}

/**
 * Regular files in the drop folder that are neither read (no pattern match) nor quietly ignored:
 * `staff.xlsx`, `staff.ods`, `staff.csv.bak`. An export saved in the wrong format must be reported,
 * never silently skipped. Sorted by name; problems listing the folder give [].
 */
export async function listUnmatched(dir: string, matches: (name: string) => boolean): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: string[] = [];
  for (const name of names) {
    if (isIgnoredName(name) || matches(name)) continue;
    const s = await stat(path.join(dir, name)).catch(() => undefined);
    if (s?.isFile()) out.push(name);
  }
  return out.sort();
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

/**
 * How far ahead of this host's clock a pending file's mtime may be before the order of several
 * pending files is not trusted (NFS and SMB servers drift by seconds, not minutes).
 */
export const FUTURE_TOLERANCE_MS = 5 * 60_000;

/**
 * Several pending files are ordered by mtime, which the writer's clock set. If one is dated in the
 * future, either that writer's clock or ours jumped, and "newest" may be an older export: reading
 * it would supersede (archive unread) the real newest one and delete the people added since.
 * Returns the files dated ahead, or [] when the order can be trusted (or only one file is pending).
 */
export function untrustedOrder(files: readonly DropFile[], nowMs: number): DropFile[] {
  if (files.length < 2) return [];
  return files.filter((f) => f.mtimeMs > nowMs + FUTURE_TOLERANCE_MS);
}

/** Pending files, newest first. Folder problems become SourceUnavailableError. */
export async function listPending(folder: string, matches: (name: string) => boolean): Promise<DropFile[]> {
  try {
    return (await listFiles(folder, matches)).sort(newestFirst);
  } catch (e) {
    throw folderError(folder, e);
  }
}

const SEQ_RE = /^(\d{6,})-/;
const STAMP_RE = /^(\d{8}T\d{6}Z)-/;

/** The archive sequence in a name (`000042-staff.csv` → 42), or 0 (a legacy stamp name, or none). */
export function archiveSeq(name: string): number {
  const m = SEQ_RE.exec(name);
  return m ? Number(m[1]) : 0;
}

/**
 * Archived files, the last archived first: by sequence; legacy stamp names after every sequence,
 * among themselves by stamp, then mtime, then name. Folder problems become SourceUnavailableError.
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
    const qa = archiveSeq(a.name);
    const qb = archiveSeq(b.name);
    if (qa !== qb) return qb - qa;
    const sa = stampOf(a);
    const sb = stampOf(b);
    return sa !== sb ? (sa < sb ? 1 : -1) : newestFirst(a, b);
  });
}

/** One more than the highest sequence in the archive (every name, whatever the pattern). */
export async function nextArchiveSeq(dir: string): Promise<number> {
  const names = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw folderError(dir, e);
  });
  let max = 0;
  for (const name of names) max = Math.max(max, archiveSeq(name));
  return max + 1;
}

/** `42, staff.csv` → `000042-staff.csv`. */
export function archiveName(seq: number, name: string): string {
  return `${String(seq).padStart(6, '0')}-${name}`;
}

/** SHA-256 (hex) of a file's bytes, streamed. */
export async function fileSha256(file: string, signal?: AbortSignal): Promise<string> {
  // node:crypto on use, not when `status` loads the CSV source's config.
  const hash = process.getBuiltinModule('node:crypto').createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024, signal })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
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

/** `2026-11-25T09:30:00.123Z` → `20261125T093000Z`. Names failed files for people; decides nothing. */
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
  await moveTo(file, target);
  return target;
}

/**
 * Moves `file` into `dir` as `<seq>-<name>` (creating `dir`); a taken name (another process
 * archived meanwhile) takes the next free sequence. Returns the new path. Never overwrites.
 */
export async function moveWithSeq(file: string, dir: string, seq: number): Promise<string> {
  await mkdir(dir, { recursive: true });
  const name = path.basename(file);
  let n = seq;
  let target = path.join(dir, archiveName(n, name));
  while (await exists(target)) target = path.join(dir, archiveName(++n, name));
  await moveTo(file, target);
  return target;
}

async function moveTo(file: string, target: string): Promise<void> {
  try {
    await rename(file, target);
  } catch (e) {
    // The archive is on another filesystem: copy, then remove the original.
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    await copyFile(file, target, constants.COPYFILE_EXCL);
    await unlink(file);
  }
}

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

/** What an archive or failed folder keeps: the newest `keepFiles`, and everything younger than `keepDays`. */
export interface Retention {
  readonly keepFiles: number;
  readonly keepDays: number;
}

/** Names this source gives the files it moves: `<sequence>-<name>` or `<stamp>-<name>`. */
export function isMovedName(name: string): boolean {
  return SEQ_RE.test(name) || STAMP_RE.test(name);
}

/**
 * Deletes the files the source moved into a folder beyond its retention: `files` are the folder's
 * moved files, newest first (archive: by sequence; failed: by stamp). A file is deleted only when
 * it is past the newest `keepFiles`, not in `protect`, and was moved there (its ctime: a rename
 * sets it) more than `keepDays` ago; its report (`<name><companion>`) goes with it. Returns the
 * names deleted.
 */
export async function pruneMoved(
  files: readonly DropFile[],
  retention: Retention,
  protect: ReadonlySet<string>,
  nowMs: number,
  companion: string,
): Promise<string[]> {
  const cutoff = nowMs - retention.keepDays * 86_400_000;
  const pruned: string[] = [];
  for (const [i, f] of files.entries()) {
    if (i < retention.keepFiles || protect.has(f.name) || !isMovedName(f.name)) continue;
    const movedAt = (await stat(f.path).catch(() => undefined))?.ctimeMs;
    if (movedAt === undefined || movedAt >= cutoff) continue;
    await unlink(f.path);
    await unlink(`${f.path}${companion}`).catch(() => undefined);
    pruned.push(f.name);
  }
  return pruned;
}

/** The failed folder's moved files, newest first by their stamp (then name). Missing folder: []. */
export async function listFailed(dir: string, matches: (name: string) => boolean): Promise<DropFile[]> {
  const files = await listFiles(dir, matches).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as DropFile[];
    throw e;
  });
  return files
    .filter((f) => STAMP_RE.test(f.name))
    .sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
}

export async function writeReport(file: string, text: string): Promise<void> {
  await writeFile(file, text.endsWith('\n') ? text : `${text}\n`, 'utf8');
}

/**
 * The archived file whose bytes hash to `accepted.sha256`: the one with the recorded name first
 * (one hash), else every other, last archived first. Undefined when none matches.
 */
export async function findByHash(
  archive: readonly DropFile[],
  accepted: InputIdentity,
  signal: AbortSignal,
): Promise<DropFile | undefined> {
  const named = archive.filter((f) => f.name === accepted.name);
  const rest = archive.filter((f) => f.name !== accepted.name);
  for (const f of [...named, ...rest]) {
    const sha = await fileSha256(f.path, signal).catch((e: unknown) => {
      if (isAbort(e)) throw e;
      return undefined;
    });
    if (sha === accepted.sha256) return f;
  }
  return undefined;
}

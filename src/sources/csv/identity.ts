/**
 * Which file was read: size, mtime and inode, taken before and after a read. A file that changed
 * while it was read (a writer still at work, a rename over it) is refused, and settle archives a
 * file only if it is still the one read.
 */
import type { Stats } from 'node:fs';
import { type FileHandle, stat } from 'node:fs/promises';
import { CsvFileError } from './file-error.js';

export interface FileIdentity {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
}

export function fileIdentity(s: Stats): FileIdentity {
  return { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino };
}

export function sameFile(a: FileIdentity, b: FileIdentity): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}

/** Throws a `changed` CsvFileError unless the file (by handle and by path) is still `before`. */
export async function assertUnchanged(
  handle: FileHandle,
  filePath: string,
  before: FileIdentity,
): Promise<void> {
  const after = fileIdentity(await handle.stat());
  const now = await stat(filePath).then(fileIdentity, () => undefined);
  if (sameFile(before, after) && now && sameFile(before, now)) return;
  throw new CsvFileError(
    [
      {
        reason: now
          ? 'the file changed while it was read'
          : 'the file was moved or deleted while it was read',
        fix: 'Let the writer finish first: write x.csv.tmp and rename it to x.csv when complete. The next run reads the file again.',
      },
    ],
    true,
  );
}

/**
 * Names in a drop folder that are never an export. Its own module because the source kind's
 * definition (csv/index.ts, loaded by every command) needs it for the daemon's watcher, and
 * folder.ts (listing, hashing, archiving) is only for runs.
 */

/** Partial downloads, editor backups and our own reports. */
const IGNORED_SUFFIXES = ['.tmp', '.part', '.partial', '~', '.crdownload', '.rejects.txt', '.errors.txt'];

/** Dot-files (LibreOffice's `.~lock.x#` too), Office owner files (`~$x.xlsx`), files still being written. */
export function isIgnoredName(name: string): boolean {
  const lower = name.toLowerCase();
  return name.startsWith('.') || name.startsWith('~$') || IGNORED_SUFFIXES.some((s) => lower.endsWith(s));
}

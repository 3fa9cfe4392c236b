/**
 * The drop-folder trigger: watches every folder a job's sources name through their `watches` hook
 * (csv-folder: its drop folder; top level only — archive/ and failed/ live below it) for files
 * the source would read, and triggers one run once the folder has been quiet for
 * max(schedule.debounceMs, the source's stableMs). It knows no source kind: the registry says.
 *
 * The quiet window starts at the last write, not at a "file complete" event, so waiting for a
 * file to settle and debouncing a burst of files overlap: the run starts about one stability
 * window after the last byte landed. The source then checks stability itself (size and mtime
 * unchanged for stableMs) before reading, so a writer that pauses longer still cannot hand us
 * half a file.
 */

import type { Stats } from 'node:fs';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import type { JobConfig } from '../config/schema.js';
import type { SourceRegistry, WatchedFolder } from '../core/source.js';
import type { Logger } from '../telemetry/logger.js';
import { dropFolders } from './config-check.js';

// In config-check.ts so `config validate` checks the folders without loading chokidar.
export { dropFolders };

const MISSING_FOLDER_PROBE_MS = 5_000;

export interface DropWatch {
  readonly folders: readonly WatchedFolder[];
  /** Resolves once the initial scan is done (events from then on are new files). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/** True for a path chokidar should not report: anything but a matching file directly in a folder. */
export function isIgnored(folders: readonly WatchedFolder[], p: string, stats?: Stats): boolean {
  const resolved = path.resolve(p);
  if (folders.some((f) => f.folder === resolved)) return false;
  const owner = folders.find((f) => f.folder === path.dirname(resolved));
  if (!owner || stats?.isDirectory()) return true;
  return !owner.matches(path.basename(resolved));
}

/**
 * Watches the job's drop folders; `fire(files)` is called once per quiet burst.
 * Returns null when no source of the job names a folder (or watching is off).
 */
export function watchDropFolders(
  job: JobConfig,
  registry: SourceRegistry,
  fire: (files: readonly string[]) => void,
  log: Logger,
  options: { readonly reportExisting: boolean; readonly probeMs?: number },
): DropWatch | null {
  const folders = job.schedule.watch ? dropFolders(job, registry) : [];
  if (folders.length === 0) return null;
  const quietMs = Math.max(job.schedule.debounceMs, ...folders.map((f) => f.stableMs));

  let timer: NodeJS.Timeout | undefined;
  const pending = new Set<string>();
  const arm = (label: string): void => {
    pending.add(label);
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      const files = [...pending];
      pending.clear();
      fire(files);
    }, quietMs);
  };
  const onFile = (file: string): void => arm(path.basename(file));

  const present = folders.filter((f) => existsSync(f.folder));
  const watcher: FSWatcher = watch(
    present.map((f) => f.folder),
    {
      // Without a start-up run, files already waiting trigger one as soon as the daemon is up.
      ignoreInitial: !options.reportExisting,
      depth: 0,
      ignored: (p, stats) => isIgnored(folders, p, stats),
      persistent: true,
    },
  );
  watcher.on('add', onFile);
  watcher.on('change', onFile);
  watcher.on('error', (e) =>
    log.warn({ err: e instanceof Error ? e.message : String(e) }, 'Drop folder watcher error'),
  );
  // chokidar emits no 'ready' without a path to scan.
  const ready =
    present.length === 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => watcher.once('ready', () => resolve()));

  // A folder that is missing (a share not mounted yet) or goes away cannot be watched; look for it
  // every few seconds and watch it again once it is back. Files already in it then trigger a run.
  const missing = new Set(folders.filter((f) => !present.includes(f)));
  let probe: NodeJS.Timeout | undefined;
  const lookForMissing = (): void => {
    for (const f of missing) {
      if (!existsSync(f.folder)) continue;
      missing.delete(f);
      log.info({ source: f.source, folder: f.folder }, 'Drop folder is back; watching it');
      watcher.add(f.folder);
      arm(`${f.source}: folder appeared`);
    }
    if (missing.size === 0) {
      clearInterval(probe);
      probe = undefined;
    }
  };
  const onMissing = (f: WatchedFolder): void => {
    log.warn(
      { source: f.source, folder: f.folder },
      'The drop folder does not exist; runs fail until it does, and files are picked up once it is back',
    );
    missing.add(f);
    watcher.unwatch(f.folder);
    probe ??= setInterval(lookForMissing, options.probeMs ?? MISSING_FOLDER_PROBE_MS);
  };
  for (const f of missing) onMissing(f);
  watcher.on('unlinkDir', (dir) => {
    const f = folders.find((x) => x.folder === path.resolve(dir));
    if (f && !missing.has(f)) onMissing(f);
  });

  return {
    folders,
    ready,
    async close() {
      clearTimeout(timer);
      clearInterval(probe);
      timer = undefined;
      pending.clear();
      await watcher.close();
    },
  };
}

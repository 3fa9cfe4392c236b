/**
 * Crash-safe file replacement: write a temp file beside the target, fsync it, rename it over the
 * target, fsync the directory. A reader sees the old file or the new one, never half of one.
 */
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
  await writeChunksAtomic(file, [data]);
}

/** The same for content produced piece by piece (a large file is never one string in memory). */
export async function writeChunksAtomic(file: string, chunks: Iterable<string | Buffer>): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    const fh = await open(tmp, 'w', 0o600);
    try {
      // writeFile writes the whole chunk from the current position (write() may write part of it).
      for (const chunk of chunks) await fh.writeFile(chunk);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await syncDir(path.dirname(file));
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

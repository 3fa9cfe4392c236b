/**
 * Helpers for the csv-folder tests: real files in temp dirs, byte-exact encodings, deterministic
 * binary garbage. No mocks: every test reads and moves real files.
 */
import { mkdtemp, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import iconv from 'iconv-lite';
import pino from 'pino';
import type { SourceContext } from '../../src/core/source.js';
import type { CsvFolderConfig, CsvReadSettings } from '../../src/sources/csv/config.js';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/csv');

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

export async function tempDir(prefix = 'csv-folder-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

export const AUTO_SETTINGS: CsvReadSettings = {
  header: 'auto',
  delimiter: 'auto',
  encoding: 'auto',
  columns: { firstName: '', lastName: '', email: '', id: '', syncId: '' },
  syncId: 'column',
  allowMissingFinalNewline: false,
  maxListedRejections: 1000,
};

export function folderConfig(folder: string, overrides: Partial<CsvFolderConfig> = {}): CsvFolderConfig {
  return {
    name: 'hr',
    folder,
    pattern: '*.csv,*.txt,*.tsv',
    header: 'auto',
    delimiter: 'auto',
    encoding: 'auto',
    columns: AUTO_SETTINGS.columns,
    map: { id: '', firstName: '', lastName: '', email: '' },
    syncId: 'column',
    stableMs: 0,
    stableTimeoutMs: 5_000,
    archiveDir: '',
    failedDir: '',
    maxFileBytes: 256 * 1024 * 1024,
    allowMissingFinalNewline: false,
    maxListedRejections: 1000,
    ...overrides,
  };
}

export const FIXED_NOW = new Date('2026-11-25T09:30:00.000Z');

export function testContext(now: () => Date = () => FIXED_NOW): SourceContext {
  return { job: 'main', stateDir: os.tmpdir(), logger: pino({ level: 'silent' }), now };
}

export type TestEncoding = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be' | 'windows-1252';

/** `text` as the bytes a file in that encoding holds (with BOM where the name says so / for UTF-16). */
export function encodeText(text: string, encoding: TestEncoding): Buffer {
  switch (encoding) {
    case 'utf-8':
      return Buffer.from(text, 'utf8');
    case 'utf-8-bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    case 'utf-16le':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    case 'utf-16be':
      return Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]);
    case 'windows-1252':
      return iconv.encode(text, 'windows-1252');
  }
}

/** Deterministic pseudo-random bytes (xorshift32), e.g. a "file" that is binary garbage. */
export function garbage(size: number, seed = 0x2545f491): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Writes `bytes` and sets the file's mtime `ageMs` in the past. */
export async function writeAged(file: string, bytes: Buffer | string, ageMs: number): Promise<void> {
  await writeFile(file, bytes);
  const t = new Date(Date.now() - ageMs);
  await utimes(file, t, t);
}

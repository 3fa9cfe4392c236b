import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import type { AppConfig } from '../config/schema.js';
import { SOURCE_DEFINITIONS } from '../sources/index.js';
import { appliedRecord, describeReload, diffConfig, effectiveConfig, isEmptyDiff } from './reload.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'reload-diff-'));
let n = 0;

function job(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    mim: { baseUrl: 'http://127.0.0.1:1', project: 'p', token: 't0k3n' },
    sources: [{ name: 'hr', kind: 'csv-folder', folder: './drop' }],
    ...extra,
  };
}

/** A config as the loader makes it from this JSON. */
function config(data: Record<string, unknown>): AppConfig {
  const file = path.join(dir, `c${n++}.json`);
  writeFileSync(file, JSON.stringify(data));
  return loadConfig(file, { registry: SOURCE_DEFINITIONS, env: {} });
}

describe('diffConfig', () => {
  it('finds nothing between two loads of the same file', () => {
    const data = { jobs: [job('a'), job('b')] };
    expect(isEmptyDiff(diffConfig(config(data), config(data)))).toBe(true);
  });

  it('names added, removed and changed jobs, and which of their keys changed', () => {
    const before = config({ jobs: [job('a'), job('b')] });
    const after = config({
      jobs: [
        job('a', { schedule: { cron: '*/5 * * * *' }, mim: { ...(job('a').mim as object), token: 'new' } }),
        job('c'),
      ],
    });
    const d = diffConfig(before, after);
    expect(d.added.map((j) => j.name)).toEqual(['c']);
    expect(d.removed).toEqual(['b']);
    expect(d.changed).toEqual([{ job: 'a', keys: ['mim', 'schedule'] }]);
    // The record names keys, never values: a rotated token does not appear.
    expect(JSON.stringify(appliedRecord(d, new Date(0), 'sighup'))).not.toContain('new');
  });

  it('keeps the restart-only keys as they run and says so; applies the live ones', () => {
    const before = config({ admin: { listen: '127.0.0.1:9464' }, jobs: [job('a')] });
    const after = config({
      stateDir: './elsewhere',
      admin: { listen: '127.0.0.1:9999', token: 'admin-secret' },
      log: { level: 'debug', maskEmails: true },
      daemon: { shutdownGraceMs: 5_000 },
      lock: { staleMs: 60_000 },
      jobs: [job('a')],
    });
    const d = diffConfig(before, after);
    expect(d.needsRestart).toEqual(['stateDir', 'lock.staleMs', 'admin.listen', 'log.maskEmails']);
    expect(d.live).toEqual(['admin.token', 'daemon.shutdownGraceMs', 'log.level']);
    const e = effectiveConfig(before, after);
    expect(e.stateDir).toBe(before.stateDir);
    expect(e.admin).toEqual({ ...after.admin, listen: '127.0.0.1:9464' });
    expect(e.lock.staleMs).toBe(30_000);
    expect(e.log).toEqual({ level: 'debug', maskEmails: false });
    expect(e.daemon.shutdownGraceMs).toBe(5_000);
    expect(describeReload(appliedRecord(d, new Date(0), 'http'))).toBe(
      'config: reloaded at 1970-01-01T00:00:00.000Z (no job changed); needs a restart to change: stateDir, lock.staleMs, admin.listen, log.maskEmails',
    );
  });

  it('a changed notify section is live: the channels are rebuilt and the record says so, never the URL', () => {
    const before = config({ jobs: [job('a')] });
    const after = config({
      jobs: [job('a')],
      notify: { teams: { url: 'https://example.webhook.office.com/SECRETPATH' } },
    });
    const d = diffConfig(before, after);
    expect(d.live).toEqual(['notify']);
    const record = appliedRecord(d, new Date(0), 'sighup');
    expect(record.rebuilt).toEqual(['notify']);
    expect(describeReload(record)).toBe(
      'config: reloaded at 1970-01-01T00:00:00.000Z (notifications changed (channels rebuilt))',
    );
    expect(JSON.stringify(record)).not.toContain('SECRETPATH');
  });
});

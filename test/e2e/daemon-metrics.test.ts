/**
 * The gauges an alert reads, across a daemon restart: a blocked plan keeps `mobileid_sync_blocked`
 * at 1 in the next process (seeded from blocked.json), with the plan's counts, until a run that
 * is not blocked replaces it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/server.js';
import {
  type DaemonProcess,
  dropFile,
  emulator,
  isRunFinished,
  parsePrometheus,
  type Sample,
  sample,
  staffCsv,
  startDaemon,
  workspace,
} from './daemon-harness.js';

let emu: RunningEmulator;
const daemons: DaemonProcess[] = [];

beforeAll(async () => {
  emu = await emulator();
});

afterAll(async () => {
  await Promise.all(daemons.map((d) => d.stop('SIGKILL')));
  await emu.close();
});

async function scrape(admin: string): Promise<Sample[]> {
  return parsePrometheus(await (await fetch(`${admin}/metrics`)).text());
}

describe('mobileid-sync run: alerting gauges', () => {
  it('a blocked plan reads blocked=1 with its counts, also after a restart', async () => {
    const ws = workspace(emu.url, { watch: false });
    dropFile(ws, 'staff.csv', staffCsv(3));
    const first = startDaemon(ws);
    daemons.push(first);
    let admin = await first.adminUrl();
    await fetch(`${admin}/jobs/main/run`, { method: 'POST' });
    // A new state directory: the first plan is blocked as an unknown baseline.
    expect(await first.waitFor(isRunFinished(), 20_000)).toMatchObject({ outcome: 'blocked' });
    let m = await scrape(admin);
    expect(sample(m, 'mobileid_sync_blocked', { sync_job: 'main' })).toBe(1);
    expect(sample(m, 'mobileid_sync_last_run_changes', { sync_job: 'main', change: 'add' })).toBe(3);
    expect(sample(m, 'mobileid_sync_source_up', { sync_job: 'main', source: 'hr' })).toBe(1);
    await first.stop();

    const second = startDaemon(ws);
    daemons.push(second);
    admin = await second.adminUrl();
    m = await scrape(admin);
    expect(sample(m, 'mobileid_sync_blocked', { sync_job: 'main' })).toBe(1);
    expect(sample(m, 'mobileid_sync_last_run_changes', { sync_job: 'main', change: 'add' })).toBe(3);
    expect(sample(m, 'mobileid_sync_consecutive_failures', { sync_job: 'main' })).toBe(0);
    // Whether the source is up now is known only after its next read; its last good read is kept.
    expect(sample(m, 'mobileid_sync_source_up', { sync_job: 'main', source: 'hr' })).toBeUndefined();
    expect(
      sample(m, 'mobileid_sync_source_last_success_timestamp_seconds', { sync_job: 'main', source: 'hr' }),
    ).toBeGreaterThan(0);
  });
});

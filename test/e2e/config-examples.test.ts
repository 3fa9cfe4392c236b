/**
 * Every example config in config/ (and the rehearsal configs in config/rehearsal/) validates, so
 * the examples the README points to cannot rot; the ones that run as shipped (example.json5, the
 * CSV rehearsal) print their plan against the emulator.
 */
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { runCli } from '../helpers/cli.js';

async function configs(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.json5')).map((f) => path.join(dir, f));
}

describe('example configs', async () => {
  const files = [...(await configs('config')), ...(await configs('config/rehearsal'))];

  it.each(files)('%s validates', async (file) => {
    const creds = await mkdtemp(path.join(os.tmpdir(), 'creds-'));
    for (const name of ['mim_token', 'ldap_password', 'entra_secret'])
      await writeFile(path.join(creds, name), 'x');
    const r = await runCli(['config', 'validate', '--config', file], {
      env: { CREDENTIALS_DIRECTORY: creds },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^OK: /);
  });
});

describe('configs that run as shipped', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({
      port: 0,
      projects: [
        { name: 'demo', token: 'demo-token', contact: 'it@example.com' },
        { name: 'rehearsal', token: 'rehearsal-token', contact: 'it@example.com' },
      ],
    });
  });
  afterAll(async () => {
    await emu?.close();
  });

  // The shipped files name the emulator's default http://127.0.0.1:8080; the test's emulator
  // listens on a free port, given through the key's env var as an admin could.
  it.each([
    ['config/example.json5', 'MAIN', 'main', 'demo'],
    ['config/rehearsal/csv-folder.json5', 'REHEARSAL', 'rehearsal', 'rehearsal'],
  ])(
    '%s: plan prints the sample people, blocked only by the unknown baseline',
    async (file, envJob, job, project) => {
      const state = await mkdtemp(path.join(os.tmpdir(), 'state-'));
      const r = await runCli(['plan', '-c', file], {
        env: { [`MOBILEID_SYNC_${envJob}_MIM_BASE_URL`]: emu.url, MOBILEID_SYNC_STATE_DIR: state },
      });
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain(`Plan (dry run, nothing is sent) for job "${job}"`);
      expect(r.stdout).toContain(
        `UNKNOWN BASELINE: mobileid-sync does not know who is in project "${project}"`,
      );
      expect(r.stdout).toContain('Changes: 3 to add, 0 to update, 0 to delete');
      expect(r.stdout).toContain('+ Ada Lovelace <ada.lovelace@example.com> ID 00010001 [Sync ID P-1001]');
      expect(r.code).toBe(3);
    },
  );
});

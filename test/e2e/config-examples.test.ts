/** Every example config in config/ validates, so the examples the README points to cannot rot. */
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('example configs', async () => {
  const files = (await readdir('config')).filter((f) => f.endsWith('.json5'));

  it.each(files)('config/%s validates', async (file) => {
    const creds = await mkdtemp(path.join(os.tmpdir(), 'creds-'));
    for (const name of ['mim_token', 'ldap_password', 'entra_secret'])
      await writeFile(path.join(creds, name), 'x');
    const r = await runCli(['config', 'validate', '--config', path.join('config', file)], {
      env: { CREDENTIALS_DIRECTORY: creds },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^OK: /);
  });
});

/**
 * `import-task` as an admin runs it: MIM's Auto-sync task XML in each form and encoding →
 * `config validate` → `plan` → one `sync` against the emulator (which proves the token was read
 * right: the emulator refuses any other). Broken tasks say what is missing and write nothing.
 */
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { runCli } from '../helpers/cli.js';

const FIX = path.resolve('test/fixtures/import-task');
const TOKEN = 'mim_3Yk/9aQ+Zx7Lw2P0vT8s==';
const CSV = 'Ada,Lovelace,ada@example.com,1001\r\nAlan,Turing,alan@example.com,1002\r\n';

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({
    port: 0,
    projects: [
      { name: 'Head Office', token: TOKEN, contact: 'it@example.com' },
      { name: 'Warehouse', token: TOKEN, contact: 'it@example.com' },
    ],
  });
});
afterAll(async () => {
  await emu?.close();
});

async function users(project: string): Promise<{ email: string }[]> {
  const res = await request(`${emu.url}/_admin/projects/${encodeURIComponent(project)}/users`);
  return ((await res.body.json()) as { users: { email: string }[] }).users;
}

function outDir(): string {
  return path.join(mkdtempSync(path.join(os.tmpdir(), 'import-task-')), 'conf');
}

describe('import-task → config validate → plan → sync', () => {
  it.each([
    ['iwr.utf16le-bom.xml', 'Head Office'],
    ['iwr.utf16be-bom.xml', 'Head Office'],
    ['iwr.utf8-bom.xml', 'Head Office'],
    ['iwr.utf8.xml', 'Head Office'],
    ['irm.utf16le-bom.xml', 'Warehouse'],
    ['irm.utf8.xml', 'Warehouse'],
    ['encoded.utf16le-bom.xml', 'Head Office'],
    ['encoded.utf8.xml', 'Head Office'],
    ['curl-data.utf16le-bom.xml', 'Head Office'],
    ['curl-data.utf8.xml', 'Head Office'],
    ['curl-form.utf16le-bom.xml', 'Head Office'],
    ['curl-form.utf8.xml', 'Head Office'],
    ['script/autosync.utf16le-bom.xml', 'Head Office'],
  ])('%s', async (fixture, project) => {
    const out = outDir();
    const imported = await runCli([
      'import-task',
      path.join(FIX, fixture),
      '--out',
      out,
      '--base-url',
      emu.url,
    ]);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain(`Project:       ${project}`);
    expect(imported.stdout).toContain('Token:         mim_…8s== (26 characters)');
    expect(imported.stdout + imported.stderr).not.toContain(TOKEN);
    const config = path.join(out, 'mobileid-sync.json5');
    expect(imported.stdout).toContain(`mobileid-sync config validate -c ${config}`);
    expect(imported.stdout).toContain(`mobileid-sync plan -c ${config}`);
    expect(statSync(path.join(out, 'credentials', 'mim_token')).mode & 0o777).toBe(0o600);
    expect(readFileSync(config, 'utf8')).not.toContain(TOKEN);

    // The Windows CSV arrives in the drop folder (as the printed hint says)
    writeFileSync(path.join(out, 'drop', 'mobile-id-users.csv'), CSV);
    const validated = await runCli(['config', 'validate', '-c', config]);
    expect(validated.stderr).toBe('');
    expect(validated.stdout).toMatch(/^OK: /);

    const plan = await runCli(['plan', '-c', config]);
    expect(plan.stderr).toBe('');
    expect(plan.stdout).toContain(
      `UNKNOWN BASELINE: mobileid-sync does not know who is in project "${project}"`,
    );
    expect(plan.stdout).toContain('Changes: 2 to add, 0 to update, 0 to delete');
    expect(plan.code).toBe(3);

    const before = (await users(project)).length;
    const sync = await runCli(['sync', '-c', config, '--accept-unknown-baseline']);
    expect(sync.stdout).toContain('Result: uploaded — MIM accepted it');
    expect(sync.code).toBe(0);
    expect((await users(project)).map((u) => u.email)).toEqual(
      before ? expect.arrayContaining(['ada@example.com']) : ['ada@example.com', 'alan@example.com'],
    );
  });
});

describe('import-task on a task it cannot use', () => {
  it.each([
    [
      'broken-no-upload.utf16le-bom.xml',
      'No Exec action uploads a file: found action 1: Command=notepad.exe',
    ],
    ['broken-no-token.utf16le-bom.xml', 'but it sends no token'],
    ['broken-no-file.utf16le-bom.xml', 'but it sends no file'],
    ['broken-not-a-task.utf16le-bom.xml', 'Not a Task Scheduler task: the root element is <Project>'],
    ['broken-not-xml.utf8.xml', 'Not an XML file'],
    ['broken-missing-script.utf16le-bom.xml', 'runs the PowerShell script C:\\Scripts\\not-here.ps1'],
  ])('%s: says what is missing, exits 65, writes nothing', async (fixture, message) => {
    const out = outDir();
    const r = await runCli(['import-task', path.join(FIX, fixture), '--out', out]);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('fix:');
    expect(r.stderr).not.toContain(TOKEN);
    expect(r.code).toBe(65);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses to overwrite a config without --force (78), replaces it with --force', async () => {
    const out = outDir();
    const task = path.join(FIX, 'curl-data.utf8.xml');
    expect((await runCli(['import-task', task, '--out', out])).code).toBe(0);
    writeFileSync(path.join(out, 'mobileid-sync.json5'), '// mine\n');
    const again = await runCli(['import-task', task, '--out', out]);
    expect(again.stderr).toContain('Refusing to overwrite');
    expect(again.stderr).toContain('--force');
    expect(again.code).toBe(78);
    expect(readFileSync(path.join(out, 'mobileid-sync.json5'), 'utf8')).toBe('// mine\n');
    expect((await runCli(['import-task', task, '--out', out, '--force'])).code).toBe(0);
    expect(readFileSync(path.join(out, 'mobileid-sync.json5'), 'utf8')).toContain('import-task');
  });

  it('without a file: a usage error (64)', async () => {
    const r = await runCli(['import-task']);
    expect(r.stderr).toContain('import-task needs the task file');
    expect(r.code).toBe(64);
  });
});

/**
 * CSV row scope as an admin meets it: rows left out are reported with a count, never as
 * rejections, and a person pushed before whose row is now out of scope is a planned delete that
 * the guard judges like any other.
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { makeWorkspace, type Workspace } from '../helpers/workspace.js';

const HEADER = 'Vorname;Nachname;E-Mail;Ausweis;Personalnummer;Mobile ID\n';
const row = (first: string, n: number, mobile: string): string =>
  `${first};Test;${first.toLowerCase()}@example.com;${1000 + n};P${n};${mobile}\n`;

let emu: TestEmulator;
let ws: Workspace;

beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(async () => {
  await emu.close();
});
beforeEach(async () => {
  await emu.resetAll();
  ws = await makeWorkspace({
    mimUrl: emu.url,
    source: { scope: { include: [{ column: 'Mobile ID', equals: 'ja' }] } },
  });
});
afterEach(async () => {
  await ws.cleanup();
});

const cli = (...args: string[]) => runCli([...args, '--config', ws.config]);

it('plans a delete for a person scoped out, says why, and lets the guard judge it', async () => {
  await ws.dropFile('staff.csv', HEADER + row('Ada', 1, 'ja') + row('Bob', 2, 'ja') + row('Eve', 3, 'nein'));
  const first = await cli('sync', '--accept-unknown-baseline');
  expect(first.code, first.stdout + first.stderr).toBe(0);
  expect(first.stdout).toContain('1 row left out by scope (Mobile ID is not "ja")');
  expect((await emu.users()).map((u) => u.email)).toEqual(['ada@example.com', 'bob@example.com']);

  // Bob's flag is withdrawn, and a scoped-out row with a broken e-mail is no rejection.
  await ws.dropFile(
    'staff.csv',
    `${HEADER + row('Ada', 1, 'ja') + row('Bob', 2, 'nein') + row('Eve', 3, 'nein')}Bad;Row;no-address;9;P9;\n`,
  );
  const plan = await cli('plan');
  expect(plan.stdout).toContain('3 rows left out by scope (Mobile ID is not "ja")');
  expect(plan.stdout).toContain('0 to add, 0 to update, 1 to delete');
  expect(plan.stdout).toMatch(/- Bob Test <bob@example\.com>/);
  expect(plan.stdout).not.toMatch(/reject/i);
  // --explain names the row and the rule that left Bob out.
  const why = await cli('plan', '--explain', 'BOB@example.com');
  expect(why.stdout, why.stderr).toContain('staff.csv:3');
  expect(why.stdout).toContain('scope: Mobile ID is not "ja"');
  expect(why.stdout, why.stdout).not.toContain('scope: scope:');
  // One of two people deleted: over the default delete limits, so the sync waits for an approval.
  const sync = await cli('sync');
  expect(sync.code, sync.stdout).toBe(3);
  expect((await emu.users()).map((u) => u.email)).toEqual(['ada@example.com', 'bob@example.com']);
});

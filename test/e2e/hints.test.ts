/**
 * Every `mobileid-sync …` command a run prints is copied and run as printed, through a shell,
 * with a config path holding a space and a quote: none may fail as a usage or config error.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findCommand } from '../../src/cli/commands.js';
import { type CliResult, runCli, runShell } from '../helpers/cli.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { makeWorkspace, type Workspace } from '../helpers/workspace.js';

const HEADER = 'First name,Last name,E-mail,ID,Sync ID\n';
const PEOPLE = ['Ada,Lovelace,ada@example.com,1001,E1', 'Bob,Builder,bob@example.com,1002,E2'];
const MORE = ['Carol,Shaw,carol@example.com,1003,E3', 'Dan,Dare,dan@example.com,1004,E4'];

const csv = (rows: readonly string[]): string => `${HEADER}${rows.join('\n')}\n`;

let emu: TestEmulator;
let ws: Workspace;
let config: string;

beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(async () => {
  await emu.close();
});
beforeEach(async () => {
  await emu.resetAll();
  // A maxDeletePercent low enough that deleting 2 of 4 blocks (the allow-deletes hint).
  ws = await makeWorkspace({ mimUrl: emu.url, job: { guard: { maxDeletes: 1 } } });
  const dir = path.join(ws.dir, 'my configs');
  await mkdir(dir);
  config = path.join(dir, "site's config.json5");
  await copyFile(ws.config, config);
});
afterEach(async () => {
  await ws.cleanup();
});

/** The commands a text tells the reader to run: in backticks, or to the end of the line. */
function printedCommands(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    for (const m of line.matchAll(/`(mobileid-sync [^`]*)`|(?:^|[:\s])(mobileid-sync .*)$/g)) {
      const command = (m[1] ?? m[2]!).trim();
      // Prose such as "mobileid-sync does not know …" names no command; placeholders are for the reader.
      const found = findCommand(command.split(/\s+/).slice(1));
      if (found && 'spec' in found && !command.includes('<')) out.push(command);
    }
  }
  return out;
}

const seen = new Set<string>();

/** Runs every command `r` printed, in order; each must work as printed (no 64, no 78). */
async function followHints(r: CliResult): Promise<string[]> {
  const commands = printedCommands(r.stdout + r.stderr);
  for (const command of commands) {
    seen.add(command.split(/\s+/).slice(1, 3).join(' '));
    expect(command, 'repeats the config it was given').toContain(`-c '`);
    expect(command, 'names the job').toMatch(/ (--job|-j) main\b| main /);
    const done = await runShell(command);
    expect([64, 78], `${command}\n${done.stdout}${done.stderr}`).not.toContain(done.code);
  }
  return commands;
}

describe('printed hints run as printed', () => {
  it('a blocked first run, a delete over the limit, status, approve and baseline hints', async () => {
    const cli = (...args: string[]) => runCli([...args, '-c', config, '-j', 'main']);
    await ws.dropFile('staff.csv', csv([...PEOPLE, ...MORE]));

    // Unknown baseline: sync (records the blocked plan), approve, sync, --accept-unknown-baseline, baseline list.
    const plan = await cli('plan');
    expect(plan.code).toBe(3);
    expect(await followHints(plan)).toHaveLength(5);
    expect(await emu.users()).toHaveLength(4);
    const status = await cli('status');
    await followHints(status);

    // Deleting 2 of 4 is over maxDeletes = 1: --allow-deletes 2.
    await ws.dropFile('staff2.csv', csv(PEOPLE));
    const blocked = await cli('sync');
    expect(blocked.code, blocked.stdout).toBe(3);
    expect(blocked.stdout).toContain('2 deletes exceed guard.maxDeletes = 1');
    const commands = await followHints(blocked);
    expect(commands.some((c) => c.includes('--allow-deletes 2'))).toBe(true);
    expect((await emu.users()).map((u) => u.email).sort()).toEqual(['ada@example.com', 'bob@example.com']);

    // A plan with changes pending names the sync that uploads them.
    await ws.dropFile('staff3.csv', csv([...PEOPLE, MORE[0]!]));
    const pending = await cli('plan');
    expect(pending.code).toBe(2);
    expect(await followHints(pending)).toHaveLength(1);

    await followHints(await cli('baseline', 'list'));
    // An error's fix from deep inside (the state store) gets the -c too.
    const noSuch = await runCli(['baseline', 'restore', 'main', '--seq', '999', '-c', config, '-j', 'main']);
    expect(noSuch.code).toBe(74);
    expect(await followHints(noSuch)).toHaveLength(1);

    expect([...seen].sort()).toEqual(expect.arrayContaining(['approve main', 'baseline list', 'sync --job']));
  });

  it('one delete is "1 delete"', async () => {
    const cli = (...args: string[]) => runCli([...args, '-c', config, '-j', 'main']);
    await ws.dropFile('staff.csv', csv([...PEOPLE, ...MORE]));
    expect((await cli('sync', '--accept-unknown-baseline')).code).toBe(0);
    await ws.dropFile('staff2.csv', csv([...PEOPLE, MORE[0]!]));
    // maxDeletes = 1 allows one; 25 % of 4 pushed is over the default percentage.
    const r = await cli('plan');
    expect(r.stdout).not.toMatch(/\b1 deletes\b/);
    expect(r.stdout).toMatch(/1 to delete/);
    if (r.code === 3) expect(r.stdout).toMatch(/1 delete is /);
  });
});

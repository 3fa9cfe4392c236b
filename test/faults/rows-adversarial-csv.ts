/**
 * Adversarial csv-folder rows (issue #10 items 6, 9, 11, 13, 17): a clock that jumps either way
 * (also while someone is carried forward), an Excel sep= line over swapped German headers, exports
 * cut where the cut looks complete, an .xlsx beside the CSV, an oversize file, a hostile file of
 * invalid rows, and `plan` on a bad file.
 * Each row failed on the code before the fix (see the commit that added it).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type CliResult, runCli } from '../helpers/cli.js';
import { BASELINE, changed, csvBaseline, mustSync, type Row, timed } from './row.js';
import { csvOf, makePeople, type Person, type World } from './world.js';

const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

/** The CLI with the process clock moved by `offset` (libfaketime syntax: '+1d', '-1d'). */
function cliAt(w: World, offset: string, ...args: string[]): Promise<CliResult> {
  if (!existsSync(FAKETIME_LIB)) throw new Error(`${FAKETIME_LIB} is missing: apt-get install faketime`);
  return runCli([...args, '--config', w.configFile], {
    env: { LD_PRELOAD: FAKETIME_LIB, FAKETIME: offset, FAKETIME_DONT_FAKE_MONOTONIC: '1' },
    timeoutMs: 60_000,
  });
}

async function mustSyncAt(w: World, offset: string, what: string): Promise<void> {
  const r = await cliAt(w, offset, 'sync');
  if (r.code !== 0) throw new Error(`${what} sync failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
}

/**
 * Baseline of 40, then an export where the first person's e-mail is broken: they are carried.
 * The same export is dropped again (a run that pushed nothing re-reads the last accepted file).
 * Returns that export.
 */
async function carriedFirst(w: World): Promise<string> {
  const base = await csvBaseline(w);
  const [first, ...rest] = base;
  if (!first) throw new Error('empty baseline');
  const broken = csvOf([{ ...first, email: 'broken@' }, ...rest]);
  await w.dropFile(broken);
  const r = await w.cli('sync');
  if (r.code !== 0 || !/keeps the data pushed last/.test(r.stdout + r.stderr))
    throw new Error(`the broken row was not carried (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  await w.dropFile(broken);
  w.desired = base;
  return broken;
}

/** The failed/ folder holds an .errors.txt that explains `reason`. */
async function movedToFailed(w: World, reason: RegExp): Promise<string[]> {
  const failed = await readdir(path.join(w.drop, 'failed')).catch(() => [] as string[]);
  const errors = failed.find((f) => f.endsWith('.errors.txt'));
  if (!errors) return [`no .errors.txt in failed/ (found: ${failed.join(', ') || 'nothing'})`];
  const text = await readFile(path.join(w.drop, 'failed', errors), 'utf8');
  return reason.test(text) ? [] : [`${errors} does not explain the problem: ${text}`];
}

/** Every file under `dir` with the SHA-256 of its bytes, sorted: a fingerprint of the folder. */
async function fingerprint(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(`${e.name}/`, ...(await fingerprint(p)).map((x) => `${e.name}/${x}`));
    else
      out.push(
        `${e.name} ${createHash('sha256')
          .update(await readFile(p))
          .digest('hex')}`,
      );
  }
  return out.sort();
}

/** Baseline, then `step` synced with the clock at `offset`, then `next` synced at the real time. */
function clockRow(name: string, offset: string, withLaterDrop: boolean): Row {
  return {
    name,
    setup: async (w) => {
      const base = await csvBaseline(w);
      const a = [...base, ...makePeople(2, BASELINE + 1)];
      await w.dropFile(csvOf(a));
      await mustSyncAt(w, offset, `clock ${offset}`);
      w.desired = a;
      if (withLaterDrop) {
        const b = [...a, ...makePeople(2, BASELINE + 3)];
        await w.dropFile(csvOf(b));
        await mustSync(w, 'after the clock jump');
        w.desired = b;
      }
    },
    // No new file: the run must re-read the file the last push came from, not an older one.
    act: (w) => timed(() => w.cli('sync')),
    expect: { exit: 0, text: [/byte-identical/], mim: 'unchanged', pending: false },
  };
}

/** The baseline as German Excel saves it with "sep=;" first: Nachname before Vorname, CRLF. */
function sepGerman(people: readonly Person[]): string {
  const rows = people.map((p) => [p.lastName, p.firstName, p.email, p.id, p.syncId].join(';'));
  return `${['sep=;', 'Nachname;Vorname;E-Mail;Ausweisnummer;Personalnummer', ...rows].join('\r\n')}\r\n`;
}

/** A row whose file is refused as cut off; the corrected complete export heals it. */
function cutRow(name: string, content: (people: Person[]) => string | Buffer, desired?: () => Person[]): Row {
  return {
    name,
    setup: async (w) => {
      const base = await csvBaseline(w);
      const next = desired ? desired() : base;
      await w.dropFile(content(next));
      w.desired = next;
    },
    act: (w) => timed(() => w.cli('sync')),
    expect: { exit: 65, text: [/cut off/], mim: 'unchanged', pending: false },
    verify: (w) => movedToFailed(w, /cut off/),
    heal: async (w) => {
      await w.dropFile(csvOf(w.desired));
    },
  };
}

/** An export whose last column is the last name (so a name ending in ö ends the file). */
function lastNameLast(people: readonly Person[]): string {
  const rows = people.map((p) => [p.syncId, p.id, p.email, p.firstName, p.lastName].join(','));
  return `${['Sync ID,ID,E-mail,First name,Last name', ...rows].join('\n')}\n`;
}

const withTwoNew = (): Person[] => [...makePeople(BASELINE), ...makePeople(2, BASELINE + 1)];

export const ADVERSARIAL_CSV_ROWS: Row[] = [
  {
    // A carried person is let go after guard.carryForwardDays, by the clock. One run whose clock
    // is a month ahead (a VM booted with a wrong RTC, before NTP) deleted them: now the previous
    // run's start must be past the deadline too, so that run carries them one run more.
    name: 'adversarial csv: a person carried for a broken row, then one run with the clock 30 days ahead: nobody deleted',
    setup: async (w) => void (await carriedFirst(w)),
    act: (w) => timed(() => cliAt(w, '+30d', 'sync')),
    expect: {
      exit: 0,
      text: [
        /p0001@example\.com is due to be let go .* not by the previous run's start \([^)]*\): carried one more run/,
      ],
      mim: 'unchanged',
      pending: false,
    },
  },
  {
    // The policy still holds: when the previous run, too, was past the deadline, they go.
    name: 'adversarial csv: two runs 30 days after a person was first carried: the second lets them go',
    setup: async (w) => {
      const broken = await carriedFirst(w);
      await mustSyncAt(w, '+30d', 'the first run a month later');
      await w.dropFile(broken);
      w.desired = w.desired.slice(1);
    },
    act: (w) => timed(() => cliAt(w, '+30d', 'sync')),
    expect: { exit: 0, text: [/carried forward for too long/], mim: 'applied', pending: false },
    allowedDeletes: ['P0001', 'p0001@example.com'],
  },
  // Item 6: the archive stamp came from the clock; a run a day ahead made an older file "newest".
  clockRow(
    'adversarial csv: a sync with the clock 1 day ahead, then a normal one: no new file re-reads the last',
    '+1d',
    true,
  ),
  clockRow(
    'adversarial csv: a sync with the clock 1 day behind: no new file re-reads that file, not the older one',
    '-1d',
    false,
  ),
  {
    // Item 6: two pending files, the older export dated a day ahead by a writer's clock.
    name: 'adversarial csv: two pending files, one dated a day in the future: stop, move nothing',
    setup: async (w) => {
      await csvBaseline(w);
      const b = withTwoNew();
      await w.dropFile(csvOf(b), 'staff-new.csv');
      const old = await w.dropFile(csvOf(makePeople(BASELINE - 3)), 'staff-old.csv');
      const future = new Date(Date.now() + 86_400_000);
      await utimes(old, future, future);
      w.desired = b;
    },
    act: (w) => timed(() => w.cli('sync')),
    expect: { exit: 65, text: [/in the future/, /staff-old\.csv/], mim: 'unchanged', pending: false },
    verify: async (w) => {
      const names = (await readdir(w.drop)).filter((n) => n !== 'archive').sort();
      return names.join(',') === 'staff-new.csv,staff-old.csv'
        ? []
        : [`drop folder changed: ${names.join(', ')}`];
    },
    heal: async (w) => {
      await rm(path.join(w.drop, 'staff-old.csv'));
    },
  },
  {
    // Item 13: sep=; read as data made the real header a row and swapped first and last names.
    name: 'adversarial csv: Excel sep=; line over Nachname;Vorname headers: read right, nothing changes',
    setup: async (w) => {
      const base = await csvBaseline(w);
      await w.dropFile(sepGerman(base));
    },
    act: (w) => timed(() => w.cli('sync')),
    expect: { exit: 0, text: [/byte-identical/, /sep= line/], mim: 'unchanged', pending: false },
  },
  {
    // Item 13: a workbook saved beside the CSV must be reported, not skipped in silence.
    name: 'adversarial csv: staff.xlsx dropped instead of a CSV: reported, nothing changes',
    setup: async (w) => {
      await csvBaseline(w);
      await writeFile(path.join(w.drop, 'staff.xlsx'), Buffer.from('PK\x03\x04 not really a workbook'));
    },
    act: (w) => timed(() => w.cli('sync')),
    expect: {
      exit: 0,
      text: [/staff\.xlsx is in the drop folder but does not match pattern/, /byte-identical/],
      mim: 'unchanged',
      pending: false,
    },
  },
  // Item 17: cuts that leave the last row with every field.
  cutRow(
    'adversarial csv: export cut inside the last field of the last row: refused, nobody deleted',
    (people) => {
      const full = csvOf(people);
      return full.slice(0, full.length - 3); // "…,P0040\n" → "…,P00"
    },
  ),
  cutRow(
    'adversarial csv: export cut right after the last delimiter: refused, nobody added or deleted',
    (people) => {
      const full = csvOf(people);
      return full.slice(0, full.lastIndexOf(',') + 1); // "…,B0042," — the Sync ID is gone
    },
    withTwoNew,
  ),
  cutRow(
    'adversarial csv: export cut inside a UTF-8 character of the last row: refused, not read as Windows-1252',
    (people) => {
      const full = Buffer.from(lastNameLast(people), 'utf8');
      return full.subarray(0, full.length - 2); // "…,Löw\n" → "…,L\xc3"
    },
    () => [
      ...makePeople(BASELINE),
      { firstName: 'Lena', lastName: 'Lö', email: 'lena@example.com', id: 'B0041', syncId: 'P0041' },
    ],
  ),
  {
    // Item 11: no size limit before.
    name: 'adversarial csv: a file over maxFileBytes goes to failed/ unread, nobody deleted',
    setup: async (w) => {
      await csvBaseline(w);
      w.job.sources[0]!.maxFileBytes = 1000;
      await w.saveConfig();
      w.desired = changed(w.desired);
      await w.dropFile(csvOf(w.desired));
    },
    act: (w) => timed(() => w.cli('sync')),
    expect: { exit: 65, text: [/maxFileBytes/], mim: 'unchanged', pending: false },
    verify: (w) => movedToFailed(w, /more than maxFileBytes/),
    heal: async (w) => {
      delete w.job.sources[0]!.maxFileBytes;
      await w.saveConfig();
      await w.dropFile(csvOf(w.desired));
    },
  },
  {
    // Item 11: every rejection was held and printed; now the first N are listed, the rest counted.
    name: 'adversarial csv: 5,000 invalid rows beside the people: listed up to the cap, counted, nobody deleted',
    setup: async (w) => {
      const base = await csvBaseline(w);
      w.job.sources[0]!.maxListedRejections = 10;
      await w.saveConfig();
      const bad = Array.from({ length: 5000 }, (_, i) => `X,,not-an-email-${i},Ä,X${i}`).join('\n');
      await w.dropFile(`${csvOf(base)}${bad}\n`);
    },
    act: (w) => timed(() => w.cli('plan')),
    expect: {
      exit: 0,
      text: [/Rejected \(15000\)/, /and 14990 more not kept/],
      mim: 'unchanged',
      pending: false,
    },
  },
  {
    // Item 9: the dry run moved the bad file into failed/.
    name: 'adversarial csv: plan on a cut file leaves the drop folder byte-identical',
    setup: async (w) => {
      await csvBaseline(w);
      const full = csvOf(w.desired);
      await w.dropFile(full.slice(0, full.length - 3));
      const before = await fingerprint(w.drop);
      await writeFile(path.join(w.dir, 'drop.fingerprint'), before.join('\n'));
    },
    act: (w) => timed(() => w.cli('plan')),
    expect: { exit: 65, text: [/cut off/, /Dry run/], mim: 'unchanged', pending: false },
    verify: async (w) => {
      const before = await readFile(path.join(w.dir, 'drop.fingerprint'), 'utf8');
      const after = (await fingerprint(w.drop)).join('\n');
      return before === after ? [] : [`plan changed the drop folder:\nbefore:\n${before}\nafter:\n${after}`];
    },
    heal: async (w) => {
      await w.dropFile(csvOf(w.desired));
    },
  },
];

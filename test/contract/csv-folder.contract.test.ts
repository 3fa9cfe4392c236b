/**
 * The source contract for csv-folder, on real files in a temp drop folder. "Mid-read" is when
 * the source holds the drop file open (seen in /proc/self/fd: the test and the source share a
 * process), so a file is cut or truncated while it is really being read.
 */
import { readdir, readlink, rm, truncate } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir, writeAged } from '../helpers/csv-files.js';
import { scaled } from '../helpers/timing.js';
import { type ContractWorld, describeSourceContract, type WorldSpec } from './source-contract.js';

const HEADER = 'Vorname;Nachname;E-Mail;Ausweis;Personalnummer\r\n';
const email = (i: number): string => `anna${i}@example.de`;

/** Resolves once this process holds `file` open: the source has started reading it. */
async function opened(file: string): Promise<void> {
  const until = Date.now() + scaled(10_000);
  while (Date.now() < until) {
    const fds = await readdir('/proc/self/fd').catch(() => []);
    const targets = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
    if (targets.includes(file)) return;
    await sleep(1);
  }
  throw new Error(`${file} was never opened`);
}

async function csvWorld(spec: WorldSpec): Promise<ContractWorld> {
  const folder = await tempDir('csv-contract-');
  const file = path.join(folder, 'staff.csv');
  const rows: string[] = [];
  for (let i = 0; i < spec.people; i++) rows.push(`Anna${i};Alpha;${email(i)};${i};P${i}\r\n`);
  for (let i = 0; i < spec.invalid; i++) rows.push(`Bad${i};Beta;bad${i}@example.de;Nr-Ä${i};B${i}\r\n`);
  const text = HEADER + rows.join('');
  await writeAged(file, text, 10_000);
  // A cut in the middle of the middle row: never a clean row boundary that would read as a shorter file.
  const midRow = Buffer.byteLength(HEADER + rows.slice(0, rows.length >> 1).join('')) + 5;
  return {
    settings: { folder, stableMs: 0 },
    emails: Array.from({ length: spec.people }, (_, i) => email(i)),
    inputDirs: [folder],
    midRead: () => opened(file),
    async breakNextRead(name) {
      if (name === 'cut off mid-row') await writeAged(file, text.slice(0, -3), 10_000);
      else if (name === 'truncated while read') void opened(file).then(() => truncate(file, midRow));
      else throw new Error(`no break ${name}`);
    },
    close: () => rm(folder, { recursive: true, force: true }),
  };
}

describeSourceContract({
  kind: 'csv-folder',
  people: 20_000,
  ref: /^staff\.csv:\d+$/,
  breaks: [
    { name: 'cut off mid-row', message: /^staff\.csv cannot be used: / },
    // Truncated between open and first stat the file reads as cut off; later, as changed.
    { name: 'truncated while read', message: /^staff\.csv (changed while it was read|cannot be used: )/ },
  ],
  consumesInput: true,
  world: csvWorld,
});

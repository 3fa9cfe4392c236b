/**
 * Adversarial rows for the local facts the guard trusts: the baseline (snapshot.json), approvals,
 * pending uploads, and limits on changes to people who stay. Each row was written to fail on the
 * code before the baseline/approval rework (a delete nobody approved reached MIM, or the run
 * pushed where it must block) and passes after it.
 *
 * Heal for an unknown baseline is what an admin does: drop the intended export and accept the
 * unknown baseline for one manual run.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { recordsDigest } from '../../src/state/baseline.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { forgeSnapshot, readSnapshotBytes } from '../helpers/snapshot-file.js';
import { BASELINE, baselineSync, csvBaseline, mustSync, type Row, setMim, timed } from './row.js';
import { csvOf, makePeople, type Person, type World } from './world.js';

const BLOCKED_UNKNOWN = [/UNKNOWN BASELINE/, /does not know who is in project/, /approve main --plan \w+/];

/** The admin's way out of an unknown baseline: the intended file, accepted once. */
async function acceptDesired(w: World): Promise<void> {
  await w.dropFile(csvOf(w.desired));
  await mustSync(w, 'the admin accepting the unknown baseline', '--accept-unknown-baseline');
}

/** A small export: the first `n` of the baseline — pushing it deletes everyone else. */
async function dropFew(w: World, n: number): Promise<void> {
  await w.dropFile(csvOf(w.desired.slice(0, n)));
}

/** The snapshot the last run wrote: its facts and records (see test/helpers/snapshot-file.ts). */
async function readSnapshot(w: World): Promise<Record<string, unknown> & { records: Person[] }> {
  const s = readSnapshotBytes(await readFile(path.join(w.jobState, 'snapshot.json')));
  if (s === 'corrupt') throw new Error('the baseline run left no readable snapshot.json');
  return s;
}

async function writeSnapshot(w: World, text: string | Buffer): Promise<void> {
  await mkdir(w.jobState, { recursive: true });
  await writeFile(path.join(w.jobState, 'snapshot.json'), text);
}

function unknownBaselineRow(name: string, arm: (w: World) => Promise<void>): Row {
  return {
    name,
    setup: async (w) => {
      await csvBaseline(w);
      await arm(w);
      await dropFew(w, 5);
    },
    act: (w) => timed(() => w.cli('sync')),
    expect: { exit: 3, text: BLOCKED_UNKNOWN, mim: 'unchanged', state: 'unknown-baseline' },
    heal: acceptDesired,
  };
}

/** Blocked plan id printed by a run. */
function planIdOf(out: string): string {
  const id = /approve main --plan (\w+)/.exec(out)?.[1];
  if (!id) throw new Error(`no plan id in:\n${out}`);
  return id;
}

/** Baseline of 40, then a file with 30 of them: 10 deletes (25 %) need approval. */
async function blockedTenDeletes(w: World): Promise<string> {
  await csvBaseline(w);
  await dropFew(w, 30);
  const r = await w.cli('sync');
  if (r.code !== 3) throw new Error(`expected the 10 deletes to block, got exit ${r.code}\n${r.stdout}`);
  return planIdOf(r.stdout);
}

async function editApproval(w: World, change: (a: Record<string, unknown>) => void): Promise<void> {
  const file = path.join(w.jobState, 'blocked.json');
  const blocked = JSON.parse(await readFile(file, 'utf8')) as { approval: Record<string, unknown> };
  change(blocked.approval);
  await writeFile(file, JSON.stringify(blocked));
}

const hours = (h: number): string => new Date(Date.now() + h * 3_600_000).toISOString();

export const ADVERSARIAL_GUARD_ROWS: Row[] = [
  unknownBaselineRow('adversarial: state dir lost, 5-row file (baseline missing)', async (w) => {
    await import('node:fs/promises').then((fs) => fs.rm(w.jobState, { recursive: true, force: true }));
  }),
  unknownBaselineRow('adversarial: snapshot.json holds null', (w) => writeSnapshot(w, 'null')),
  unknownBaselineRow('adversarial: snapshot.json holds {}', (w) => writeSnapshot(w, '{}')),
  unknownBaselineRow('adversarial: snapshot.json holds an empty record list', async (w) => {
    await writeSnapshot(w, forgeSnapshot(await readSnapshot(w), []));
  }),
  unknownBaselineRow('adversarial: snapshot.json of the previous version (unbound)', (w) =>
    writeSnapshot(
      w,
      JSON.stringify({
        version: 1,
        job: 'main',
        pushedAt: 'x',
        planId: 'p',
        payloadSha256: 'h',
        records: w.desired.slice(0, 5),
      }),
    ),
  ),
  unknownBaselineRow('adversarial: snapshot.json edited by hand (integrity)', async (w) => {
    const s = await readSnapshot(w);
    // Someone "fixes" the state so the 35 people about to be deleted look already gone.
    await writeSnapshot(w, forgeSnapshot(s, s.records.slice(0, 5)));
  }),
  unknownBaselineRow(
    'adversarial: snapshot.json carries someone since "never" (hash recomputed)',
    async (w) => {
      const s = await readSnapshot(w);
      // Carry-forward would read "never" as an age of NaN: that person kept past carryForwardDays.
      const records = s.records.map((r, i) => (i === 0 ? { ...r, carriedSince: 'never' } : r));
      await writeSnapshot(w, forgeSnapshot({ ...s, recordsSha256: recordsDigest(records) }, records));
    },
  ),
  unknownBaselineRow('adversarial: snapshot.json copied from another job', async (w) => {
    const s = await readSnapshot(w);
    const target = s.target as Record<string, unknown>;
    await writeSnapshot(w, forgeSnapshot({ ...s, target: { ...target, job: 'other-site' } }, s.records));
  }),
  {
    // Rehearse against a local emulator, then change only mim.baseUrl to "production" (w.emu).
    name: 'adversarial: rehearsal state reused after switching mim.baseUrl to production',
    setup: async (w) => {
      await csvBaseline(w); // production holds 40 (pushed from another machine, say)
      const rehearsal = await startTestEmulator('Head Office', 'matrix-token');
      w.cleanups.push(() => rehearsal.close());
      const production = w.job.mim.baseUrl;
      await setMim(w, { baseUrl: rehearsal.url });
      await w.dropFile(csvOf(makePeople(3, 900)));
      await baselineSync(w, 'rehearsal');
      await setMim(w, { baseUrl: production });
      await w.dropFile(csvOf(makePeople(4, 900)));
    },
    act: (w) => timed(() => w.cli('sync')),
    expect: {
      exit: 3,
      text: [...BLOCKED_UNKNOWN, /belongs to project "Head Office" at http:\/\/127\.0\.0\.1:\d+/],
      mim: 'unchanged',
      state: 'unknown-baseline',
    },
    heal: acceptDesired,
  },
  {
    name: 'adversarial: plan of an unknown baseline shows who would be deleted first, writes nothing',
    setup: async (w) => {
      await csvBaseline(w);
      await writeSnapshot(w, 'null');
      await dropFew(w, 5);
    },
    act: (w) => timed(() => w.cli('plan')),
    expect: {
      exit: 3,
      text: [/UNKNOWN BASELINE.*\n.*\n.*MIM will delete everyone who is not among the 5 people below/],
      mim: 'unchanged',
      state: 'unknown-baseline',
    },
    verify: async (w) => (w.exists('blocked.json') ? ['plan wrote blocked.json'] : []),
    heal: acceptDesired,
  },
  {
    name: 'adversarial: approval reused after an unchanged run (the bad file returns)',
    setup: async (w) => {
      const id = await blockedTenDeletes(w);
      const a = await w.cli('approve', 'main', '--plan', id);
      if (a.code !== 0) throw new Error(`approve failed: ${a.stderr}`);
      await w.dropFile(csvOf(w.desired)); // the file is fixed: an unchanged run
      await mustSync(w, 'the fixed file');
      await dropFew(w, 30); // days later the same bad file returns
    },
    act: (w) => timed(() => w.cli('sync')),
    expect: { exit: 3, text: [/needs approval/, /too-many|deletes are 25\.0%/], mim: 'unchanged' },
    heal: async (w) => {
      await w.dropFile(csvOf(w.desired));
    },
  },
  {
    name: 'adversarial: an expired approval (25 h old) does not push',
    setup: async (w) => {
      const id = await blockedTenDeletes(w);
      await w.cli('approve', 'main', '--plan', id);
      await editApproval(w, (a) => {
        a.at = hours(-25);
        a.expiresAt = hours(-1);
      });
    },
    act: (w) => timed(() => w.cli('sync')),
    expect: { exit: 3, text: [/approval expired at/, /needs approval/], mim: 'unchanged' },
    heal: async (w) => {
      await w.dropFile(csvOf(w.desired));
    },
  },
  {
    name: 'adversarial: an approval dated in the future (clock moved back) does not push',
    setup: async (w) => {
      const id = await blockedTenDeletes(w);
      await w.cli('approve', 'main', '--plan', id);
      await editApproval(w, (a) => {
        a.at = hours(2);
        a.expiresAt = hours(26);
      });
    },
    act: (w) => timed(() => w.cli('sync')),
    expect: { exit: 3, text: [/in the future: the clock moved back/], mim: 'unchanged' },
    heal: async (w) => {
      await w.dropFile(csvOf(w.desired));
    },
  },
  {
    name: 'adversarial: approve without --plan approves nothing',
    setup: async (w) => {
      await blockedTenDeletes(w);
    },
    act: async (w) => {
      const approve = await w.cli('approve', 'main');
      const sync = await timed(() => w.cli('sync'));
      return { ...sync, stdout: `${approve.stderr}\n(approve exit ${approve.code})\n${sync.stdout}` };
    },
    expect: { exit: 3, text: [/approve needs --plan/, /\(approve exit 64\)/], mim: 'unchanged' },
    heal: async (w) => {
      await w.dropFile(csvOf(w.desired));
    },
  },
  {
    name: 'adversarial: an approval survives no change of target (same plan id, another MIM)',
    setup: async (w) => {
      const id = await blockedTenDeletes(w);
      await w.cli('approve', 'main', '--plan', id);
      // The blocked/approved plan names its target; pointing the job elsewhere voids it.
      const file = path.join(w.jobState, 'blocked.json');
      const b = JSON.parse(await readFile(file, 'utf8')) as { target: Record<string, unknown> };
      await writeFile(file, JSON.stringify({ ...b, target: { ...b.target, project: 'Another Site' } }));
    },
    act: (w) => timed(() => w.cli('sync')),
    expect: { exit: 3, text: [/another MIM target/], mim: 'unchanged' },
    heal: async (w) => {
      await w.dropFile(csvOf(w.desired));
    },
  },
  {
    name: 'adversarial: a swapped export re-keys most IDs (mass ID change)',
    setup: async (w) => {
      await csvBaseline(w);
      // The ID column mapped from the wrong field: everyone keeps their Sync ID, IDs all change.
      await w.dropFile(csvOf(w.desired.map((p) => ({ ...p, id: `X${p.id}` }))));
    },
    act: (w) => timed(() => w.cli('sync')),
    expect: {
      exit: 3,
      text: [/40 people's ID changes \(100\.0% .*maxIdChangePercent = 10%/],
      mim: 'unchanged',
    },
    heal: async (w) => {
      await w.dropFile(csvOf(w.desired));
    },
  },
  {
    name: 'adversarial: first and last names swapped for everyone',
    setup: async (w) => {
      await csvBaseline(w);
      await w.dropFile(csvOf(w.desired.map((p) => ({ ...p, firstName: p.lastName, lastName: p.firstName }))));
    },
    act: (w) => timed(() => w.cli('sync')),
    expect: { exit: 3, text: [/first and last names are swapped/], mim: 'unchanged' },
    heal: async (w) => {
      await w.dropFile(csvOf(w.desired));
    },
  },
  {
    // An upload MIM applied but never answered added 30 people; reverting the file must not
    // delete them silently: they count as deletes because MIM may hold them.
    name: 'adversarial: revert after an unknown-outcome upload counts its people as deletes',
    setup: async (w) => {
      await csvBaseline(w);
      await setMim(w, { requestTimeoutMs: 1500, retries: { max: 0, baseDelayMs: 10, maxDelayMs: 50 } });
      const grown = [...w.desired, ...makePeople(30, BASELINE + 1)];
      await w.emu.fault({ type: 'apply-then-hang' });
      await w.dropFile(csvOf(grown));
      const r = await w.cli('sync');
      if (r.code !== 69)
        throw new Error(`expected the hung upload to fail with 69, got ${r.code}\n${r.stdout}`);
      w.desired = grown;
      await w.dropFile(csvOf(grown.slice(0, BASELINE))); // the admin reverts the export
    },
    act: (w) => timed(() => w.cli('sync')),
    expect: {
      exit: 3,
      text: [/30 deletes \(30 of them people an earlier upload with an unknown outcome may have added\)/],
      mim: 'applied',
      pending: true,
    },
    heal: async (w) => {
      await w.emu.clearFaults();
      await w.dropFile(csvOf(w.desired));
    },
  },
];

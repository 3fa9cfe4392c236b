/**
 * Every field of every state file `status` reads, in turn replaced by a value of another type, as
 * a hand edit or a damaged disk leaves it: `status` reports, it never throws, and a run's readers
 * answer with one of their outcomes. The in-process form of the sweep (every field set to
 * `{"toString": ""}`, then `status`, `plan` and `sync` as processes) that found the crashes fixed
 * in history.jsonl, blocked.json, pending.json and the lock holder files.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushed } from '../../../test/helpers/records.js';
import type { PushedRecord } from '../../core/types.js';
import { saveReloadRecord } from '../../daemon/reload-record.js';
import { writeNotifyStatus } from '../../notify/store.js';
import { acceptedInputs } from '../../run/basis.js';
import type { Target } from '../../state/baseline.js';
import { JobState } from '../../state/store.js';
import { formatStatus } from '../format-status.js';
import { daemonLines, jobStatus } from './status.js';

const TARGET: Target = { baseUrl: 'https://mim.example.com', project: 'hq', job: 'main' };
const AT = '2026-12-03T10:00:00.000Z';
const people: PushedRecord[] = [pushed(1), pushed(2)];

/** Values of the wrong type: String() and template literals throw on the first. */
const HOSTILE: readonly unknown[] = [{ toString: '' }, 7, null, [], ['x', { toString: '' }], 'x', -1];

let stateDir: string;

/** A state dir as a run, a blocked run, an approval, an unknown-outcome upload and the daemon leave it. */
async function writeState(dir: string): Promise<void> {
  const s = new JobState(dir, 'main');
  for (const seq of [1, 2]) {
    await s.writeSnapshot({
      target: TARGET,
      seq,
      pushedAt: AT,
      planId: `p${seq}`,
      payloadSha256: 'h',
      inputs: [{ source: 'hr', input: { name: 'staff.csv', sha256: 'f', seq: 1 } }],
      records: people,
    });
  }
  const run = { job: 'main', trigger: 'cli', startedAt: AT, endedAt: AT, durationMs: 5 } as const;
  await s.appendHistory({
    ...run,
    runId: 'r1',
    outcome: 'applied',
    sources: [{ source: 'hr', description: 'staff.csv', input: 'staff.csv', total: 2, valid: 2 }],
    plan: { id: 'p2', adds: 1, updates: 0, deletes: 0, unchanged: 1, carried: 0 },
    rejected: 0,
    approval: { by: 'admin', planId: 'p2' },
  });
  await s.appendHistory({
    ...run,
    runId: 'r2',
    outcome: 'blocked',
    guard: { kind: 'needs-approval', reasons: ['deletes 1 of 2'] },
    error: { code: 'GUARD', message: 'm', fix: 'f' },
  });
  await s.writeBlocked({
    version: 2,
    target: TARGET,
    planId: 'p3',
    baselineId: 'b2',
    blockedAt: AT,
    seenAt: AT,
    runId: 'r2',
    reasons: ['deletes 1 of 2'],
    deletes: 1,
    adds: 0,
    updates: 0,
    approval: { by: 'admin', at: AT, expiresAt: AT },
  });
  await s.writePending({
    version: 2,
    target: TARGET,
    uploads: [{ runId: 'r3', startedAt: AT, payloadSha256: 'h', count: 2 }],
    records: people,
  });
  await saveReloadRecord(dir, {
    outcome: 'applied',
    at: AT,
    trigger: 'sighup',
    added: ['b'],
    removed: ['c'],
    changed: [{ job: 'main', keys: ['sources'] }],
    needsRestart: ['stateDir'],
    rebuilt: ['notify'],
  });
  await writeNotifyStatus(dir, {
    version: 1,
    updatedAt: AT,
    channels: [
      {
        name: 'email',
        target: 'smtp.example.com:587',
        lastSentAt: AT,
        lastError: { at: AT, message: 'm', fix: 'f' },
        consecutiveFailures: 1,
        sent: 3,
        failed: 1,
      },
    ],
  });
}

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(dir)) {
    const p = path.join(dir, name);
    if ((await stat(p)).isDirectory()) out.push(...(await files(p)));
    else out.push(p);
  }
  return out.sort();
}

/** The file as JSON documents: one (a JSON file), or one per line (history.jsonl, snapshot.json's header). */
function documents(text: string): { docs: unknown[]; write: (docs: unknown[]) => string } | undefined {
  try {
    return { docs: [JSON.parse(text)], write: (d) => JSON.stringify(d[0]) };
  } catch {
    const lines = text.split('\n');
    const docs: unknown[] = [];
    for (const line of lines) {
      try {
        docs.push(JSON.parse(line));
      } catch {
        docs.push(undefined); // packed records or the final empty line: kept as they are
      }
    }
    if (docs.every((d) => d === undefined)) return undefined;
    return {
      docs,
      write: (d) => d.map((doc, i) => (doc === undefined ? lines[i] : JSON.stringify(doc))).join('\n'),
    };
  }
}

/** Paths of every field and sub-field, three levels down. */
function fieldPaths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (typeof v !== 'object' || v === null || at.length >= 4) return [];
  return Object.keys(v).flatMap((k) => {
    const key = Array.isArray(v) ? Number(k) : k;
    return [[...at, key], ...fieldPaths((v as Record<string, unknown>)[k], [...at, key])];
  });
}

function replaced(doc: unknown, at: readonly (string | number)[], value: unknown): unknown {
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let o = copy;
  for (const k of at.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  o[at.at(-1)!] = value;
  return copy;
}

/** What `status` does with the state dir, and what a run reads before it plans. */
async function statusOf(dir: string): Promise<string[]> {
  const now = new Date(AT);
  const lines = await daemonLines(dir, now);
  const view = await jobStatus(dir, 'main', TARGET, 10);
  lines.push(...formatStatus(view, now, '-c config.json5'), JSON.stringify(view));
  const s = new JobState(dir, 'main');
  await s.readBlocked();
  await s.viewBaseline(TARGET);
  // What a run takes from the baseline before it reads its sources (run/basis.ts).
  acceptedInputs(await s.readBaseline(TARGET));
  return lines;
}

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'status-hostile-'));
  await writeState(stateDir);
});
afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe('status on edited or damaged state files', () => {
  it('shows every part of an intact state dir', async () => {
    const text = (await statusOf(stateDir)).join('\n');
    expect(text).toContain('reload');
    expect(text).toContain('smtp.example.com:587');
    expect(text).toContain('upload with UNKNOWN outcome');
    expect(text).toMatch(/cli +applied/);
    expect(text).toContain('p3');
  });

  it('never throws, whichever field of whichever file holds a value of another type', async () => {
    const all = await files(stateDir);
    expect(all.map((f) => path.relative(stateDir, f))).toEqual(
      expect.arrayContaining([
        'reload.json',
        'notify-status.json',
        'main/history.jsonl',
        'main/pending.json',
      ]),
    );
    let cases = 0;
    const crashes: string[] = [];
    for (const file of all) {
      const original = await readFile(file, 'utf8');
      const parsed = documents(original);
      if (!parsed) continue;
      for (const [i, doc] of parsed.docs.entries()) {
        for (const at of fieldPaths(doc)) {
          for (const value of HOSTILE) {
            cases++;
            const docs = parsed.docs.map((d, j) => (j === i ? replaced(d, at, value) : d));
            await writeFile(file, parsed.write(docs));
            await statusOf(stateDir).catch((e: unknown) => {
              crashes.push(
                `${path.relative(stateDir, file)} ${[i, ...at].join('.')} = ${JSON.stringify(value)}: ${String(e)}`,
              );
            });
          }
        }
      }
      await writeFile(file, original);
    }
    expect(crashes).toEqual([]);
    expect(cases).toBeGreaterThan(500);
  });
});

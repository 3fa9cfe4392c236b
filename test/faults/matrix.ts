/**
 * The fault-injection matrix: every row breaks one thing (a source, MIM, the state dir, the
 * process itself) during a real `mobileid-sync sync` process against real servers, and then must show:
 *  1. the right outcome (exit code and text);
 *  2. no unintended delete reached MIM;
 *  3. a valid state dir that agrees with MIM (unless pending.json explains the difference);
 *  4. convergence: once the fault is gone a clean run brings MIM to the desired list, and the
 *     run after that is "unchanged" with no new upload — and MIM never acted twice.
 * Rows are data (rows-*.ts); this file is the one loop that runs them. The rows are cut into
 * parts (MATRIX_PARTS), one test file each (matrix-<part>.test.ts), so that the test workers share
 * them instead of one file holding a worker for minutes; every row belongs to exactly one part.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { scaled } from '../helpers/timing.js';
import { diffPeople, doubleActs, mimSnapshot, stateProblems, unintendedDeletes } from './invariants.js';
import type { ActResult, Row } from './row.js';
import { ADVERSARIAL_CONFIG_ROWS } from './rows-adversarial-config.js';
import { ADVERSARIAL_CSV_ROWS } from './rows-adversarial-csv.js';
import { ADVERSARIAL_GUARD_ROWS } from './rows-adversarial-guard.js';
import { ADVERSARIAL_LDAPMERGE_ROWS } from './rows-adversarial-ldapmerge.js';
import { ADVERSARIAL_LOCK_ROWS } from './rows-adversarial-lock.js';
import { ADVERSARIAL_MIM_ROWS } from './rows-adversarial-mim.js';
import { CSV_ROWS } from './rows-csv.js';
import { GRAPH_ROWS } from './rows-graph.js';
import { LDAP_ROWS } from './rows-ldap.js';
import { MIM_ROWS } from './rows-mim.js';
import { STATE_ROWS } from './rows-state.js';
import { World } from './world.js';

/**
 * Every row, in parts of roughly equal running time (each starts real servers and processes). A
 * new rows-*.ts file goes into one of them; matrix-parts.test.ts checks each part has its file.
 */
export const MATRIX_PARTS = {
  'csv-state': [...CSV_ROWS, ...STATE_ROWS, ...ADVERSARIAL_CSV_ROWS],
  mim: [...MIM_ROWS, ...ADVERSARIAL_MIM_ROWS, ...ADVERSARIAL_CONFIG_ROWS],
  directories: [...LDAP_ROWS, ...GRAPH_ROWS, ...ADVERSARIAL_LDAPMERGE_ROWS],
  'guard-lock': [...ADVERSARIAL_GUARD_ROWS, ...ADVERSARIAL_LOCK_ROWS],
} as const satisfies Record<string, readonly Row[]>;

export type MatrixPart = keyof typeof MATRIX_PARTS;

interface RowResult {
  readonly name: string;
  readonly passed: boolean;
  readonly unintendedDeletes: number;
  readonly ms: number;
  readonly problems: readonly string[];
}

function outcomeProblems(row: Row, r: ActResult): string[] {
  const out: string[] = [];
  const { exit, text = [] } = row.expect;
  const got = r.code === null ? `killed (${r.signal ?? '?'})` : String(r.code);
  const ok =
    exit === 'killed'
      ? r.code === null
      : typeof exit === 'number'
        ? r.code === exit
        : exit.includes(r.code ?? -1);
  if (!ok) out.push(`exit ${got}, expected ${exit === 'killed' ? exit : String(exit)}`);
  const all = r.stdout + r.stderr;
  for (const re of text) if (!re.test(all)) out.push(`output does not match ${re}`);
  if (out.length > 0) out.push(`output was:\n${all.slice(0, 3000)}`);
  return out;
}

async function runRow(row: Row, results: RowResult[]): Promise<void> {
  const started = Date.now();
  const problems: string[] = [];
  const allowed = new Set(row.allowedDeletes ?? []);
  let deletes = 0;
  let completed = false;
  const w = await World.create();
  try {
    await row.setup(w);
    const before = await mimSnapshot(w);

    // 1. the faulty run's outcome
    const r = await row.act(w);
    problems.push(...outcomeProblems(row, r));

    // 2. no unintended delete; MIM holds what it held before, or the desired list
    const del = await unintendedDeletes(w, before, allowed);
    deletes += del.unintended.length;
    problems.push(...del.problems);
    const after = await w.emu.users();
    const mimDiff =
      row.expect.mim === 'applied'
        ? diffPeople(after, w.desired)
        : diffPeople(
            after,
            before.users.map((u) => ({ ...u, syncId: u.syncId ?? u.email })),
          );
    if (mimDiff.length > 0)
      problems.push(`after the fault MIM is not ${row.expect.mim}: ${mimDiff.join('; ')}`);

    // 3. the state dir agrees with MIM
    if (row.expect.state === 'left-corrupt') {
      if ((await w.readState()).snapshot !== 'corrupt')
        problems.push('the corrupt snapshot.json was replaced');
    } else if (row.expect.state !== 'unknown-baseline')
      problems.push(...(await stateProblems(w)).map((p) => `after the fault: ${p}`));
    const pending = (await w.readState()).pending !== null;
    if (row.expect.pending !== undefined && pending !== row.expect.pending)
      problems.push(`pending.json ${pending ? 'is' : 'is not'} there after the fault`);
    if (row.verify) problems.push(...(await row.verify(w, r)));

    // 4. heal, converge, then a run with nothing to do
    if (row.heal) await row.heal(w);
    else await w.emu.clearFaults();
    const clean = await w.cli('sync');
    if (clean.code !== 0)
      problems.push(`clean run after healing: exit ${clean.code}\n${clean.stdout}\n${clean.stderr}`);
    for (const re of row.expect.healText ?? [])
      if (!re.test(clean.stdout + clean.stderr)) problems.push(`clean run output does not match ${re}`);
    const converged = diffPeople(await w.emu.users(), w.desired);
    if (converged.length > 0) problems.push(`not converged: ${converged.join('; ')}`);
    problems.push(...(await stateProblems(w)).map((p) => `after the clean run: ${p}`));
    if ((await w.readState()).pending !== null) problems.push('pending.json left after the clean run');
    const uploads = (await w.emu.uploads()).length;
    const again = await w.cli('sync');
    if (again.code !== 0 || !/byte-identical/.test(again.stdout))
      problems.push(`second clean run is not "unchanged": exit ${again.code}\n${again.stdout}`);
    if ((await w.emu.uploads()).length !== uploads) problems.push('second clean run uploaded again');

    const delAfter = await unintendedDeletes(w, before, allowed);
    const extra = delAfter.unintended.filter((x) => !del.unintended.includes(x));
    deletes += extra.length;
    problems.push(...delAfter.problems.filter((p) => extra.some((x) => p.includes(x))));
    problems.push(...doubleActs(await w.emu.outbox()));
    completed = true;
  } finally {
    results.push({
      name: row.name,
      passed: completed && problems.length === 0,
      unintendedDeletes: deletes,
      ms: Date.now() - started,
      problems,
    });
    await w.dispose();
  }
  expect(problems, row.name).toEqual([]);
}

/** Runs one part's rows side by side (vitest's maxConcurrency) and prints its table at the end. */
export function runMatrixPart(part: MatrixPart): void {
  const rows: readonly Row[] = MATRIX_PARTS[part];
  const results: RowResult[] = [];
  describe(`fault-injection matrix (${part})`, () => {
    // A row runs four or five CLI processes and may start a directory server: on a busy two-core
    // machine that can take well over the default 30 s; more when the machine is busier (timing.ts).
    it.concurrent.each(rows.map((row) => [row.name, row] as const))(
      '%s',
      async (_name, row) => {
        await runRow(row, results);
      },
      scaled(120_000),
    );
  });

  afterAll(() => {
    const passed = results.filter((r) => r.passed).length;
    const deletes = results.reduce((n, r) => n + r.unintendedDeletes, 0);
    const lines = results.map(
      (r) =>
        `  ${r.passed ? 'PASS' : 'FAIL'}  ${r.name.padEnd(78)} ${String(r.ms).padStart(6)} ms${r.unintendedDeletes ? `  ${r.unintendedDeletes} unintended delete(s)` : ''}`,
    );
    console.log(
      [
        '',
        `Fault-injection matrix (${part})`,
        ...lines,
        `Rows run: ${results.length} of ${rows.length}, passed: ${passed}; unintended deletes observed: ${deletes} (goal 0)`,
        '',
      ].join('\n'),
    );
  });
}

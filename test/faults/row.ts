/** The shape of one fault-matrix row, and the steps most rows share. */
import type { CliResult } from '../helpers/cli.js';
import { csvOf, makePeople, type Person, type World } from './world.js';

export type ActResult = CliResult & { readonly signal?: NodeJS.Signals | null; readonly ms?: number };

export interface Expectation {
  /** Exit code of the faulty run (or any of several), or 'killed' when the row kills it. */
  readonly exit: number | readonly number[] | 'killed';
  /** Each must match stdout + stderr of the faulty run. */
  readonly text?: readonly RegExp[];
  /** What MIM holds after the faulty run: what it held before, or the row's desired set. */
  readonly mim: 'unchanged' | 'applied';
  /** Whether pending.json must (true) or must not (false) be there after the faulty run. */
  readonly pending?: boolean;
  /**
   * 'consistent' (default): the state dir agrees with MIM after the fault. 'left-corrupt': the row
   * corrupted snapshot.json itself, and the run must have left it as it was (for the admin to see).
   * 'unknown-baseline': the row made the baseline untrustworthy on purpose (lost, foreign, edited);
   * after the fault the state need not agree with MIM — it only must not have pushed.
   */
  readonly state?: 'consistent' | 'left-corrupt' | 'unknown-baseline';
  /** Each must match the output of the first clean run after the fault is healed. */
  readonly healText?: readonly RegExp[];
}

export interface Row {
  readonly name: string;
  /** Brings the world to its baseline (a first sync MIM accepted) and arms the fault. */
  setup(w: World): Promise<void>;
  /** The faulty run. */
  act(w: World): Promise<ActResult>;
  readonly expect: Expectation;
  /** Extra checks after the faulty run; returns problems (empty = fine). */
  verify?(w: World, r: ActResult): Promise<string[]>;
  /** Removes the fault before the clean run. Default: clear the emulator's faults. */
  heal?(w: World): Promise<void>;
  /** Sync IDs / e-mails the row may legitimately delete (default none). */
  readonly allowedDeletes?: readonly string[];
}

export const BASELINE = 40;

/** 40 people pushed by a first sync: what MIM holds before every CSV / MIM / state row. */
export async function csvBaseline(w: World, people: Person[] = makePeople(BASELINE)): Promise<Person[]> {
  await w.dropFile(csvOf(people));
  await baselineSync(w, 'baseline');
  w.desired = people;
  return people;
}

/** The usual change on top of the baseline: two new people, one renamed. */
export function changed(baseline: readonly Person[]): Person[] {
  const [first, ...rest] = baseline;
  if (!first) throw new Error('empty baseline');
  return [
    { ...first, lastName: `${first.lastName}-Renamed` },
    ...rest,
    ...makePeople(2, baseline.length + 1),
  ];
}

/** Drops the usual change as a CSV and makes it the desired state. */
export async function dropChange(w: World): Promise<void> {
  w.desired = changed(w.desired);
  await w.dropFile(csvOf(w.desired));
}

export async function mustSync(w: World, what: string, ...args: string[]): Promise<CliResult> {
  const r = await w.cli('sync', ...args);
  if (r.code !== 0) throw new Error(`${what} sync failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

/**
 * The first sync of a world: its state dir is new, so the baseline is unknown and the push needs
 * the explicit one-off flag (as an admin's first run does).
 */
export async function baselineSync(w: World, what: string, ...args: string[]): Promise<CliResult> {
  return mustSync(w, what, '--accept-unknown-baseline', ...args);
}

export async function timed(run: () => Promise<CliResult>): Promise<ActResult> {
  const t = Date.now();
  const r = await run();
  return { ...r, ms: Date.now() - t };
}

/** Sets keys of the job's `mim` section and saves the config. */
export async function setMim(w: World, keys: Record<string, unknown>): Promise<void> {
  Object.assign(w.job.mim, keys);
  await w.saveConfig();
}

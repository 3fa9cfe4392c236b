/**
 * The checks every fault-matrix row must pass, whatever its fault:
 *  - no unintended delete reached MIM (user list and outbox compared with the moment before the fault);
 *  - the state directory is valid and agrees with what MIM holds (or pending.json explains why not);
 *  - MIM never acted twice (no person invited or deleted twice).
 * Each returns a list of problems (empty = fine) so a row can report all of them at once.
 */
import type { EmulatorUser, OutboxMessage } from '../helpers/emulator.js';
import type { Person, World } from './world.js';

const DELETE_KINDS = new Set(['invitation-withdrawn', 'deletion-notice']);

export interface MimSnapshot {
  readonly users: readonly EmulatorUser[];
  readonly outboxLength: number;
  readonly uploadCount: number;
}

export async function mimSnapshot(world: World): Promise<MimSnapshot> {
  return {
    users: await world.emu.users(),
    outboxLength: (await world.emu.outbox()).length,
    uploadCount: (await world.emu.uploads()).length,
  };
}

export interface DeleteCheck {
  readonly unintended: string[];
  readonly problems: string[];
}

/**
 * People who were in MIM at `before` and are gone now (or were sent a deletion / withdrawal
 * e-mail since), other than those in `allowed` (Sync IDs or e-mails).
 */
export async function unintendedDeletes(
  world: World,
  before: MimSnapshot,
  allowed: ReadonlySet<string> = new Set(),
): Promise<DeleteCheck> {
  const now = await world.emu.users();
  const present = new Set(now.map((u) => u.syncId ?? u.email));
  const gone = before.users
    .filter((u) => !present.has(u.syncId ?? u.email))
    .filter((u) => !allowed.has(u.syncId ?? '') && !allowed.has(u.email))
    .map((u) => u.email);
  const outbox = (await world.emu.outbox()).slice(before.outboxLength);
  const mailed = outbox
    .filter((m) => DELETE_KINDS.has(m.kind) && !allowed.has(m.to))
    .map((m) => `${m.kind} to ${m.to}`);
  const unintended = [...new Set([...gone, ...mailed.map((m) => m.split(' to ')[1] ?? m)])];
  const problems = [
    ...gone.map((e) => `unintended delete: ${e} was removed from MIM`),
    ...mailed.map((m) => `unintended delete e-mail: ${m}`),
  ];
  return { unintended, problems };
}

function key(p: Person): string {
  return [p.syncId, p.firstName, p.lastName, p.email, p.id].join('\u0001');
}

/** Differences between MIM's users and a list of people, as readable lines (empty = equal). */
export function diffPeople(mim: readonly EmulatorUser[], people: readonly Person[]): string[] {
  const a = new Map(
    mim.map((u) => [u.syncId ?? u.email, key({ ...u, syncId: u.syncId ?? u.email } as Person)]),
  );
  const b = new Map(people.map((p) => [p.syncId, key(p)]));
  const out: string[] = [];
  for (const [id, k] of b) {
    const m = a.get(id);
    if (m === undefined) out.push(`missing in MIM: ${id}`);
    else if (m !== k)
      out.push(`differs in MIM: ${id}: ${m.replaceAll('\u0001', ',')} ≠ ${k.replaceAll('\u0001', ',')}`);
  }
  for (const id of a.keys()) if (!b.has(id)) out.push(`extra in MIM: ${id}`);
  return out.slice(0, 10);
}

/**
 * snapshot.json parses and lists exactly what MIM holds — unless pending.json says an upload was
 * in flight and MIM holds exactly that upload (applied but not recorded).
 */
export async function stateProblems(world: World): Promise<string[]> {
  const s = await world.readState();
  const out: string[] = [];
  if (s.snapshot === 'corrupt') return ['snapshot.json is not a snapshot file (nor valid JSON)'];
  if (s.pending === 'corrupt') return ['pending.json is not valid JSON'];
  if (
    s.snapshot &&
    ((s.snapshot.version !== 2 && s.snapshot.version !== 3) || !Array.isArray(s.snapshot.records))
  )
    out.push('snapshot.json has an unknown shape');
  const users = (await world.emu.users()).filter((u) => u.status !== 'reset');
  const diff = diffPeople(users, s.snapshot?.records ?? []);
  if (diff.length === 0) return out;
  if (!s.pending) {
    out.push(`MIM differs from snapshot.json and no pending.json explains it: ${diff.join('; ')}`);
    return out;
  }
  const applied = (await world.emu.uploads()).filter((u) => u.result !== undefined);
  const last = applied.at(-1);
  const maybe = new Set((s.pending.uploads ?? []).map((u) => u.payloadSha256));
  if (last === undefined || !maybe.has(last.sha256)) {
    out.push(
      `MIM differs from snapshot.json, and the last upload MIM applied is not the pending one: ${diff.join('; ')}`,
    );
  }
  return out;
}

/** Nobody invited twice, nobody sent two deletion e-mails: MIM never acted twice on one change. */
export function doubleActs(outbox: readonly OutboxMessage[]): string[] {
  const seen = new Map<string, number>();
  for (const m of outbox) {
    if (m.kind === 'failure-notice') continue;
    const k = `${m.kind} to ${m.to}`;
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([k, n]) => `${k} sent ${n} times`);
}

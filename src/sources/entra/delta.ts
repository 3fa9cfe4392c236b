/**
 * Tenant-wide reads with users/delta. A `$deltatoken=latest` link is taken *before* the full read,
 * so changes made during the read are replayed later; later runs follow the stored deltaLink (one
 * request when nothing changed) and rebuild the complete set from the stored users. A full read
 * happens again after `fullReadIntervalHours` or when Graph refuses the link (410 resyncRequired,
 * 400 syncStateNotFound, any 4xx but 401/403/429). The state to store is handed back as `pending`;
 * the source saves it only in settle.
 */
import type { Logger } from 'pino';
import { plural } from '../../core/plural.js';
import type { Notice } from '../../core/types.js';
import {
  type DeltaState,
  type LoadResult,
  loadDeltaState,
  saveDeltaState,
  stateStamp,
} from './delta-state.js';
import { GraphHttpError, type GraphReader } from './graph.js';
import type { GraphUser } from './map.js';
import { hasId, type OnUser, type ReadResult, readAllUsers } from './users.js';

/** Graph refused a stored delta link; a full read follows. */
class DeltaRejected extends Error {}

/** The delta state file, with the state this process last wrote or read, so a daemon does not parse its own file every run. */
export class DeltaStore {
  private memo: { readonly state: DeltaState; readonly stamp: string } | undefined;

  constructor(
    private readonly file: string,
    readonly fingerprint: string,
  ) {}

  async load(): Promise<LoadResult> {
    const stamp = await stateStamp(this.file);
    if (stamp !== undefined && this.memo?.stamp === stamp) return { kind: 'ok', state: this.memo.state };
    this.memo = undefined;
    const loaded = await loadDeltaState(this.file, this.fingerprint);
    if (loaded.kind === 'ok' && stamp !== undefined) this.memo = { state: loaded.state, stamp };
    return loaded;
  }

  async save(state: DeltaState): Promise<void> {
    this.memo = undefined;
    await saveDeltaState(this.file, state);
    const stamp = await stateStamp(this.file);
    if (stamp !== undefined) this.memo = { state, stamp };
  }
}

export interface DeltaReadContext {
  readonly reader: GraphReader;
  readonly select: readonly string[];
  readonly store: DeltaStore;
  readonly fullReadIntervalHours: number;
  readonly now: () => Date;
  readonly logger: Logger;
  /** The source's name, for log lines. */
  readonly source: string;
}

/**
 * The tenant's users through the stored delta link, or a full read that anchors a new one (only a
 * full read hands its users to `onUser`).
 */
export async function readWithDelta(
  c: DeltaReadContext,
  signal: AbortSignal,
  onUser?: OnUser,
): Promise<ReadResult> {
  const notices: Notice[] = [];
  const loaded = await c.store.load();
  if (loaded.kind === 'ok') {
    const age = c.now().getTime() - Date.parse(loaded.state.fullReadAt);
    if (age >= 0 && age < c.fullReadIntervalHours * 3_600_000) {
      try {
        return await readDelta(c.reader, loaded.state, signal);
      } catch (e) {
        if (!(e instanceof DeltaRejected)) throw e;
        notices.push({
          message: `Graph refused the stored delta link (${e.message}), so everything was read again`,
        });
      }
    } else {
      c.logger.debug({ source: c.source }, 'Entra full read due (fullReadIntervalHours)');
    }
  } else if (loaded.kind === 'unusable') {
    notices.push({ message: `Delta state not used (${loaded.reason}), so everything was read again` });
  }
  const anchor = await deltaAnchor(c.reader, c.select, signal, notices);
  // Delta reads are tenant-wide only: a configured filter never reaches here.
  const users = await readAllUsers(c.reader, c.select, '', signal, onUser);
  const pending: DeltaState | undefined = anchor
    ? {
        version: 1,
        fingerprint: c.store.fingerprint,
        deltaLink: anchor,
        fullReadAt: c.now().toISOString(),
        users,
      }
    : undefined;
  return { users, mode: 'full read', notices, pending, streamed: onUser !== undefined };
}

/** A deltaLink meaning "changes from now on"; undefined (with a notice) if Graph will not give one. */
async function deltaAnchor(
  reader: GraphReader,
  select: readonly string[],
  signal: AbortSignal,
  notices: Notice[],
): Promise<string | undefined> {
  const url = reader.url('users/delta', { $deltatoken: 'latest', $select: select.join(',') });
  try {
    let link: string | undefined;
    for await (const page of reader.pages(url, { signal, what: 'users' })) {
      link = page.deltaLink ?? link;
    }
    if (link) return link;
    notices.push({ message: 'Graph gave no delta link; the next run reads everything again' });
    return undefined;
  } catch (e) {
    if (e instanceof GraphHttpError && e.status === 400) {
      notices.push({
        message: `Graph refused a delta query (${e.code}); the next run reads everything again`,
      });
      return undefined;
    }
    throw reader.explain(e, 'users');
  }
}

/** The changes since the stored link, applied to the stored users. */
async function readDelta(reader: GraphReader, state: DeltaState, signal: AbortSignal): Promise<ReadResult> {
  const what = 'user changes';
  if (!URL.canParse(state.deltaLink) || new URL(state.deltaLink).origin !== reader.origin) {
    throw new DeltaRejected('the stored link is not on graphBaseUrl');
  }
  const items: GraphUser[] = [];
  let deltaLink: string | undefined;
  try {
    for await (const page of reader.pages(state.deltaLink, { signal, what })) {
      for (const item of page.value) if (hasId(item)) items.push(item);
      deltaLink = page.deltaLink ?? deltaLink;
    }
  } catch (e) {
    const refused = e instanceof GraphHttpError && e.status >= 400 && e.status < 500;
    if (refused && ![401, 403, 429].includes(e.status))
      throw new DeltaRejected(`${e.status} ${e.code}`.trim());
    throw reader.explain(e, what);
  }
  if (!deltaLink) throw new DeltaRejected('the last page had no deltaLink');
  let all = state.users;
  let changed = 0;
  let removed = 0;
  if (items.length > 0) {
    const users = new Map(state.users.map((u) => [u.id, u]));
    for (const item of items) {
      const id = item.id;
      // reason "changed" (soft-deleted) and "deleted" (gone for good) both leave the set.
      if ('@removed' in item) {
        if (users.delete(id)) removed++;
        continue;
      }
      // Replays arrive in order: merge by id, the last one wins; absent keys keep their value.
      users.set(id, { ...users.get(id), ...item, id });
      changed++;
    }
    all = [...users.values()];
  }
  return {
    users: all,
    mode: `delta: ${plural(changed, 'change')}, ${plural(removed, 'removal')}`,
    notices: [],
    pending: { ...state, deltaLink, users: all },
  };
}

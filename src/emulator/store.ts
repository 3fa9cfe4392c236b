/**
 * The emulator's whole state — per project: users, outbox, and the log of every sync request — with
 * optional persistence to one JSON file (written to a temp file and renamed, so a crash never leaves
 * half a file). Faults are deliberately not persisted: they belong to one test run.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { ConfigError } from '../core/errors.js';
import type { FaultType } from './faults.js';
import type { MessageDraft, SyncCounts, User } from './model.js';
import { composeMessages, type OutboxMessage } from './outbox.js';
import type { ValidationError } from './validate.js';

export interface UploadRecord {
  readonly seq: number;
  readonly at: string;
  /** HTTP status answered; null when no answer was sent (hang, reset, apply-then-hang, client gone). */
  readonly status: number | null;
  readonly bytes: number;
  readonly sha256: string;
  /** The injected fault that shaped this request, if any. */
  readonly fault?: FaultType;
  readonly result?: SyncCounts;
  readonly errors?: ValidationError[];
  /** Why there is no normal answer, e.g. 'invalid token' or 'client disconnected during delay'. */
  readonly note?: string;
}

export interface ProjectState {
  users: User[];
  outbox: OutboxMessage[];
  uploads: UploadRecord[];
  nextMessageSeq: number;
  nextUploadSeq: number;
}

interface PersistedState {
  version: 1;
  projects: Record<string, ProjectState>;
}

/** Older uploads are dropped beyond this, so a long rehearsal does not grow without bound. */
const MAX_UPLOADS = 1000;

export class EmulatorStore {
  readonly #projects = new Map<string, ProjectState>();
  readonly #dataFile: string | undefined;

  constructor(projectNames: readonly string[], dataFile?: string) {
    this.#dataFile = dataFile;
    const persisted = dataFile === undefined ? undefined : readDataFile(dataFile);
    for (const name of projectNames) {
      this.#projects.set(name, persisted?.projects[name] ?? emptyProject());
    }
  }

  project(name: string): ProjectState | undefined {
    return this.#projects.get(name);
  }

  setUsers(state: ProjectState, users: User[]): void {
    state.users = users;
  }

  appendMessages(
    state: ProjectState,
    drafts: readonly MessageDraft[],
    context: { project: string; at: string; errorCount?: number },
  ): void {
    const messages = composeMessages(drafts, { ...context, nextSeq: state.nextMessageSeq });
    state.outbox.push(...messages);
    state.nextMessageSeq += messages.length;
  }

  recordUpload(state: ProjectState, upload: Omit<UploadRecord, 'seq'>): UploadRecord {
    const record: UploadRecord = { seq: state.nextUploadSeq, ...upload };
    state.nextUploadSeq++;
    state.uploads.push(record);
    if (state.uploads.length > MAX_UPLOADS) state.uploads.splice(0, state.uploads.length - MAX_UPLOADS);
    return record;
  }

  /** Wipes every project back to empty (sequence numbers restart too). */
  resetAll(): void {
    for (const name of this.#projects.keys()) this.#projects.set(name, emptyProject());
  }

  /** Persists after a change; a no-op without a data file. */
  save(): void {
    if (this.#dataFile === undefined) return;
    const state: PersistedState = { version: 1, projects: Object.fromEntries(this.#projects) };
    const tmp = `${this.#dataFile}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.#dataFile);
  }
}

function emptyProject(): ProjectState {
  return { users: [], outbox: [], uploads: [], nextMessageSeq: 1, nextUploadSeq: 1 };
}

function readDataFile(file: string): PersistedState | undefined {
  if (!existsSync(file)) return undefined;
  const fix = 'Delete the emulator data file (it only holds rehearsal data) or point dataFile elsewhere.';
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new ConfigError('The emulator data file is not valid JSON', { place: file, fix, cause });
  }
  if (!isPersistedState(parsed)) {
    throw new ConfigError('The emulator data file has an unexpected shape', { place: file, fix });
  }
  return parsed;
}

function isPersistedState(v: unknown): v is PersistedState {
  if (typeof v !== 'object' || v === null) return false;
  const { version, projects } = v as { version?: unknown; projects?: unknown };
  if (version !== 1 || typeof projects !== 'object' || projects === null) return false;
  return Object.values(projects).every((p: unknown) => {
    if (typeof p !== 'object' || p === null) return false;
    const s = p as Record<string, unknown>;
    return (
      Array.isArray(s.users) &&
      Array.isArray(s.outbox) &&
      Array.isArray(s.uploads) &&
      Number.isInteger(s.nextMessageSeq) &&
      Number.isInteger(s.nextUploadSeq)
    );
  });
}

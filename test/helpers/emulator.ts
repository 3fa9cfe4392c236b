/** Starts the MIM emulator on a free loopback port and reads its admin endpoints over HTTP. */
import { request } from 'undici';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';

export interface EmulatorUser {
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
  readonly id: string;
  readonly syncId?: string;
  readonly status: string;
}

export interface OutboxMessage {
  readonly to: string;
  readonly kind: string;
  readonly subject: string;
}

export interface Upload {
  /** null when no answer was sent (hang, reset, apply-then-hang, apply-then-reset). */
  readonly status: number | null;
  readonly sha256: string;
  /** Set only when the upload was applied. */
  readonly result?: Record<string, number>;
  /** The injected fault that answered this upload, if any. */
  readonly fault?: string;
  readonly note?: string;
}

export interface TestEmulator {
  readonly url: string;
  readonly project: string;
  readonly token: string;
  users(): Promise<EmulatorUser[]>;
  outbox(): Promise<OutboxMessage[]>;
  uploads(): Promise<Upload[]>;
  fault(f: Record<string, unknown>): Promise<void>;
  /** Lets uploads held by a `hold` fault go on; resolves to how many were waiting. */
  release(): Promise<number>;
  clearFaults(): Promise<void>;
  act(key: string, action: 'activate' | 'reset' | 'offline' | 'online'): Promise<void>;
  resetAll(): Promise<void>;
  close(): Promise<void>;
}

async function json<T>(url: string, method = 'GET', body?: unknown): Promise<T> {
  const res = await request(url, {
    method: method as 'GET',
    ...(body !== undefined
      ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
      : {}),
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: HTTP ${res.statusCode} ${text}`);
  return (text ? JSON.parse(text) : {}) as T;
}

export async function startTestEmulator(project = 'demo', token = 'test-token'): Promise<TestEmulator> {
  const emu: RunningEmulator = await startEmulator({
    port: 0,
    projects: [{ name: project, token, contact: 'it@example.com' }],
  });
  const admin = `${emu.url}/_admin/projects/${encodeURIComponent(project)}`;
  return {
    url: emu.url,
    project,
    token,
    users: async () => (await json<{ users: EmulatorUser[] }>(`${admin}/users`)).users,
    outbox: async () => (await json<{ messages: OutboxMessage[] }>(`${admin}/outbox`)).messages,
    uploads: async () => (await json<{ uploads: Upload[] }>(`${admin}/uploads`)).uploads,
    fault: async (f) => {
      await json(`${emu.url}/_admin/faults`, 'POST', f);
    },
    release: async () => (await json<{ released: number }>(`${emu.url}/_admin/release`, 'POST')).released,
    clearFaults: async () => {
      await json(`${emu.url}/_admin/faults`, 'DELETE');
    },
    act: async (key, action) => {
      await json(`${admin}/users/${encodeURIComponent(key)}/${action}`, 'POST');
    },
    resetAll: async () => {
      await json(`${emu.url}/_admin/reset`, 'POST');
    },
    close: () => emu.close(),
  };
}

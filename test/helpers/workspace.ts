/** A throw-away job workspace: drop folder, state dir and a config pointing at an emulator. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { scaled } from './timing.js';

export interface Workspace {
  readonly dir: string;
  readonly drop: string;
  readonly state: string;
  readonly config: string;
  /** Writes a drop file atomically (temp + rename), with an mtime in the past so it is "complete". */
  dropFile(name: string, content: string | Buffer): Promise<string>;
  cleanup(): Promise<void>;
}

export interface WorkspaceOptions {
  readonly mimUrl: string;
  readonly project?: string;
  readonly token?: string;
  readonly job?: Record<string, unknown>;
  readonly source?: Record<string, unknown>;
  readonly extra?: Record<string, unknown>;
}

export async function makeWorkspace(options: WorkspaceOptions): Promise<Workspace> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mobileid-e2e-'));
  const drop = path.join(dir, 'drop');
  const state = path.join(dir, 'state');
  await mkdir(drop, { recursive: true });
  const config = path.join(dir, 'config.json5');
  const body = {
    stateDir: state,
    admin: { listen: '' },
    ...options.extra,
    jobs: [
      {
        name: 'main',
        mim: {
          baseUrl: options.mimUrl,
          project: options.project ?? 'demo',
          token: options.token ?? 'test-token',
          retries: { max: 3, baseDelayMs: 10, maxDelayMs: 200 },
          requestTimeoutMs: scaled(5000),
        },
        sources: [{ name: 'hr', kind: 'csv-folder', folder: drop, stableMs: 0, ...options.source }],
        ...options.job,
      },
    ],
  };
  await writeFile(config, JSON.stringify(body, null, 2));
  return {
    dir,
    drop,
    state,
    config,
    async dropFile(name, content) {
      const target = path.join(drop, name);
      await writeFile(`${target}.tmp`, content);
      const { rename, utimes } = await import('node:fs/promises');
      const past = new Date(Date.now() - 60_000);
      await utimes(`${target}.tmp`, past, past);
      await rename(`${target}.tmp`, target);
      return target;
    },
    async cleanup() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

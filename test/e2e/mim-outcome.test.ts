/**
 * Issue #10 item 4 as the admin met it, through the CLI: MIM applies an upload that deletes someone
 * but its answer times out, and the retry is redirected. The run must not say "nothing was applied";
 * when the admin reverts the file, the revert must be uploaded (not skipped as byte-identical), so
 * the deleted person comes back. (The fault matrix cannot hold this row: re-inviting the deleted
 * person is a second invitation, which its "MIM never acted twice" invariant counts.)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { makeWorkspace, type Workspace } from '../helpers/workspace.js';

const HEADER = 'First name,Last name,E-mail,ID,Sync ID\n';
const people = (n: number): string =>
  Array.from(
    { length: n },
    (_, i) => `First${i + 1},Last${i + 1},p${i + 1}@example.com,B${i + 1},P${i + 1}\n`,
  ).join('');

let emu: TestEmulator;
let ws: Workspace;

beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(async () => {
  await emu.close();
});
beforeEach(async () => {
  await emu.resetAll();
  ws = await makeWorkspace({
    mimUrl: emu.url,
    job: {
      mim: {
        baseUrl: emu.url,
        project: 'demo',
        token: 'test-token',
        retries: { max: 3, baseDelayMs: 10, maxDelayMs: 200 },
        requestTimeoutMs: 1500,
      },
    },
  });
});
afterEach(async () => {
  await ws.cleanup();
});

const cli = (...args: string[]) => runCli([...args, '--config', ws.config], { timeoutMs: 120_000 });
const emails = async () => (await emu.users()).map((u) => u.email);

describe('an upload that may have been applied', () => {
  it('is never reported as "nothing was applied", and a revert brings the deleted person back', async () => {
    await ws.dropFile('a.csv', HEADER + people(20));
    const first = await cli('sync', '--accept-unknown-baseline');
    expect(first.code, first.stdout + first.stderr).toBe(0);

    await emu.fault({ type: 'apply-then-hang' });
    await emu.fault({ type: 'redirect-302', location: 'https://sso.example.net/login' });
    await ws.dropFile('b.csv', HEADER + people(19));
    const lost = await cli('sync');
    expect(lost.code, lost.stdout + lost.stderr).toBe(69);
    expect(lost.stdout).toMatch(/MIM may or may not have applied the upload/);
    expect(lost.stdout).toMatch(/redirect to https:\/\/sso\.example\.net\/login \(not followed\)/);
    expect(lost.stdout + lost.stderr).not.toMatch(/nothing was applied/);
    expect(await emails()).not.toContain('p20@example.com');

    await ws.dropFile('c.csv', HEADER + people(20));
    const revert = await cli('sync');
    expect(revert.code, revert.stdout + revert.stderr).toBe(0);
    expect(revert.stdout).not.toMatch(/byte-identical/);
    expect(revert.stdout).toMatch(/MIM accepted it/);
    expect(await emails()).toContain('p20@example.com');

    const again = await cli('sync');
    expect(again.stdout).toMatch(/byte-identical/);
  }, 240_000);

  it('keeps what a failed upload tried to send in the history: file, plan counts, payload hash', async () => {
    await ws.dropFile('a.csv', HEADER + people(3));
    expect((await cli('sync', '--accept-unknown-baseline')).code).toBe(0);
    await emu.fault({ type: 'status', status: 400, body: 'line 1: bad' });
    await ws.dropFile('b.csv', HEADER + people(4));
    const refused = await cli('sync');
    expect(refused.code, refused.stdout + refused.stderr).not.toBe(0);
    const history = readFileSync(path.join(ws.state, 'main', 'history.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(history.at(-1)).toMatchObject({
      outcome: 'failed',
      error: { code: 'TARGET_REJECTED' },
      // The input as it will be archived (`<sequence>-<name>`), and its description names b.csv.
      sources: [
        {
          source: 'hr',
          input: '000002-b.csv',
          description: expect.stringContaining('b.csv'),
          total: 4,
          valid: 4,
        },
      ],
      plan: { adds: 1, deletes: 0, unchanged: 3 },
      payloadSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  }, 120_000);

  it('rejects an unknown mim.successResponse as a configuration error naming the key', async () => {
    const r = await runCli(['config', 'validate', '--config', ws.config], {
      env: { MOBILEID_SYNC_MAIN_MIM_SUCCESS_RESPONSE: 'html' },
    });
    expect(r.code).toBe(78);
    expect(r.stdout + r.stderr).toMatch(/successResponse/);
  }, 120_000);
});

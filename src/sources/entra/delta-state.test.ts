import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type DeltaState, deltaFingerprint, loadDeltaState, saveDeltaState } from './delta-state.js';

const fp = deltaFingerprint({
  tenantId: 'T',
  clientId: 'C',
  graphBaseUrl: 'https://graph.microsoft.com',
  select: ['id', 'mail'],
});
const state: DeltaState = {
  version: 1,
  fingerprint: fp,
  deltaLink: 'https://graph.microsoft.com/v1.0/users/delta?$deltatoken=abc',
  fullReadAt: '2026-11-25T10:00:00.000Z',
  users: [{ id: 'a', mail: 'a@contoso.com' }],
};

describe('delta state', () => {
  it('round-trips atomically and leaves no temp file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'entra-delta-'));
    const file = path.join(dir, 'nested', 'src.entra-delta.json');
    expect(await loadDeltaState(file, fp)).toEqual({ kind: 'none' });
    await saveDeltaState(file, state);
    expect(await loadDeltaState(file, fp)).toEqual({ kind: 'ok', state });
    expect(readdirSync(path.dirname(file))).toEqual(['src.entra-delta.json']);
  });

  it('ignores a state made for another query, and a corrupt file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'entra-delta-'));
    const file = path.join(dir, 's.json');
    await saveDeltaState(file, state);
    const other = deltaFingerprint({
      tenantId: 't',
      clientId: 'c',
      graphBaseUrl: 'https://graph.microsoft.com',
      select: ['id'],
    });
    expect((await loadDeltaState(file, other)).kind).toBe('unusable');
    expect(
      deltaFingerprint({
        tenantId: 't',
        clientId: 'c',
        graphBaseUrl: 'https://graph.microsoft.com',
        select: ['mail', 'id'],
      }),
    ).toBe(fp);
    writeFileSync(file, '{"version":1,');
    expect(await loadDeltaState(file, fp)).toMatchObject({
      kind: 'unusable',
      reason: expect.stringContaining('not valid JSON'),
    });
  });

  it('writes exactly JSON.stringify of the state, also when an unchanged users list is saved again with a new link', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'entra-delta-'));
    const file = path.join(dir, 's.json');
    const users = [
      { id: 'a', mail: 'a@contoso.com', givenName: 'Zoë "Z"', surname: 'Ünal\u2028' },
      { id: 'b', mail: null },
    ];
    const first: DeltaState = { ...state, users };
    await saveDeltaState(file, first);
    expect(readFileSync(file, 'utf8')).toBe(JSON.stringify(first));
    // The daemon's next round changed nobody: the same list, a new link.
    const next: DeltaState = { ...first, deltaLink: `${state.deltaLink}-2` };
    await saveDeltaState(file, next);
    expect(readFileSync(file, 'utf8')).toBe(JSON.stringify(next));
    expect(await loadDeltaState(file, fp)).toEqual({ kind: 'ok', state: next });
    // A round with changes hands over a new list, which is written as it is now.
    const changed: DeltaState = {
      ...next,
      users: [...users.slice(0, 1), { id: 'c', mail: 'c@contoso.com' }],
    };
    await saveDeltaState(file, changed);
    expect(await loadDeltaState(file, fp)).toEqual({ kind: 'ok', state: changed });
  });

  it('reports a write failure as a StateError naming the file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'entra-delta-'));
    const blocker = path.join(dir, 'file');
    writeFileSync(blocker, 'x');
    await expect(saveDeltaState(path.join(blocker, 'state.json'), state)).rejects.toMatchObject({
      code: 'STATE_IO',
    });
  });
});

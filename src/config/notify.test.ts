import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SOURCE_DEFINITIONS } from '../sources/index.js';
import { loadConfigData, maskSecrets } from './load.js';

let file: string;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'notify-cfg-'));
  file = path.join(dir, 'config.json5');
});

const JOBS = [
  { name: 'main', mim: { project: 'HQ' }, sources: [{ name: 'hr', kind: 'csv-folder', folder: '/x' }] },
];

function load(notify: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  return loadConfigData({ notify, jobs: JOBS }, file, { registry: SOURCE_DEFINITIONS, env });
}

const EMAIL = { host: 'smtp.example.org', from: 'sync@example.org', to: ['ops@example.org'] };

describe('notify config', () => {
  it('has no channel by default and sends every event but digest and test', () => {
    const c = load({});
    expect(c.notify.email.host).toBe('');
    expect(c.notify.email.port).toBe(587);
    expect(c.notify.email.security).toBe('starttls');
    expect(c.notify.events).toEqual([
      'blocked',
      'approval-expiring',
      'failing',
      'recovered',
      'unknown-outcome',
    ]);
    expect(c.notify.failingAfterRuns).toBe(3);
    expect(c.notify.retry).toEqual({ max: 5, baseDelayMs: 30_000 });
  });

  it('refuses a half-configured e-mail channel, naming the key', () => {
    expect(() => load({ email: { host: 'smtp.example.org', from: 'a@example.org' } })).toThrow(
      expect.objectContaining({ place: expect.stringContaining('notify.email.to') }),
    );
    expect(() => load({ email: { ...EMAIL, from: '' } })).toThrow(
      expect.objectContaining({ place: expect.stringContaining('notify.email.from') }),
    );
    expect(() => load({ email: { to: ['ops@example.org'] } })).toThrow(
      expect.objectContaining({ place: expect.stringContaining('notify.email.host') }),
    );
    expect(() => load({ email: { ...EMAIL, to: ['not an address'] } })).toThrow(/is not an e-mail address/);
    expect(() => load({ email: { ...EMAIL, user: 'sync' } })).toThrow(
      expect.objectContaining({ place: expect.stringContaining('notify.email.password') }),
    );
  });

  it('refuses a password in clear text to another host, allows it to a local relay', () => {
    const plain = { ...EMAIL, security: 'none', user: 'sync', password: 'hunter2-secret' };
    let error: unknown;
    try {
      load({ email: plain });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ place: expect.stringContaining('notify.email.security') });
    expect(String((error as Error).message)).not.toContain('hunter2-secret');
    expect(load({ email: { ...plain, host: '127.0.0.1' } }).notify.email.user).toBe('sync');
  });

  it('reads the SMTP password from its file and masks it in config print', async () => {
    const pw = path.join(dir, 'smtp-password');
    await writeFile(pw, 'from-a-file-secret\n');
    const c = load({
      email: { ...EMAIL, user: 'sync', passwordFile: pw },
      teams: { url: 'https://example.webhook.office.com/x/y' },
    });
    expect(c.notify.email.password).toBe('from-a-file-secret');
    const printed = JSON.stringify(maskSecrets(c, SOURCE_DEFINITIONS));
    expect(printed).not.toContain('from-a-file-secret');
    expect(printed).not.toContain('/x/y');
    expect(printed).toContain('smtp.example.org');
  });

  it('takes the recipients from an env var as a JSON array', () => {
    const c = load({ email: EMAIL }, { MOBILEID_SYNC_NOTIFY_EMAIL_TO: '["a@example.org","b@example.org"]' });
    expect(c.notify.email.to).toEqual(['a@example.org', 'b@example.org']);
  });

  it('wants https webhooks (http only to this host) and a signing key, without quoting the URL', () => {
    const secret = 'k'.repeat(32);
    expect(() => load({ webhook: { url: 'http://hooks.example.org/abc', secret } })).toThrow(
      expect.objectContaining({ place: expect.stringContaining('notify.webhook.url') }),
    );
    expect(() => load({ webhook: { url: 'https://hooks.example.org/abc' } })).toThrow(
      expect.objectContaining({ place: expect.stringContaining('notify.webhook.secret') }),
    );
    expect(load({ webhook: { url: 'http://127.0.0.1:8080/in', secret } }).notify.webhook.url).toContain(
      '127.0.0.1',
    );
    let error: unknown;
    try {
      load({ slack: { url: 'http://hooks.slack.example/services/T000/B000/SECRETPATH' } });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ place: expect.stringContaining('notify.slack.url') });
    expect(JSON.stringify({ m: (error as Error).message, f: (error as { fix: string }).fix })).not.toContain(
      'SECRETPATH',
    );
  });

  it('refuses an unknown event kind', () => {
    expect(() => load({ events: ['blocked', 'exploded'] })).toThrow(/"exploded" is not an event/);
  });
});

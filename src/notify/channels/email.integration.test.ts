import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryFailure, startSmtp, type TestSmtp } from '../../../test/helpers/notify.js';
import { HOSTILE_NAMES, person, blockedEvent as sampleBlocked } from '../../../test/helpers/notify-events.js';
import { scaled } from '../../../test/helpers/timing.js';
import { makeTestPki, type TestPki } from '../../../test/helpers/tls.js';
import type { NotifyConfig } from '../../config/notify.js';
import { createEmailChannel } from './email.js';

const PASSWORD = 'smtp-pass-9f8e7d6c';
const HOSTILE_NAME = HOSTILE_NAMES[0]!;
const blockedEvent = () => sampleBlocked({ topDeletes: [person(1, HOSTILE_NAME)] });
let pki: TestPki;
let smtp: TestSmtp;
let plainSmtp: TestSmtp;

beforeAll(async () => {
  pki = makeTestPki(mkdtempSync(path.join(os.tmpdir(), 'smtp-pki-')));
  const tls = { cert: readFileSync(pki.serverCert, 'utf8'), key: readFileSync(pki.serverKey, 'utf8') };
  smtp = await startSmtp({ ...tls, user: 'sync', password: PASSWORD });
  plainSmtp = await startSmtp({ ...tls, user: 'sync', password: PASSWORD, hideStartTls: true });
}, scaled(30_000));

afterAll(async () => {
  await smtp?.close();
  await plainSmtp?.close();
});

function config(overrides: Partial<NotifyConfig['email']> = {}): NotifyConfig['email'] {
  return {
    host: 'localhost',
    port: smtp.port,
    security: 'starttls',
    user: 'sync',
    password: PASSWORD,
    passwordFile: '',
    from: 'mobileid-sync <sync@example.org>',
    to: ['ops@example.org', 'second@example.org'],
    caFile: pki.caCert,
    timeoutMs: scaled(10_000),
    ...overrides,
  };
}

const signal = () => AbortSignal.timeout(scaled(30_000));

describe('e-mail channel (real SMTP server, STARTTLS + AUTH)', () => {
  it('delivers over STARTTLS with the right password: subject, text and escaped HTML arrive', async () => {
    const before = smtp.mails.length;
    const channel = createEmailChannel(config());
    expect(channel.target).toBe(`localhost:${smtp.port}`);
    const receipt = await channel.send(blockedEvent(), signal());
    expect(receipt.detail).toMatch(/^250/);
    const mail = smtp.mails[before]!;
    expect(mail.from).toBe('sync@example.org');
    expect(mail.to).toEqual(['ops@example.org', 'second@example.org']);
    expect(mail.subject).toContain('main');
    expect(mail.subject.toLowerCase()).toContain('blocked');
    expect(mail.text).toContain('mobileid-sync approve main --plan p-1a2b3c');
    expect(mail.text).toContain(HOSTILE_NAME);
    // Directory data is text in the HTML part, never markup.
    expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(mail.html).not.toContain(HOSTILE_NAME);
  });

  it('a wrong password is a retryable failure naming the keys to fix, without the password', async () => {
    const failures = smtp.authFailures();
    const e = await deliveryFailure(
      createEmailChannel(config({ password: 'wrong-password-123' })).send(blockedEvent(), signal()),
    );
    expect(smtp.authFailures()).toBe(failures + 1);
    expect(e.retryable).toBe(true);
    expect(e.message).toContain('EAUTH');
    expect(e.fix).toContain('notify.email.user');
    expect(`${e.message} ${e.fix}`).not.toContain('wrong-password-123');
  });

  it('refuses a server that does not offer STARTTLS (nothing is sent in clear text)', async () => {
    const before = plainSmtp.mails.length;
    const e = await deliveryFailure(
      createEmailChannel(config({ port: plainSmtp.port })).send(blockedEvent(), signal()),
    );
    expect(e.fix).toMatch(/TLS/);
    expect(plainSmtp.mails.length).toBe(before);
  });

  it('verifies the server certificate: without the private CA it fails and says to set caFile', async () => {
    const e = await deliveryFailure(
      createEmailChannel(config({ caFile: '' })).send(blockedEvent(), signal()),
    );
    expect(e.fix).toContain('notify.email.caFile');
    const wrongCa = await deliveryFailure(
      createEmailChannel(config({ caFile: pki.otherCaCert })).send(blockedEvent(), signal()),
    );
    expect(wrongCa.fix).toContain('caFile');
  });

  it('a caFile that cannot be read fails when the channel is built, naming the key', () => {
    expect(() => createEmailChannel(config({ caFile: path.join(os.tmpdir(), 'no-such-ca.pem') }))).toThrow(
      expect.objectContaining({ place: 'notify.email.caFile' }),
    );
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import {
  forgetSecrets,
  REDACTED,
  registerSecret,
  registerUrlCredentials,
  scrubbedJson,
  scrubSecrets,
} from './secrets.js';

afterEach(() => forgetSecrets());

describe('scrubSecrets', () => {
  it('removes a registered secret by value, in every form an output can hold', () => {
    const token = 'abc/def"ghi\\jkl+mno';
    registerSecret(token);
    const json = JSON.stringify({ body: `{"authorization":${JSON.stringify(`Bearer ${token}`)}}` });
    for (const text of [
      `Bearer ${token}`,
      JSON.stringify(token),
      json,
      JSON.stringify(json),
      token.replaceAll('/', '\\/'),
      encodeURIComponent(token),
      Buffer.from(token).toString('base64'),
    ]) {
      const out = scrubSecrets(text);
      expect(out, text).toContain(REDACTED);
      expect(out, text).not.toContain('def');
    }
  });

  it('keeps JSON valid when scrubbing values with scrubbedJson', () => {
    registerSecret('s3cr3t-"value"\\x');
    const entry = { error: 'MIM said: s3cr3t-"value"\\x', nested: [{ 's3cr3t-"value"\\x': 1 }] };
    const text = scrubbedJson(entry);
    expect(text).not.toContain('s3cr3t');
    expect(JSON.parse(text)).toEqual({ error: `MIM said: ${REDACTED}`, nested: [{ [REDACTED]: 1 }] });
  });

  it('replaces short secrets only where they stand alone, and very short ones not at all', () => {
    registerSecret('pw12'); // 4-7 characters: whole words only
    registerSecret('abc'); // under 4: not scrubbed by value
    registerSecret('true'); // would break JSON
    expect(scrubSecrets('password pw12, not pw123 or xpw12')).toBe(
      `password ${REDACTED}, not pw123 or xpw12`,
    );
    expect(scrubSecrets('abc abcdef')).toBe('abc abcdef');
    expect(scrubSecrets('{"ok":true}')).toBe('{"ok":true}');
  });

  it('removes the user-info of any URL, registered or not, and the registered password anywhere', () => {
    expect(scrubSecrets('failed: ldap://cn=admin:pa55w0rd@dc1:389 refused')).toBe(
      `failed: ldap://${REDACTED}@dc1:389 refused`,
    );
    registerUrlCredentials('https://sync:hunter2-secret@mim.example');
    expect(scrubSecrets('user sync, password hunter2-secret')).toBe(`user sync, password ${REDACTED}`);
    expect(scrubSecrets('mail a@example.com, https://example.com/x?a@b')).toBe(
      'mail a@example.com, https://example.com/x?a@b',
    );
  });

  it('leaves text alone when nothing is registered', () => {
    expect(scrubSecrets('plain text')).toBe('plain text');
  });
});

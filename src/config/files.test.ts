import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPemFile } from './files.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'pem-'));
const what = { key: 'caFile', holds: 'the CA certificate(s)' };

describe('readPemFile', () => {
  it('returns the text of a file holding a certificate', () => {
    const file = path.join(dir, 'ca.pem');
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    writeFileSync(file, pem);
    expect(readPemFile(file, 'sources[x].caFile', what)).toBe(pem);
  });

  it('names the key, the file and the reason when the file cannot be read', () => {
    expect(() => readPemFile(path.join(dir, 'absent.pem'), 'sources[x].caFile', what)).toThrow(
      expect.objectContaining({
        message: expect.stringMatching(/^Cannot read caFile .*absent\.pem: ENOENT$/),
        place: 'sources[x].caFile',
        fix: expect.stringMatching(/caFile/),
      }),
    );
  });

  it('refuses a file without a PEM certificate', () => {
    const file = path.join(dir, 'x.pem');
    writeFileSync(file, 'hello');
    expect(() => readPemFile(file, 'sources[x].caFile', what)).toThrow(
      expect.objectContaining({
        message: expect.stringMatching(/holds no PEM certificate/),
        fix: expect.stringMatching(/the CA certificate\(s\)/),
      }),
    );
  });
});

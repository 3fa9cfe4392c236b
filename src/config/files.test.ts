import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { readPemFile } from './files.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'pem-'));
const what = { key: 'caFile', holds: 'the CA certificate(s)' };

function thrown(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('readPemFile', () => {
  it('returns the text of a file holding a certificate', () => {
    const file = path.join(dir, 'ca.pem');
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    writeFileSync(file, pem);
    expect(readPemFile(file, 'sources[x].caFile', what)).toBe(pem);
  });

  it('names the key, the file and the reason when the file cannot be read', () => {
    const e = thrown(() => readPemFile(path.join(dir, 'absent.pem'), 'sources[x].caFile', what));
    expect(e.message).toMatch(/^Cannot read caFile .*absent\.pem: ENOENT$/);
    expect(e.place).toBe('sources[x].caFile');
    expect(e.fix).toMatch(/caFile/);
  });

  it('refuses a file without a PEM certificate', () => {
    const file = path.join(dir, 'x.pem');
    writeFileSync(file, 'hello');
    const e = thrown(() => readPemFile(file, 'sources[x].caFile', what));
    expect(e.message).toMatch(/holds no PEM certificate/);
    expect(e.fix).toMatch(/the CA certificate\(s\)/);
  });
});

import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import JSON5 from 'json5';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { note } from './json5.js';
import { writeSetup } from './write-config.js';

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'setup-'));
}

const plan = (dir: string) => ({
  dir,
  configName: 'mobileid-sync.json5',
  config: {
    header: 'Written by a test',
    value: {
      stateDir: note('state', 'where runs are recorded'),
      jobs: [{ name: 'main', 'odd key': "it's", list: [] }],
    },
  },
  secrets: [{ name: 'mim_token', value: 'tok/en' }],
  folders: ['drop'],
});

describe('writeSetup', () => {
  it('writes the config with its comments, the secret with mode 0600 and the folders', () => {
    const dir = path.join(tmp(), 'out');
    const w = writeSetup(plan(dir));
    const text = readFileSync(w.config, 'utf8');
    expect(text).toContain('// where runs are recorded');
    expect(JSON5.parse(text)).toEqual({
      stateDir: 'state',
      jobs: [{ name: 'main', 'odd key': "it's", list: [] }],
    });
    expect(readFileSync(w.secrets[0]!, 'utf8')).toBe('tok/en\n');
    expect(statSync(w.secrets[0]!).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir, 'drop')).isDirectory()).toBe(true);
    expect(w.createdFolders).toEqual([dir, path.join(dir, 'drop')]);
  });

  it('refuses to overwrite an existing file and writes nothing', () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'mim_token'), 'old');
    expect(() => writeSetup(plan(dir))).toThrow(ConfigError);
    expect(readFileSync(path.join(dir, 'mim_token'), 'utf8')).toBe('old');
    expect(() => statSync(path.join(dir, 'mobileid-sync.json5'))).toThrow();
    expect(() => statSync(path.join(dir, 'drop'))).toThrow();
  });

  it('replaces existing files with force, tightening the secret to 0600', () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'mim_token'), 'old', { mode: 0o644 });
    const w = writeSetup(plan(dir), { force: true });
    expect(readFileSync(w.secrets[0]!, 'utf8')).toBe('tok/en\n');
    expect(statSync(w.secrets[0]!).mode & 0o777).toBe(0o600);
  });
});

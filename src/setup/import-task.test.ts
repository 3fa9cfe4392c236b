import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import JSON5 from 'json5';
import { describe, expect, it } from 'vitest';
import { SourceInvalidError } from '../core/errors.js';
import { jobName, planImport, readTask } from './import-task.js';
import { writeSetup } from './write-config.js';

const FIX = 'test/fixtures/import-task';
const TOKEN = 'mim_3Yk/9aQ+Zx7Lw2P0vT8s==';
const HO = { baseUrl: 'https://mobile-id.baltech.de', project: 'Head Office', token: TOKEN };

interface Row {
  readonly file: string;
  readonly encoding: string;
  readonly via: string;
  readonly csvPath: string;
  readonly project?: string;
}
const PROFILE_CSV = '$env:USERPROFILE\\mobile-id-users.csv';
const FACILITY_CSV = 'C:\\Users\\facility\\mobile-id-users.csv';
const IWR = 'PowerShell Invoke-WebRequest -InFile';
const ROWS: Row[] = [
  { file: 'iwr.utf16le-bom.xml', encoding: 'utf-16le', via: IWR, csvPath: PROFILE_CSV },
  { file: 'iwr.utf16be-bom.xml', encoding: 'utf-16be', via: IWR, csvPath: PROFILE_CSV },
  { file: 'iwr.utf8-bom.xml', encoding: 'utf-8', via: IWR, csvPath: PROFILE_CSV },
  { file: 'iwr.utf8.xml', encoding: 'utf-8', via: IWR, csvPath: PROFILE_CSV },
  ...(['utf16le-bom', 'utf8'] as const).flatMap((enc): Row[] => {
    const encoding = enc === 'utf8' ? 'utf-8' : 'utf-16le';
    return [
      {
        file: `irm.${enc}.xml`,
        encoding,
        via: 'PowerShell Invoke-RestMethod -InFile',
        csvPath: 'C:\\Users\\facility\\Documents\\mobile-id-users.csv',
        project: 'Warehouse',
      },
      { file: `encoded.${enc}.xml`, encoding, via: IWR, csvPath: PROFILE_CSV },
      { file: `curl-data.${enc}.xml`, encoding, via: 'curl --data-binary', csvPath: FACILITY_CSV },
      {
        file: `curl-form.${enc}.xml`,
        encoding,
        via: 'curl -F',
        csvPath: '%USERPROFILE%\\mobile-id-users.csv',
      },
    ];
  }),
  {
    file: 'script/autosync.utf16le-bom.xml',
    encoding: 'utf-16le',
    via: 'PowerShell Invoke-RestMethod -InFile',
    csvPath: FACILITY_CSV,
  },
];

describe('readTask on each upload form and encoding', () => {
  it.each(ROWS)('$file', ({ file, encoding, via, csvPath, project }) => {
    const task = readTask(path.join(FIX, file));
    expect(task.encoding).toBe(encoding);
    expect(task.upload).toMatchObject({ via, csvPath, ...HO, project: project ?? HO.project });
  });

  it('names the script the -File action ran', () => {
    expect(readTask(path.join(FIX, 'script/autosync.utf16le-bom.xml')).upload.script).toBe(
      path.join(FIX, 'script', 'autosync-upload.ps1'),
    );
  });
});

describe('readTask says what is missing', () => {
  it.each([
    [
      'broken-no-upload.utf16le-bom.xml',
      /No Exec action uploads a file: found action 1: Command=notepad\.exe Arguments=C:\\Users/,
    ],
    ['broken-no-token.utf16le-bom.xml', /Invoke-WebRequest -InFile, but it sends no token/],
    ['broken-no-file.utf16le-bom.xml', /uploads with curl, but it sends no file/],
    ['broken-not-a-task.utf16le-bom.xml', /root element is <Project>, not <Task>/],
    ['broken-not-xml.utf8.xml', /Not an XML file/],
    [
      'broken-missing-script.utf16le-bom.xml',
      /runs the PowerShell script C:\\Scripts\\not-here\.ps1.*not next to the XML/,
    ],
    ['does-not-exist.xml', /Cannot read .*ENOENT/],
  ])('%s', (file, message) => {
    const run = () => readTask(path.join(FIX, file));
    expect(run).toThrow(SourceInvalidError);
    expect(run).toThrow(message);
  });

  it('never echoes the token of an action it cannot use', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'task-'));
    const file = path.join(dir, 't.xml');
    const xml = readFileSync(path.join(FIX, 'broken-no-upload.utf16le-bom.xml'))
      .toString('utf16le')
      .replace('notepad.exe', 'wget.exe')
      .replace('C:\\Users\\facility\\mobile-id-users.csv', '--header="Authorization: Bearer s3cr3t-token" x');
    writeFileSyncUtf8(file, xml);
    expect(() => readTask(file)).toThrow(/Bearer \*\*\*\*/);
    try {
      readTask(file);
    } catch (e) {
      expect(String((e as Error).message)).not.toContain('s3cr3t');
    }
  });
});

function writeFileSyncUtf8(file: string, text: string): void {
  // the BOM read as text leads the string; drop it, the file is written as UTF-8
  writeFileSync(file, text.replace(/^\uFEFF/, ''));
}

describe('planImport', () => {
  it('writes a config that names the token file, the project and a drop folder for the Windows CSV', () => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'import-')), 'conf');
    const task = readTask(path.join(FIX, 'iwr.utf16le-bom.xml'));
    const written = writeSetup(planImport(task, { out }));
    const text = readFileSync(written.config, 'utf8');
    expect(text).toContain('The Windows task uploaded $env:USERPROFILE\\mobile-id-users.csv');
    expect(text).not.toContain(TOKEN);
    const config = JSON5.parse(text);
    expect(config.jobs[0]).toMatchObject({
      name: 'head-office',
      mim: {
        baseUrl: HO.baseUrl,
        project: 'Head Office',
        tokenFile: path.join(out, 'credentials', 'mim_token'),
      },
      sources: [{ kind: 'csv-folder', folder: path.join(out, 'drop'), pattern: 'mobile-id-users.csv' }],
    });
    expect(readFileSync(path.join(out, 'credentials', 'mim_token'), 'utf8')).toBe(`${TOKEN}\n`);
    expect(statSync(path.join(out, 'credentials', 'mim_token')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(out, 'credentials')).mode & 0o777).toBe(0o700);
  });

  it('uses --base-url instead of the task URL', () => {
    const task = readTask(path.join(FIX, 'curl-data.utf8.xml'));
    const plan = planImport(task, { out: '/tmp/x', baseUrl: 'http://127.0.0.1:8080' });
    expect(JSON.stringify(plan.config)).toContain('"value":"http://127.0.0.1:8080"');
  });

  it.each([
    ['Head Office', 'head-office'],
    ['Zürich Süd', 'zurich-sud'],
    ['***', 'main'],
  ])('job name from project %s', (project, name) => {
    expect(jobName(project)).toBe(name);
  });
});

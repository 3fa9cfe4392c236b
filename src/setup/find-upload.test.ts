import { describe, expect, it } from 'vitest';
import { removeCaretEscapes, splitWindowsArgs } from './command-line.js';
import { findUpload, maskToken, maskTokens } from './find-upload.js';
import { decodeTaskBytes } from './task-xml.js';

const URL = 'https://mim.example.com/mim/api/projects/Gate%2FA/sync';
const ctx = { file: 'task.xml', readScript: () => undefined };
// -EncodedCommand hands the script over verbatim (no command-line quoting in the way)
const ps = (script: string) =>
  findUpload(
    [
      {
        command: 'pwsh.exe',
        arguments: `-NoProfile -EncodedCommand ${Buffer.from(script, 'utf16le').toString('base64')}`,
        workingDirectory: '',
      },
    ],
    ctx,
  );

describe('Windows command lines', () => {
  it('splits like CommandLineToArgvW', () => {
    expect(splitWindowsArgs('a "b c" d\\e "f\\"g" "h\\\\" ""')).toEqual([
      'a',
      'b c',
      'd\\e',
      'f"g',
      'h\\',
      '',
    ]);
  });
  it("drops cmd.exe's caret escapes outside quotes only", () => {
    expect(removeCaretEscapes('a^&b "c^d" ^"e^"')).toBe('a&b "c^d" "e"');
  });
});

describe('PowerShell requests', () => {
  it('reads variables, a base path in the URL and a percent-encoded project', () => {
    const u = ps(
      `$t = 'abc\\/def'; $h = @{ "Authorization" = "Bearer $t" }; irm -Method Post "${URL}" -Headers $h -InFile ('D:\\exp\\users.csv')`,
    );
    expect(u).toMatchObject({
      baseUrl: 'https://mim.example.com/mim',
      project: 'Gate/A',
      token: 'abc/def',
      csvPath: 'D:\\exp\\users.csv',
    });
  });

  it('reads the file from -Body (Get-Content …) and the token from .Add()', () => {
    const u = ps(
      `$h = New-Object 'System.Collections.Generic.Dictionary[[String],[String]]'; $h.Add('Authorization', 'Bearer tok123'); Invoke-WebRequest -Uri:'${URL}' -Method Post -Headers $h -Body (Get-Content -Raw -Path 'C:\\x\\users.csv')`,
    );
    expect(u).toMatchObject({
      token: 'tok123',
      csvPath: 'C:\\x\\users.csv',
      via: 'PowerShell Invoke-WebRequest -Body',
    });
  });

  it('reads curl.exe called from PowerShell', () => {
    const u = ps(`curl.exe -X POST -H 'Authorization: Bearer t0k' --data-binary '@C:\\u.csv' '${URL}'`);
    expect(u).toMatchObject({ token: 't0k', csvPath: 'C:\\u.csv', via: 'curl --data-binary' });
  });

  it('refuses a URL that is not the sync endpoint', () => {
    expect(() =>
      ps(
        `Invoke-WebRequest -Uri https://example.com/upload -Headers @{Authorization='Bearer x'} -InFile a.csv`,
      ),
    ).toThrow(/uploads to https:\/\/example\.com\/upload, which is not MIM's sync URL/);
  });
});

describe('curl', () => {
  const curl = (args: string) =>
    findUpload([{ command: 'curl', arguments: args, workingDirectory: '' }], ctx);
  it.each([
    [`-T C:\\u.csv -X POST --oauth2-bearer tok ${URL}`, 'curl -T'],
    [`"--header=Authorization: Bearer x" --data-binary=@C:\\u.csv --url ${URL}`, 'curl --data-binary'],
    [`-HAuthorization:" Bearer tok" -d@C:\\u.csv ${URL}`, 'curl -d'],
  ])('%s', (args, via) => {
    expect(curl(args)).toMatchObject({ csvPath: 'C:\\u.csv', via, project: 'Gate/A' });
  });
});

describe('decodeTaskBytes', () => {
  it('reads UTF-16 without a BOM by its byte pattern', () => {
    const le = Buffer.from('<?xml version="1.0"?><Task/>', 'utf16le');
    expect(decodeTaskBytes(le)).toEqual({ text: '<?xml version="1.0"?><Task/>', encoding: 'utf-16le' });
    expect(decodeTaskBytes(Buffer.from(le).swap16()).encoding).toBe('utf-16be');
  });
});

it('masks tokens and encoded commands in echoed arguments', () => {
  const blob = Buffer.from("Invoke-Something 'secret-token-value'", 'utf16le').toString('base64');
  expect(maskTokens(`-H "Authorization: Bearer abc" --oauth2-bearer xyz -EncodedCommand ${blob}`)).toBe(
    `-H "Authorization: Bearer ****" --oauth2-bearer **** -EncodedCommand <base64, ${blob.length} characters>`,
  );
});

it('masks a token for display', () => {
  expect(maskToken('mim_3Yk/9aQ+Zx7Lw2P0vT8s==')).toBe('mim_…8s== (26 characters)');
  expect(maskToken('short')).toBe('****');
});

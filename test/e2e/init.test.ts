/**
 * `init` as an admin runs it: with flags for scripts (csv-folder against the emulator, ldap
 * against a real slapd) and interactively through a real pseudo-terminal (`script` from
 * util-linux), each followed by `config validate` and the first `plan` of the written config.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { freePort, type Slapd, SYNC_DN, SYNC_PASSWORD, startSlapd } from '../helpers/slapd.js';
import { scaled } from '../helpers/timing.js';

const CSV = 'First name,Last name,E-mail,ID,Sync ID\nAda,Lovelace,ada@example.com,1001,E1\n';

let emu: TestEmulator;
let dir: string;
let drop: string;

beforeAll(async () => {
  emu = await startTestEmulator('Head Office', 'mim-secret-token');
});
afterAll(async () => {
  await emu.close();
});
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mobileid-init-'));
  drop = path.join(dir, 'drop');
  await mkdir(drop);
  const file = path.join(drop, 'staff.csv');
  await writeFile(file, CSV);
  const past = new Date(Date.now() - 60_000);
  await utimes(file, past, past);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const inDir = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { cwd: dir, env });

function csvFlags(mimUrl: string): string[] {
  return [
    'init',
    '--non-interactive',
    '--source',
    'csv-folder',
    '--drop-folder',
    'drop',
    '--mim-url',
    mimUrl,
    '--project',
    'Head Office',
    '--out',
    'etc',
  ];
}

async function mode(file: string): Promise<string> {
  return ((await stat(file)).mode & 0o777).toString(8);
}

/** The written config's first `config validate` and `plan`: the plan shows the people and is held for approval. */
async function expectFirstPlan(config: string, person: RegExp): Promise<void> {
  const validate = await inDir(['config', 'validate', '-c', config]);
  expect(validate.code, validate.stderr).toBe(0);
  const plan = await inDir(['plan', '-c', config]);
  expect(plan.code, plan.stderr).toBe(3);
  expect(plan.stdout).toContain('UNKNOWN BASELINE');
  expect(plan.stdout).toMatch(person);
  expect(await emu.uploads()).toHaveLength(0);
}

describe('init --non-interactive', () => {
  it('csv-folder: writes a config and a 0600 token file that pass config validate and plan', async () => {
    const r = await inDir([...csvFlags(emu.url), '--token-env', 'MY_TOKEN'], {
      MY_TOKEN: 'mim-secret-token',
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const config = path.join(dir, 'etc', 'mobileid-sync.json5');
    const token = path.join(dir, 'etc', 'mim_token');
    expect(r.stdout).toContain(`Wrote ${config}`);
    expect(r.stdout).toContain(`Wrote ${token} (mode 0600)`);
    expect(r.stdout).toContain(`mobileid-sync plan -c ${config}`);
    expect(r.stdout).toContain('source drop (csv-folder): OK');
    expect(r.stdout).not.toContain('mim-secret-token');
    expect(await readFile(token, 'utf8')).toBe('mim-secret-token\n');
    expect(await mode(token)).toBe('600');
    expect(await readFile(config, 'utf8')).not.toContain('mim-secret-token');
    await expectFirstPlan(config, /\+ Ada Lovelace <ada@example\.com> ID 1001/);
  });

  it('names a missing flag (64), refuses a secret as a flag value (64) and an existing config (78)', async () => {
    const noTerminal = await inDir(['init']);
    expect(noTerminal.code).toBe(64);
    expect(noTerminal.stderr).toContain('pass --non-interactive with the answers as flags');
    const missing = await inDir(['init', '--non-interactive', '--source', 'csv-folder', '--project', 'x']);
    expect(missing.code).toBe(64);
    expect(missing.stderr).toContain('needs --drop-folder');
    const noToken = await inDir(csvFlags(emu.url));
    expect(noToken.code).toBe(64);
    expect(noToken.stderr).toContain('needs --token-file or --token-env');
    const plain = await inDir([...csvFlags(emu.url), '--token', 'mim-secret-token']);
    expect(plain.code).toBe(64);
    expect(plain.stderr).toMatch(/visible to other users \(ps\).*--token-file <file> or --token-env <VAR>/);

    const tokenFile = path.join(dir, 'token.txt');
    await writeFile(tokenFile, 'mim-secret-token\n', { mode: 0o600 });
    const insecure = await inDir([...csvFlags('http://mim.example'), '--token-file', 'token.txt']);
    expect(insecure.code).toBe(78);
    expect(insecure.stdout).toMatch(/where: .*mim\.baseUrl/);
    expect(insecure.stdout).toContain('Nothing written.');
    const first = await inDir([...csvFlags(emu.url), '--token-file', 'token.txt']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const config = path.join(dir, 'etc', 'mobileid-sync.json5');
    // A given token file is named by the config, not copied.
    expect(await readFile(config, 'utf8')).toContain(`tokenFile: '${tokenFile}'`);
    const again = await inDir([...csvFlags(emu.url), '--token-file', 'token.txt', '--project', 'Other']);
    expect(again.code).toBe(78);
    expect(again.stderr).toContain(`Refusing to overwrite ${config}`);
    expect(again.stderr).toContain('--force');
    expect(await readFile(config, 'utf8')).toContain("project: 'Head Office'");
    const forced = await inDir([
      ...csvFlags(emu.url),
      '--token-file',
      'token.txt',
      '--project',
      'Other',
      '--force',
    ]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(await readFile(config, 'utf8')).toContain("project: 'Other'");
  });

  it('an unreachable MIM fails the live check with the fix (69) and writes nothing, unless --skip-check', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const env = { MY_TOKEN: 'mim-secret-token' };
    const r = await inDir([...csvFlags(down), '--token-env', 'MY_TOKEN'], env);
    expect(r.code).toBe(69);
    expect(r.stdout).toContain('NOT reachable');
    expect(r.stdout).toContain('check mim.baseUrl');
    expect(r.stdout).toContain('Nothing written');
    await expect(stat(path.join(dir, 'etc'))).rejects.toThrow();
    const skip = await inDir([...csvFlags(down), '--token-env', 'MY_TOKEN', '--skip-check'], env);
    expect(skip.code, skip.stderr).toBe(0);
    expect(skip.stdout).toContain('Live check skipped');
  });

  describe('ldap against slapd', () => {
    let slapd: Slapd;
    beforeAll(async () => {
      slapd = await startSlapd();
    });
    afterAll(async () => {
      await slapd?.stop();
    });
    /** cn=sync of the test directory, its password in `pw`. */
    const ldapFlags = (pw: string): string[] => [
      'init',
      '--non-interactive',
      '--source',
      'ldap',
      '--preset',
      'openldap',
      '--ldap-url',
      slapd.url,
      '--bind-dn',
      SYNC_DN,
      '--bind-password-file',
      pw,
      '--base-dn',
      'ou=people,dc=example,dc=test',
      '--mim-url',
      emu.url,
      '--project',
      'Head Office',
      '--out',
      'etc',
    ];

    it('binds with the password from a file, writes the config, and the first plan lists the directory', async () => {
      const pw = path.join(dir, 'bind.pw');
      await writeFile(pw, `${SYNC_PASSWORD}\n`, { mode: 0o600 });
      const r = await inDir([...ldapFlags(pw), '--token-env', 'MY_TOKEN'], { MY_TOKEN: 'mim-secret-token' });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('source directory (ldap): OK');
      const config = path.join(dir, 'etc', 'mobileid-sync.json5');
      const text = await readFile(config, 'utf8');
      expect(text).toContain(`bindPasswordFile: '${pw}'`);
      expect(text).not.toContain(SYNC_PASSWORD);
      await expectFirstPlan(config, /\+ Alice /);
    });

    it('a wrong bind password fails the live check (69)', async () => {
      const pw = path.join(dir, 'bind.pw');
      await writeFile(pw, 'wrong\n');
      const r = await inDir([...ldapFlags(pw), '--token-file', pw]);
      expect(r.code, r.stdout + r.stderr).toBe(69);
      expect(r.stdout).toContain('source directory (ldap): FAILED');
      expect(r.stdout).toContain('Nothing written');
    });

    it('on a terminal: the directory type is chosen, the bind password typed hidden and written 0600', async () => {
      const t = new Terminal(['init', '--mim-url', emu.url, '--project', 'Head Office'], dir);
      await t.answer('Folder for the config', `etc${ENTER}`);
      await t.answer('State folder', ENTER);
      await t.answer('Where do the people come from?', `${DOWN}${ENTER}`); // LDAP / Active Directory
      await t.answer('Directory type', `${DOWN}${ENTER}`); // OpenLDAP
      await t.answer('Server URL(s)', `${slapd.url}${ENTER}`);
      await t.answer('Bind DN', `${SYNC_DN}${ENTER}`);
      await t.answer('Password of', `${SYNC_PASSWORD}${ENTER}`);
      await t.answer('Search base DN(s)', `ou=people,dc=example,dc=test${ENTER}`);
      await t.answer('Mobile ID Manager URL', ENTER);
      await t.answer('MIM project name', ENTER);
      await t.answer('Project token', `mim-secret-token${ENTER}`);
      const code = await t.exit;
      t.close();
      expect(code, t.text).toBe(0);
      expect(t.text).toContain('source directory (ldap): OK');
      expect(t.text).not.toContain(SYNC_PASSWORD);
      const secret = path.join(dir, 'etc', 'ldap_bind_password');
      expect(await readFile(secret, 'utf8')).toBe(`${SYNC_PASSWORD}\n`);
      expect(await mode(secret)).toBe('600');
      await expectFirstPlan(path.join(dir, 'etc', 'mobileid-sync.json5'), /\+ Alice /);
    });
  });
});

/** The CLI on a pseudo-terminal: answers are typed once the prompt's text has appeared. */
class Terminal {
  private raw = '';
  private seen = 0;
  private waiter: (() => void) | undefined;
  private readonly child: ReturnType<typeof spawn>;
  readonly exit: Promise<number | null>;

  constructor(args: readonly string[], cwd: string) {
    const cmd = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], {
      cwd,
      env: { ...process.env, MOBILEID_SYNC_CONFIG: '', COLUMNS: '200', LINES: '50' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    const onData = (d: Buffer): void => {
      this.raw += d.toString();
      this.waiter?.();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    this.exit = new Promise((resolve) => child.on('close', resolve));
  }

  /** What the terminal shows, without colours and cursor moves. */
  get text(): string {
    return this.raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
  }

  /** Waits for `prompt` to appear after the last one, then types `keys`. */
  async answer(prompt: string, keys: string): Promise<void> {
    const deadline = Date.now() + scaled(20_000);
    for (;;) {
      const at = this.text.indexOf(prompt, this.seen);
      if (at >= 0) {
        this.seen = at + prompt.length;
        this.child.stdin?.write(keys);
        return;
      }
      if (Date.now() > deadline)
        throw new Error(`"${prompt}" did not appear; the terminal shows:\n${this.text}`);
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, scaled(1_000));
      });
    }
  }

  close(): void {
    this.child.stdin?.end();
  }
}

const ENTER = '\r';
const DOWN = '\x1b[B';

describe('init on a terminal', () => {
  it('a failed live check lets the admin go back to the MIM answers; the fixed answers are written', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const t = new Terminal(['init'], dir);
    await t.answer('Folder for the config', `etc${ENTER}`);
    await t.answer('State folder', ENTER);
    await t.answer('Where do the people come from?', ENTER); // CSV drop folder, the first choice
    await t.answer('Drop folder', `drop${ENTER}`);
    await t.answer('Mobile ID Manager URL', `${down}${ENTER}`);
    await t.answer('MIM project name', `Head Office${ENTER}`);
    await t.answer('Project token', `mim-secret-token${ENTER}`);
    await t.answer('What now?', `${DOWN}${ENTER}`); // Change the MIM answers
    await t.answer('Mobile ID Manager URL', `${emu.url}${ENTER}`);
    await t.answer('MIM project name', ENTER); // keeps "Head Office"
    await t.answer('empty keeps the one given', ENTER);
    const code = await t.exit;
    t.close();
    expect(code, t.text).toBe(0);
    expect(t.text).not.toContain('mim-secret-token');
    const config = path.join(dir, 'etc', 'mobileid-sync.json5');
    const token = path.join(dir, 'etc', 'mim_token');
    expect(t.text).toContain(`Wrote ${config}`);
    expect(await readFile(token, 'utf8')).toBe('mim-secret-token\n');
    expect(await mode(token)).toBe('600');
    expect(await readFile(config, 'utf8')).toContain(`baseUrl: '${emu.url}'`);
    await expectFirstPlan(config, /\+ Ada Lovelace/);
  });

  it('the admin may save anyway after a failed check, or quit with nothing written', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const run = async (choice: string): Promise<Terminal> => {
      // Flags given on the command line are the questions' defaults.
      const t = new Terminal(
        ['init', '--source', 'csv-folder', '--drop-folder', 'drop', '--mim-url', down],
        dir,
      );
      await t.answer('Folder for the config', `etc${ENTER}`);
      await t.answer('State folder', ENTER);
      await t.answer('Where do the people come from?', ENTER);
      await t.answer('Drop folder', ENTER);
      await t.answer('Mobile ID Manager URL', ENTER);
      await t.answer('MIM project name', `Head Office${ENTER}`);
      await t.answer('Project token', `mim-secret-token${ENTER}`);
      await t.answer('What now?', choice);
      return t;
    };
    const quit = await run(`${DOWN}${DOWN}${DOWN}${ENTER}`);
    expect(await quit.exit, quit.text).toBe(69);
    expect(quit.text).toContain('Nothing written.');
    await expect(stat(path.join(dir, 'etc'))).rejects.toThrow();

    const save = await run(`${DOWN}${DOWN}${ENTER}`);
    expect(await save.exit, save.text).toBe(0);
    const config = path.join(dir, 'etc', 'mobileid-sync.json5');
    expect(save.text).toContain(`Wrote ${config}`);
    const validate = await inDir(['config', 'validate', '-c', config]);
    expect(validate.code, validate.stderr).toBe(0);

    // The existing config is found at the first question; Ctrl-C then quits with nothing written.
    const before = await readFile(config, 'utf8');
    const again = new Terminal(['init'], dir);
    await again.answer('Folder for the config', `etc${ENTER}`);
    await again.answer('State folder', ENTER);
    await again.answer(`Refusing to overwrite ${config}`, '');
    await again.answer('Folder for the config', '\x03');
    expect(await again.exit, again.text).toBe(130);
    expect(again.text).toContain('Nothing written.');
    expect(await readFile(config, 'utf8')).toBe(before);
  });
});

/**
 * Secrets never leave the process (DESIGN §5.5). Distinctive values for every kind of secret —
 * the MIM project token, the LDAP bind password, the Entra client secret, the certificate key
 * passphrase and the admin listener token — each fed a different way (env var, `…File` key, inline,
 * `_FILE` env var), through successful runs and through failures that put the credential right
 * in the error path (401 from MIM, a refused LDAP bind, an Entra sign-in refusal, a wrong
 * passphrase). Everything the product writes is searched: stdout and stderr at `--log-level trace`,
 * `config print`, `check`, `status`, the state directory (history, snapshot, delta state), and the
 * daemon's log, /status and /metrics. Then the hostile cases: MIM echoing the token in its error
 * bodies (emulator fault echo-auth), a password in an LDAP URL, credentials or plain http:// in
 * mim.baseUrl and a token file starting with "Bearer ".
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '../faults/world.js';
import { CLI, type CliResult, runCli } from '../helpers/cli.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import {
  createClientCertificate,
  type GraphStandIn,
  generateUsers,
  startGraphStandIn,
} from '../helpers/graph-standin/index.js';
import { bulkPeopleLdif, fixture, type Slapd, SUFFIX, SYNC_DN, startSlapd } from '../helpers/slapd.js';
import { scaled } from '../helpers/timing.js';

/** These two tests spawn some thirty CLI processes each: a deadline that only catches a hang, not a slow machine. */
const SPAWN_HEAVY_TIMEOUT = scaled(180_000);

/** A distinctive value; the random core is what the search looks for (it catches partial leaks too). */
function secretValue(label: string): { value: string; core: string } {
  const core = randomBytes(12).toString('hex');
  return { value: `${label}-${core}-Zq`, core };
}

const S = {
  mimToken: secretValue('mimTok'),
  ldapPassword: secretValue('ldapPw'),
  entraSecret: secretValue('entraSec'),
  certPassphrase: secretValue('certPass'),
  adminToken: secretValue('adminTok'),
  wrongMimToken: secretValue('badMimTok'),
  wrongLdapPassword: secretValue('badLdapPw'),
  wrongEntraSecret: secretValue('badEntraSec'),
  wrongCertPassphrase: secretValue('badCertPass'),
  urlPassword: secretValue('urlPw'),
};
const SECRETS = Object.entries(S).map(([name, s]) => ({ name, ...s }));

const SECRET_APP = '0a0a0a0a-1111-4222-8333-444444444444';
const CERT_APP = '0b0b0b0b-1111-4222-8333-555555555555';

let slapd: Slapd;
let graph: GraphStandIn;
let emu: TestEmulator;
let dir: string;
let certFile: string;
const outputs: { what: string; text: string }[] = [];

function record(what: string, r: CliResult): CliResult {
  outputs.push({ what: `${what} (stdout)`, text: r.stdout }, { what: `${what} (stderr)`, text: r.stderr });
  return r;
}

/** Every secret's value, random core, URL- and base64-encoded form that occurs in `text`. */
function leaks(text: string): string[] {
  const found: string[] = [];
  for (const s of SECRETS) {
    for (const form of [s.core, encodeURIComponent(s.value), Buffer.from(s.value).toString('base64')]) {
      if (text.includes(form)) found.push(s.name);
    }
  }
  return [...new Set(found)];
}

interface Variant {
  readonly mimToken?: string;
  readonly ldapPassword?: string;
  readonly entraSecret?: string;
  readonly certPassphrase?: string;
}

/**
 * Writes config + secret files for one variant; returns the config path and the env to run with.
 * MIM token: env var. LDAP password: `bindPasswordFile`. Entra secret: inline in the config.
 * Passphrase: `<ENV>_FILE`. Admin token: inline.
 */
async function variant(name: string, v: Variant = {}): Promise<{ config: string; env: NodeJS.ProcessEnv }> {
  const base = path.join(dir, name);
  await rm(base, { recursive: true, force: true });
  await mkdir(base, { recursive: true });
  const ldapPwFile = path.join(base, 'ldap-password');
  const passFile = path.join(base, 'cert-passphrase');
  await writeFile(ldapPwFile, `${v.ldapPassword ?? S.ldapPassword.value}\n`, { mode: 0o600 });
  await writeFile(passFile, v.certPassphrase ?? S.certPassphrase.value, { mode: 0o600 });
  const config = {
    stateDir: path.join(dir, 'state'),
    log: { level: 'trace' },
    admin: { listen: '127.0.0.1:0', token: S.adminToken.value },
    jobs: [
      {
        name: 'main',
        mim: {
          baseUrl: emu.url,
          project: emu.project,
          retries: { max: 1, baseDelayMs: 10, maxDelayMs: 50 },
        },
        guard: { maxDeletePercent: 100, maxDeletes: 1000, maxShrinkPercent: 100 },
        schedule: { cron: '', onStart: true, watch: false, jitterSeconds: 0 },
        sources: [
          {
            name: 'dir',
            kind: 'ldap',
            preset: 'openldap',
            urls: [slapd.url],
            bindDn: SYNC_DN,
            bindPasswordFile: ldapPwFile,
            baseDns: [`ou=bulk,${SUFFIX}`],
            attributes: { syncId: 'uid' },
          },
          {
            name: 'entra',
            kind: 'entra',
            tenantId: graph.tenantId,
            clientId: SECRET_APP,
            clientSecret: v.entraSecret ?? S.entraSecret.value,
            authorityHost: graph.authorityHost,
            graphBaseUrl: graph.url,
            caFile: graph.caFile,
            retries: { max: 1, baseDelayMs: 5, maxDelayMs: 50 },
          },
          {
            name: 'entracert',
            kind: 'entra',
            tenantId: graph.tenantId,
            clientId: CERT_APP,
            certificateFile: certFile,
            authorityHost: graph.authorityHost,
            graphBaseUrl: graph.url,
            caFile: graph.caFile,
            retries: { max: 1, baseDelayMs: 5, maxDelayMs: 50 },
          },
        ],
      },
    ],
  };
  const file = path.join(base, 'config.json');
  await writeFile(file, JSON.stringify(config, null, 2));
  return {
    config: file,
    env: {
      MOBILEID_SYNC_MAIN_MIM_TOKEN: v.mimToken ?? S.mimToken.value,
      MOBILEID_SYNC_MAIN_ENTRACERT_CERTIFICATE_PASSPHRASE_FILE: passFile,
    },
  };
}

async function cli(what: string, cfg: { config: string; env: NodeJS.ProcessEnv }, ...args: string[]) {
  return record(
    what,
    await runCli([...args, '--config', cfg.config, '--log-level', 'trace'], { env: cfg.env }),
  );
}

async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const p = path.join(root, name);
    if ((await stat(p)).isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mobileid-secrets-'));
  slapd = await startSlapd({ offline: [fixture('base.ldif'), bulkPeopleLdif(15)], online: [] });
  slapd.modify(
    `dn: ${SYNC_DN}\nchangetype: modify\nreplace: userPassword\nuserPassword: ${S.ldapPassword.value}\n`,
  );
  const cert = createClientCertificate(dir, 'app', S.certPassphrase.value);
  certFile = cert.file;
  graph = await startGraphStandIn({
    users: generateUsers({ count: 8 }),
    apps: [
      { clientId: SECRET_APP, secret: S.entraSecret.value },
      { clientId: CERT_APP, certificatePem: cert.certPem },
    ],
  });
  emu = await startTestEmulator('Head Office', S.mimToken.value);
});

afterAll(async () => {
  await emu?.close();
  await graph?.close();
  await slapd?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** An echoed Authorization header as it may legitimately appear: masked by the client or scrubbed. */
const ECHO_HIDDEN = /\[redacted\]|Bearer \*\*\*/;

describe('secrets never appear in output, errors, state or the daemon', () => {
  it(
    'successful runs: config print, check, plan, sync, status',
    async () => {
      const ok = await variant('ok');
      // The detector works: the config file itself holds the inline Entra secret and admin token.
      expect(leaks(await readFile(ok.config, 'utf8'))).toEqual(['entraSecret', 'adminToken']);
      expect((await cli('config validate', ok, 'config', 'validate')).code).toBe(0);
      const printed = await cli('config print', ok, 'config', 'print');
      expect(printed.code).toBe(0);
      expect(printed.stdout).toContain('bindPasswordFile');
      const check = await cli('check', ok, 'check');
      expect(check.code, check.stdout + check.stderr).toBe(0);
      expect((await cli('plan', ok, 'plan')).code).toBe(3); // a new state dir: unknown baseline
      const sync = await cli('sync', ok, 'sync', '--accept-unknown-baseline');
      expect(sync.code, sync.stdout + sync.stderr).toBe(0);
      expect((await emu.users()).length).toBe(15 + 8);
      expect((await cli('sync again', ok, 'sync')).stdout).toContain('byte-identical');
      await cli('status', ok, 'status');
      await cli('status --json', ok, 'status', '--json');
      for (const o of outputs) expect(leaks(o.text), o.what).toEqual([]);
    },
    SPAWN_HEAVY_TIMEOUT,
  );

  it(
    'failures that carry a credential: MIM 401, LDAP bind, Entra secret, certificate passphrase',
    async () => {
      // `check` cannot test a MIM token (MIM has no read-only call), so only source credentials fail it.
      const cases: { name: string; v: Variant; exit: number; text: RegExp; checkFails: boolean }[] = [
        {
          name: 'wrong MIM token',
          v: { mimToken: S.wrongMimToken.value },
          exit: 77,
          text: /MIM refused the project token \(HTTP 401\)/,
          checkFails: false,
        },
        {
          name: 'wrong LDAP password',
          v: { ldapPassword: S.wrongLdapPassword.value },
          exit: 78, // refused credentials are a configuration error, like a wrong Entra secret
          text: /invalid credentials/,
          checkFails: true,
        },
        {
          name: 'wrong Entra secret',
          v: { entraSecret: S.wrongEntraSecret.value },
          exit: 78,
          text: /secret/i,
          checkFails: true,
        },
        {
          name: 'wrong certificate passphrase',
          v: { certPassphrase: S.wrongCertPassphrase.value },
          exit: 78,
          text: /passphrase/i,
          checkFails: true,
        },
      ];
      const seen: string[] = [];
      for (const c of cases) {
        const cfg = await variant(c.name.replaceAll(' ', '-'), c.v);
        // A change, so that the MIM case really uploads (with the wrong token).
        slapd.modify(
          `dn: uid=u000001,ou=bulk,${SUFFIX}\nchangetype: modify\nreplace: sn\nsn: Changed${seen.length}\n`,
        );
        const sync = await cli(`sync, ${c.name}`, cfg, 'sync');
        seen.push(`${c.name}: exit ${sync.code}`);
        expect(sync.stdout + sync.stderr, c.name).toMatch(c.text);
        expect(sync.code, `${c.name}\n${sync.stdout}`).toBe(c.exit);
        const check = await cli(`check, ${c.name}`, cfg, 'check');
        expect(check.code !== 0, `${c.name}: check exit ${check.code}`).toBe(c.checkFails);
        await cli(`config print, ${c.name}`, cfg, 'config', 'print');
        await cli(`status, ${c.name}`, cfg, 'status', '--json');
      }
      for (const o of outputs) expect(leaks(o.text), o.what).toEqual([]);
    },
    SPAWN_HEAVY_TIMEOUT,
  );

  it('the state directory (history, snapshot, delta state) holds no secret', async () => {
    const files = await filesUnder(path.join(dir, 'state'));
    expect(files.some((f) => f.endsWith('history.jsonl'))).toBe(true);
    for (const f of files) expect(leaks(await readFile(f, 'latin1')), f).toEqual([]);
  });

  it('the daemon: its log, /status and /metrics, through a good and a failing run', async () => {
    for (const [name, v] of [
      ['daemon-ok', {}],
      ['daemon-bad-ldap', { ldapPassword: S.wrongLdapPassword.value }],
    ] as const) {
      const cfg = await variant(name, v);
      const d = startDaemonProcess(cfg);
      try {
        const started = await d.waitFor((l) => l.msg === 'Daemon started');
        await d.waitFor((l) => l.msg === 'Run finished');
        const admin = String(started.admin);
        const auth = { authorization: `Bearer ${S.adminToken.value}` };
        for (const p of ['/status', '/metrics', '/readyz']) {
          const res = await request(`${admin}${p}`, { headers: auth });
          const body = await res.body.text();
          expect(res.statusCode, `${name} ${p}: ${body}`).toBeLessThan(500);
          outputs.push({ what: `${name} ${p}`, text: body });
          expect(leaks(body), `${name} ${p}`).toEqual([]);
        }
      } finally {
        d.child.kill('SIGTERM');
        await d.exited;
      }
      const log = d.raw.join('\n');
      outputs.push({ what: `${name} log`, text: log });
      expect(leaks(log), `${name} log`).toEqual([]);
    }
  });
});

/** These tests run a dozen CLI processes and a daemon each; a busy 2-core machine needs minutes. */
const HOSTILE_TIMEOUT_MS = 240_000;

describe('MIM echoing the token, credentials in URLs, clear text and malformed tokens (issue #10 item 10)', () => {
  const PEOPLE = [
    'First name,Last name,E-mail,ID,Sync ID',
    'Ada,Lovelace,ada@example.com,B1,P1',
    'Alan,Turing,alan@example.com,B2,P2',
  ];

  /** A csv-folder job against the emulator: token from the env, admin token inline, its own state dir. */
  async function csvVariant(name: string, mim: Record<string, unknown> = {}, extraSources: unknown[] = []) {
    const base = path.join(dir, name);
    await rm(base, { recursive: true, force: true });
    await mkdir(path.join(base, 'drop'), { recursive: true });
    await writeFile(path.join(base, 'drop', 'staff.csv'), `${PEOPLE.join('\n')}\n`);
    const config = {
      stateDir: path.join(base, 'state'),
      admin: { listen: '127.0.0.1:0', token: S.adminToken.value },
      jobs: [
        {
          name: 'main',
          mim: {
            baseUrl: emu.url,
            project: emu.project,
            retries: { max: 1, baseDelayMs: 10, maxDelayMs: 50 },
            ...mim,
          },
          guard: { maxDeletePercent: 100, maxDeletes: 1000, maxShrinkPercent: 100 },
          schedule: { cron: '', onStart: true, watch: false, jitterSeconds: 0 },
          sources: [
            { name: 'hr', kind: 'csv-folder', folder: path.join(base, 'drop'), stableMs: 0 },
            ...extraSources,
          ],
        },
      ],
    };
    const file = path.join(base, 'config.json');
    await writeFile(file, JSON.stringify(config, null, 2));
    return {
      config: file,
      env: { MOBILEID_SYNC_MAIN_MIM_TOKEN: S.mimToken.value },
      state: path.join(base, 'state'),
    };
  }

  it(
    'a token echoed in MIM error bodies reaches no output, log, history, status, /status or /metrics',
    async () => {
      const cfg = await csvVariant('echo');
      // A baseline first, so that every later run (the daemon's too) has a change to upload.
      const first = await cli('sync, baseline', cfg, 'sync', '--accept-unknown-baseline');
      expect(first.code, first.stdout + first.stderr).toBe(0);
      await writeFile(
        path.join(path.dirname(cfg.config), 'drop', 'staff-2.csv'),
        `${[...PEOPLE, 'Grace,Hopper,grace@example.com,B3,P3'].join('\n')}\n`,
      );
      await emu.fault({ type: 'echo-auth', status: 500, count: 2 });
      const sync = await cli('sync, MIM echoes the token', cfg, 'sync', '--accept-unknown-baseline');
      expect(sync.code, sync.stdout + sync.stderr).toBe(69);
      // The echo arrived, hidden: by the MIM client's own masking (`Bearer ***`) or the scrubber.
      expect(sync.stderr).toMatch(ECHO_HIDDEN);
      await emu.fault({ type: 'echo-auth', status: 422, count: 1 });
      const rejected = await cli(
        'sync, MIM echoes the token in a 422',
        cfg,
        'sync',
        '--accept-unknown-baseline',
      );
      expect(rejected.code, rejected.stdout + rejected.stderr).toBe(65);
      const status = await cli('status --json after the echo', cfg, 'status', '--json');
      expect(status.stdout).toMatch(ECHO_HIDDEN);
      for (const f of await filesUnder(cfg.state)) expect(leaks(await readFile(f, 'latin1')), f).toEqual([]);

      await emu.fault({ type: 'echo-auth', status: 500, count: 2 });
      const d = startDaemonProcess(cfg);
      try {
        const started = await d.waitFor((l) => l.msg === 'Daemon started');
        await d.waitFor((l) => l.msg === 'Run finished');
        const auth = { authorization: `Bearer ${S.adminToken.value}` };
        for (const p of ['/status', '/metrics', '/readyz']) {
          const res = await request(`${String(started.admin)}${p}`, { headers: auth });
          const body = await res.body.text();
          outputs.push({ what: `echo daemon ${p}`, text: body });
          expect(leaks(body), `echo daemon ${p}`).toEqual([]);
        }
      } finally {
        d.child.kill('SIGTERM');
        await d.exited;
        await emu.clearFaults();
      }
      const log = d.raw.join('\n');
      expect(log).toMatch(ECHO_HIDDEN);
      outputs.push({ what: 'echo daemon log', text: log });
      for (const o of outputs) expect(leaks(o.text), o.what).toEqual([]);
    },
    HOSTILE_TIMEOUT_MS,
  );

  it(
    'user:password@ in an LDAP URL is scrubbed from every error; in mim.baseUrl it is a config error',
    async () => {
      const port = await closedPort();
      const ldap = {
        name: 'dir',
        kind: 'ldap',
        preset: 'openldap',
        urls: [`ldap://sync:${S.urlPassword.value}@127.0.0.1:${port}`],
        baseDns: [`ou=bulk,${SUFFIX}`],
        connectTimeoutMs: 2000,
      };
      const cfg = await csvVariant('url-creds', {}, [ldap]);
      const check = await cli('check, LDAP URL with a password', cfg, 'check');
      expect(check.code).not.toBe(0);
      expect(check.stdout + check.stderr).toContain('[redacted]');
      const sync = await cli('sync, LDAP URL with a password', cfg, 'sync', '--accept-unknown-baseline');
      expect(sync.code).toBe(69);
      await cli('status, LDAP URL with a password', cfg, 'status', '--json');

      const mimCreds = await csvVariant('mim-creds', {
        baseUrl: emu.url.replace('http://', `http://sync:${S.urlPassword.value}@`),
      });
      const v = await cli('config validate, mim.baseUrl with a password', mimCreds, 'config', 'validate');
      expect(v.code).toBe(78);
      expect(v.stderr).toMatch(/mim\.baseUrl holds a user name or password/);
      for (const o of outputs) expect(leaks(o.text), o.what).toEqual([]);
      for (const f of await filesUnder(cfg.state)) expect(leaks(await readFile(f, 'latin1')), f).toEqual([]);
    },
    HOSTILE_TIMEOUT_MS,
  );

  it(
    'plain http:// to another host and a malformed token are config errors (78) before anything is sent',
    async () => {
      const uploads = (await emu.uploads()).length;
      const insecure = await csvVariant('insecure', { baseUrl: 'http://mim.example.invalid' });
      for (const args of [
        ['config', 'validate'],
        ['sync', '--accept-unknown-baseline'],
      ]) {
        const r = await cli(`${args[0]}, http:// to another host`, insecure, ...args);
        expect(r.code, r.stderr).toBe(78);
        expect(r.stderr).toMatch(/clear text/);
        expect(r.stderr).toMatch(/mim\.allowInsecureHttp/);
      }
      const tokenFile = path.join(dir, 'bearer-token');
      await writeFile(tokenFile, `Bearer ${S.mimToken.value}\n`, { mode: 0o600 });
      const bearer = await csvVariant('bearer');
      const r = await cli(
        'sync, token file with Bearer',
        { ...bearer, env: { MOBILEID_SYNC_MAIN_MIM_TOKEN_FILE: tokenFile } },
        'sync',
        '--accept-unknown-baseline',
      );
      expect(r.code, r.stderr).toBe(78);
      expect(r.stderr).toContain(tokenFile);
      expect(r.stderr).toMatch(/starts with "Bearer "/);
      expect((await emu.uploads()).length).toBe(uploads);
      for (const o of outputs) expect(leaks(o.text), o.what).toEqual([]);
    },
    HOSTILE_TIMEOUT_MS,
  );
});

interface DaemonHandle {
  readonly child: ChildProcess;
  readonly raw: string[];
  readonly exited: Promise<void>;
  waitFor(pred: (l: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
}

/** `mobileid-sync run` as a process; its JSON log lines (stdout) and stderr are kept. */
function startDaemonProcess(cfg: { config: string; env: NodeJS.ProcessEnv }): DaemonHandle {
  const child = spawn(process.execPath, [CLI, 'run', '--config', cfg.config], {
    env: { ...process.env, MOBILEID_SYNC_CONFIG: '', NOTIFY_SOCKET: '', ...cfg.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const raw: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const onLine = (text: string): void => {
    raw.push(text);
    try {
      lines.push(JSON.parse(text) as Record<string, unknown>);
    } catch {
      // not JSON (stderr text): kept in raw only
    }
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    raw,
    exited,
    async waitFor(pred, ms = 20_000) {
      const until = Date.now() + scaled(ms);
      for (;;) {
        const hit = lines.find(pred);
        if (hit) return hit;
        if (Date.now() > until || child.exitCode !== null)
          throw new Error(`daemon: no matching log line; log:\n${raw.join('\n')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

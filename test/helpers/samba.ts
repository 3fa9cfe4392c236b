/**
 * A real Samba AD DC for tests, in a temp dir, listening on loopback only.
 *
 * Provisioning takes ~8 s, so a provisioned domain is cached under os.tmpdir() (keyed by the
 * Samba version and the provision arguments) and copied with `cp -a` for each run. smb.conf is
 * always rewritten: loopback only, no DNS forwarder off the machine, LDAP/CLDAP services only,
 * simple binds allowed on plain ldap:// (tests only). Samba's ports are fixed (389/636), so
 * only one DC runs at a time: keep AD tests in one file. Recipe: /work/shared/ldap/README.md.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Attribute, Change, Client } from 'ldapts';
import {
  AD_EXTRA_MEMBERS,
  AD_GROUPS,
  AD_GROUPS_LIST,
  AD_PEOPLE,
  AD_SYNC_DN,
  AD_SYNC_PASSWORD,
  AD_USER_PASSWORD,
  AD_USERS,
  groupDn,
  userDn,
} from '../fixtures/ldap/ad-directory.js';
import { scaled } from './timing.js';
import { makeTestPki, type TestPki } from './tls.js';

export const AD_REALM = 'EXAMPLE.TEST';
export const AD_DOMAIN = 'EXAMPLE';
export const AD_BASE = 'DC=example,DC=test';
export const AD_ADMIN_DN = `CN=Administrator,CN=Users,${AD_BASE}`;
export const AD_ADMIN_PASSWORD = 'Passw0rd!Test';
const CACHE_VERSION = '1';

const PROVISION_ARGS = [
  'domain',
  'provision',
  `--realm=${AD_REALM}`,
  `--domain=${AD_DOMAIN}`,
  '--server-role=dc',
  '--dns-backend=SAMBA_INTERNAL',
  '--use-rfc2307',
  `--adminpass=${AD_ADMIN_PASSWORD}`,
  '--host-ip=127.0.0.1',
  '--host-name=dc1',
  '--option=interfaces=lo',
  '--option=bind interfaces only=yes',
];

export interface SambaDc {
  readonly dir: string;
  readonly pki: TestPki;
  readonly pid: number;
  readonly smbConf: string;
  readonly url: string;
  readonly ldapsUrl: string;
  /** An ldapts client bound as Administrator over LDAPS (needed to set passwords). Caller unbinds. */
  admin(): Promise<Client>;
  /** Runs samba-tool against this DC's config (e.g. ['user', 'show', 'alice']). */
  tool(args: readonly string[]): string;
  stop(): Promise<void>;
}

function run(cmd: string, args: readonly string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout || r.error?.message}`,
    );
  return r.stdout;
}

function smbConf(dir: string, pki: TestPki): string {
  return `[global]
	netbios name = DC1
	realm = ${AD_REALM}
	workgroup = ${AD_DOMAIN}
	server role = active directory domain controller
	idmap_ldb:use rfc2307 = yes
	interfaces = lo
	bind interfaces only = yes
	disable netbios = yes
	server services = ldap cldap
	dns forwarder = 127.0.0.1
	ldap server require strong auth = no
	tls enabled = yes
	tls keyfile = ${pki.serverKey}
	tls certfile = ${pki.serverCert}
	tls cafile = ${pki.caCert}
	private dir = ${dir}/private
	lock directory = ${dir}
	state directory = ${dir}/state
	cache directory = ${dir}/cache
	binddns dir = ${dir}/bind-dns
	pid directory = ${dir}/run
	ncalrpc dir = ${dir}/run/ncalrpc
	winbindd socket directory = ${dir}/run/winbindd
	log file = ${dir}/log.%m
	load printers = no
	printcap name = /dev/null
`;
}

/** A provisioned domain, made once per machine and Samba version. */
function provisioned(): string {
  const version = run('samba', ['--version']).trim();
  const key = createHash('sha256')
    .update(JSON.stringify([CACHE_VERSION, version, PROVISION_ARGS]))
    .digest('hex')
    .slice(0, 16);
  const cache = path.join(os.tmpdir(), `mobileid-samba-${key}`);
  if (existsSync(path.join(cache, 'private', 'sam.ldb'))) return cache;
  const tmp = `${cache}.tmp-${process.pid}-${Date.now()}`;
  run('samba-tool', [...PROVISION_ARGS, `--targetdir=${tmp}`]);
  try {
    renameSync(tmp, cache);
  } catch {
    // Another run finished provisioning first; use its copy.
    rmSync(tmp, { recursive: true, force: true });
  }
  return cache;
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function waitReady(child: ChildProcess, log: () => string, ms = scaled(30_000)): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`samba exited with ${child.exitCode}: ${log()}`);
    if (await accepts(389)) {
      const c = new Client({
        url: 'ldap://127.0.0.1:389',
        timeout: scaled(2000),
        connectTimeout: scaled(2000),
      });
      try {
        await c.search('', { scope: 'base', attributes: ['defaultNamingContext'] });
        return;
      } catch {
        // listening but not answering yet
      } finally {
        await c.unbind().catch(() => {});
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`samba did not answer on 127.0.0.1:389 within ${ms} ms: ${log()}`);
}

export async function startSambaDc(options: { pki?: TestPki } = {}): Promise<SambaDc> {
  if (await accepts(389)) {
    throw new Error(
      'Port 389 on 127.0.0.1 is already in use (a Samba DC left over from an earlier run?); stop it first.',
    );
  }
  const cache = provisioned();
  const root = mkdtempSync(path.join(os.tmpdir(), 'mobileid-samba-run-'));
  const dir = path.join(root, 's');
  run('cp', ['-a', cache, dir]);
  const pki = options.pki ?? makeTestPki(path.join(root, 'tls'));
  for (const d of ['cache', 'run', 'state', 'bind-dns']) mkdirSync(path.join(dir, d), { recursive: true });
  const conf = path.join(dir, 'etc', 'smb.conf');
  writeFileSync(conf, smbConf(dir, pki));

  const child = spawn('samba', ['-i', '-M', 'single', '-s', conf, '-d', '1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const collect = (d: Buffer): void => {
    out = (out + d.toString()).slice(-8000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const pid = child.pid;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(pid, 'SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), scaled(10_000));
      await exited;
      clearTimeout(timer);
    }
    rmSync(root, { recursive: true, force: true });
  };
  try {
    if (pid === undefined) throw new Error('samba has no PID');
    await waitReady(child, () => out);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    dir,
    pki,
    pid: pid ?? 0,
    smbConf: conf,
    url: 'ldap://127.0.0.1:389',
    ldapsUrl: 'ldaps://127.0.0.1:636',
    async admin() {
      const c = new Client({
        url: 'ldaps://127.0.0.1:636',
        tlsOptions: { ca: readFileSync(pki.caCert, 'utf8') },
      });
      await c.bind(AD_ADMIN_DN, AD_ADMIN_PASSWORD);
      return c;
    },
    tool(args) {
      return run('samba-tool', [...args, '-s', conf]);
    },
    stop,
  };
}

/** AD's unicodePwd value: the password in double quotes, UTF-16LE. Set only over LDAPS. */
export function unicodePwd(password: string): Buffer {
  return Buffer.from(`"${password}"`, 'utf16le');
}

/**
 * Loads test/fixtures/ldap/ad-directory.ts over LDAPS as Administrator (~0.3 s): the sync
 * account, the OUs, people (with passwords where enabled) and groups, the cycle last.
 */
export async function loadAdDirectory(dc: SambaDc): Promise<void> {
  const a = await dc.admin();
  try {
    const userClasses = ['top', 'person', 'organizationalPerson', 'user'];
    await a.add(AD_SYNC_DN, {
      objectClass: userClasses,
      sAMAccountName: 'svc-sync',
      userPrincipalName: 'svc-sync@example.test',
      userAccountControl: '512',
      unicodePwd: unicodePwd(AD_SYNC_PASSWORD) as unknown as string,
    });
    for (const ou of [AD_PEOPLE, AD_GROUPS]) {
      await a.add(ou, { objectClass: ['top', 'organizationalUnit'], ou: ou.slice(3, ou.indexOf(',')) });
    }
    for (const u of AD_USERS) {
      const attributes = [
        new Attribute({ type: 'objectClass', values: userClasses }),
        new Attribute({ type: 'sAMAccountName', values: [u.sam] }),
        ...Object.entries(u.attrs).map(([type, value]) => new Attribute({ type, values: [value] })),
      ];
      if (u.userAccountControl) {
        attributes.push(new Attribute({ type: 'userAccountControl', values: [u.userAccountControl] }));
        attributes.push(new Attribute({ type: 'unicodePwd', values: [unicodePwd(AD_USER_PASSWORD)] }));
      }
      await a.add(userDn(u.cn), attributes);
    }
    for (const g of AD_GROUPS_LIST) {
      await a.add(groupDn(g.cn), {
        objectClass: ['top', 'group'],
        sAMAccountName: g.sam,
        member: [...g.members],
      });
    }
    for (const m of AD_EXTRA_MEMBERS) {
      await a.modify(
        m.group,
        new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [m.member] }) }),
      );
    }
  } finally {
    await a.unbind();
  }
}

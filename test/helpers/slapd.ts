/**
 * A private OpenLDAP slapd for tests: its own temp dir, config, certificates and random high
 * loopback ports; fixtures loaded with slapadd (offline, fast) and ldapmodify (online, so the
 * memberof overlay sets memberOf). Runs in the foreground (`-d 0`) as a child process and is
 * stopped by PID. Recipe and timings: /work/shared/ldap/README.md.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scaled } from './timing.js';
import { makeTestPki, type TestPki } from './tls.js';

/** test/fixtures/ldap of this checkout, found upwards from this file (also when compiled elsewhere, e.g. for bench/). */
function findFixtures(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'test', 'fixtures', 'ldap');
    if (existsSync(path.join(candidate, 'slapd.conf.template'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error('test/fixtures/ldap not found above this file');
  }
}

export const FIXTURES = findFixtures();
export const SUFFIX = 'dc=example,dc=test';
export const ADMIN_DN = `cn=admin,${SUFFIX}`;
export const ADMIN_PASSWORD = 'secret';
export const SYNC_DN = `cn=sync,ou=svc,${SUFFIX}`;
export const SYNC_PASSWORD = 'syncpw';

const SLAPD = '/usr/sbin/slapd';

export interface SlapdOptions {
  /** LDIF texts loaded with slapadd before start. Defaults to base.ldif + people.ldif. */
  readonly offline?: readonly string[];
  /** LDIF texts applied with `ldapmodify -a` after start. Defaults to groups.ldif. */
  readonly online?: readonly string[];
  /** slapd `sizelimit` line. The default caps plain searches at 500 but lets paged searches read all. */
  readonly sizeLimit?: string;
  /** A PKI to reuse (saves ~0.5 s when a test file starts several servers). */
  readonly pki?: TestPki;
  /**
   * false: a server without TLS keys, as many are set up: it answers StartTLS with "unsupported
   * extended operation" and has no ldaps:// listener (ldapsUrl and friends then lead nowhere).
   */
  readonly tls?: boolean;
}

export interface Slapd {
  readonly dir: string;
  readonly pki: TestPki;
  readonly pid: number;
  /** ldap://127.0.0.1:<port> (StartTLS is offered on it too). */
  readonly url: string;
  /** ldaps://127.0.0.1:<port>; the certificate names localhost, 127.0.0.1 and ::1. */
  readonly ldapsUrl: string;
  /** ldaps://localhost:<port>. */
  readonly ldapsLocalhostUrl: string;
  /** ldaps:// and ldap:// on 127.0.0.2, an address the certificate does not name. */
  readonly ldapsWrongHostUrl: string;
  readonly wrongHostUrl: string;
  readonly port: number;
  readonly ldapsPort: number;
  /** Applies LDIF (adds and changetype records) as the rootdn. */
  modify(ldif: string): void;
  /** Sends a signal to the process (SIGSTOP / SIGCONT / SIGKILL in fault tests). */
  signal(sig: NodeJS.Signals): void;
  /** Stops the server by PID (SIGCONT first, in case a test left it stopped) and removes its files. */
  stop(): Promise<void>;
}

export function fixture(name: string): string {
  return readFileSync(path.join(FIXTURES, name), 'utf8');
}

/** `n` plain enabled users under ou=bulk, for paging and fault tests. */
export function bulkPeopleLdif(n: number, ou = 'bulk'): string {
  const out: string[] = [];
  for (let i = 1; i <= n; i++) {
    const id = String(i).padStart(6, '0');
    out.push(
      `dn: uid=u${id},ou=${ou},${SUFFIX}\nobjectClass: inetOrgPerson\nobjectClass: adUserMimic\nuid: u${id}\n` +
        `cn: User ${id}\nsn: User${id}\ngivenName: Bulk\nmail: u${id}@bulk.example.test\nemployeeNumber: ${i}\n` +
        `userAccountControl: 512\n`,
    );
  }
  return out.join('\n');
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function run(cmd: string, args: readonly string[], input?: string): void {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(
      `${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout || r.error?.message}`,
    );
  }
}

/** `127.0.0.1:389` as /proc/net/tcp writes a local address: the IPv4 bytes reversed, then the port, in hex. */
function procAddress(host: string, port: number): string {
  const ip = host
    .split('.')
    .reverse()
    .map((b) => Number(b).toString(16).padStart(2, '0'))
    .join('');
  return `${ip}:${port.toString(16).padStart(4, '0')}`.toUpperCase();
}

/**
 * Whether `pid` holds a socket listening on each address. A free port is picked, closed and then
 * handed to slapd, so another test's server may take it first: slapd then exits, but a connection
 * to the port would still succeed (to the other server), and the test would use a server that
 * is not its own. So ownership is read from the kernel: the listening socket's inode, among
 * the process's open files.
 */
export function listensOn(pid: number, addresses: readonly { host: string; port: number }[]): boolean {
  const inodes = new Map<string, string>();
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // f[1] local address, f[3] state (0A = LISTEN), f[9] inode
    if (f[3] === '0A' && f[1] && f[9]) inodes.set(f[1], f[9]);
  }
  let open: Set<string>;
  try {
    const fdDir = `/proc/${pid}/fd`;
    open = new Set(readdirSync(fdDir).map((fd) => readlinkOrEmpty(path.join(fdDir, fd))));
  } catch {
    return false; // gone
  }
  return addresses.every(({ host, port }) => {
    const inode = inodes.get(procAddress(host, port));
    return inode !== undefined && open.has(`socket:[${inode}]`);
  });
}

function readlinkOrEmpty(file: string): string {
  try {
    return readlinkSync(file);
  } catch {
    return ''; // closed meanwhile
  }
}

/** Resolves once slapd itself listens on every address it was given. */
async function waitForListen(
  addresses: readonly { host: string; port: number }[],
  child: ChildProcess,
  log: () => string,
  ms = scaled(10_000),
): Promise<void> {
  const until = Date.now() + ms;
  const pid = child.pid;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`slapd exited with ${child.exitCode}: ${log()}`);
    if (pid !== undefined && listensOn(pid, addresses)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  const where = addresses.map((a) => `${a.host}:${a.port}`).join(', ');
  throw new Error(`slapd did not listen on ${where} within ${ms} ms: ${log()}`);
}

export async function startSlapd(options: SlapdOptions = {}): Promise<Slapd> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mobileid-slapd-'));
  const pki = options.pki ?? makeTestPki(path.join(dir, 'tls'));
  mkdirSync(path.join(dir, 'db'));
  copyFileSync(path.join(FIXTURES, 'ad-mimic.schema'), path.join(dir, 'ad-mimic.schema'));
  const template = fixture('slapd.conf.template');
  const conf = (options.tls === false ? template.replace(/^TLS.*\n/gm, '') : template)
    .replaceAll('@DIR@', dir)
    .replaceAll('@TLS@', pki.dir)
    .replaceAll('@SIZELIMIT@', options.sizeLimit ?? 'size.soft=500 size.hard=500 size.prtotal=unlimited');
  const confFile = path.join(dir, 'slapd.conf');
  writeFileSync(confFile, conf);
  const offline = options.offline ?? [fixture('base.ldif'), fixture('people.ldif')];
  offline.forEach((ldif, i) => {
    const file = path.join(dir, `load-${i}.ldif`);
    writeFileSync(file, ldif);
    run('/usr/sbin/slapadd', ['-q', '-f', confFile, '-l', file]);
  });

  // Random ports can collide with another test file's server: retry with fresh ones.
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const ldapsPort = await freePort();
    const urls = [
      `ldap://127.0.0.1:${port}/`,
      `ldaps://127.0.0.1:${ldapsPort}/`,
      `ldap://127.0.0.2:${port}/`,
      `ldaps://127.0.0.2:${ldapsPort}/`,
    ].filter((u) => options.tls !== false || u.startsWith('ldap:'));
    const child = spawn(SLAPD, ['-f', confFile, '-h', urls.join(' '), '-d', '0'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    try {
      const addresses = urls.map((u) => {
        const { hostname, port } = new URL(u);
        return { host: hostname, port: Number(port) };
      });
      await waitForListen(addresses, child, () => stderr);
    } catch (e) {
      child.kill('SIGKILL');
      if (attempt < 3) continue;
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    const pid = child.pid;
    if (pid === undefined) throw new Error('slapd has no PID');
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    const url = `ldap://127.0.0.1:${port}`;
    const server: Slapd = {
      dir,
      pki,
      pid,
      url,
      ldapsUrl: `ldaps://127.0.0.1:${ldapsPort}`,
      ldapsLocalhostUrl: `ldaps://localhost:${ldapsPort}`,
      ldapsWrongHostUrl: `ldaps://127.0.0.2:${ldapsPort}`,
      wrongHostUrl: `ldap://127.0.0.2:${port}`,
      port,
      ldapsPort,
      modify(ldif: string) {
        run('ldapmodify', ['-a', '-x', '-H', url, '-D', ADMIN_DN, '-w', ADMIN_PASSWORD], ldif);
      },
      signal(sig: NodeJS.Signals) {
        process.kill(pid, sig);
      },
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          process.kill(pid, 'SIGCONT');
          process.kill(pid, 'SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), scaled(5_000));
          await exited;
          clearTimeout(timer);
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
    const online = options.online ?? [fixture('groups.ldif')];
    try {
      for (const ldif of online) server.modify(ldif);
    } catch (e) {
      await server.stop();
      throw e;
    }
    return server;
  }
}

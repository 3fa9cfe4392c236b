/**
 * An LDAP directory failing while the job reads it: a private slapd (test/helpers/slapd.ts) killed
 * or frozen between pages of a paged search, a refused bind, and an unreachable server in a job
 * that has a CSV source too. The source's own "ldap page read" debug line (JSON on the CLI's
 * stderr) marks the moment; the fault is sent from outside.
 */
import { readdir } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import {
  bulkPeopleLdif,
  fixture,
  type Slapd,
  SUFFIX,
  SYNC_DN,
  SYNC_PASSWORD,
  startSlapd,
} from '../helpers/slapd.js';
import { scaled } from '../helpers/timing.js';
import { baselineSync, changed, type Row, timed } from './row.js';
import { closedPort, csvOf, makePeople, type Person, type World } from './world.js';

const ENTRIES = 2000;
const PAGE_SIZE = 20;
const WRONG_PASSWORD = 'not-the-sync-password';

/** The people bulkPeopleLdif(n) holds, as the job maps them (Sync ID from uid). */
function bulkPeople(n: number): Person[] {
  const out: Person[] = [];
  for (let i = 1; i <= n; i++) {
    const id = String(i).padStart(6, '0');
    out.push({
      firstName: 'Bulk',
      lastName: `User${id}`,
      email: `u${id}@bulk.example.test`,
      id: String(i),
      syncId: `u${id}`,
    });
  }
  return out;
}

async function startDirectory(w: World, entries: number): Promise<Slapd> {
  const slapd = await startSlapd({ offline: [fixture('base.ldif'), bulkPeopleLdif(entries)], online: [] });
  w.cleanups.push(() => slapd.stop());
  return slapd;
}

/**
 * The job reads ou=bulk with small pages. The Sync ID is the uid (not entryUUID, which slapadd
 * makes up anew), so a restarted server holds the very same people.
 */
async function useDirectory(w: World, slapd: Slapd, extra: Record<string, unknown> = {}): Promise<void> {
  w.job.sources = [
    {
      name: 'dir',
      kind: 'ldap',
      preset: 'openldap',
      urls: [slapd.url],
      bindDn: SYNC_DN,
      bindPassword: SYNC_PASSWORD,
      baseDns: [`ou=bulk,${SUFFIX}`],
      pageSize: PAGE_SIZE,
      attributes: { syncId: 'uid' },
      ...extra,
    },
  ];
  await w.saveConfig();
}

const slapds = new WeakMap<World, Slapd>();

async function ldapBaseline(w: World, entries = ENTRIES): Promise<Slapd> {
  const slapd = await startDirectory(w, entries);
  slapds.set(w, slapd);
  await useDirectory(w, slapd);
  await baselineSync(w, 'LDAP baseline');
  w.desired = bulkPeople(entries);
  return slapd;
}

function server(w: World): Slapd {
  const s = slapds.get(w);
  if (!s) throw new Error('no slapd for this row');
  return s;
}

/**
 * A loopback TCP relay in front of slapd. Every answer passes through this (the test's) event
 * loop with a small delay, so the job cannot read the whole directory before the test has seen
 * its "page read" line and sent the fault — however busy the machine.
 */
async function relay(w: World, target: Slapd): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      setTimeout(() => client.writable && client.write(d), 3);
    });
    // slapd gone (killed): drop the job's connection the same way, after what was already sent.
    upstream.on('close', () => setTimeout(() => client.destroy(), 5));
    client.on('close', () => upstream.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  w.cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  const a = server.address();
  return `ldap://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
}

/** Runs `sync` and sends `sig` to slapd as soon as the source reports page `page` read. */
async function signalAtPage(w: World, sig: NodeJS.Signals, page: number) {
  const t = Date.now();
  let sent = false;
  const marker = new RegExp(
    `"page":${page}\\b[^\\n]*"msg":"ldap page read"|"msg":"ldap page read"[^\\n]*"page":${page}\\b`,
  );
  let seen = '';
  const run = w.spawnCli(['sync', '--log-level', 'debug'], (chunk) => {
    seen += chunk;
    if (!sent && marker.test(seen)) {
      sent = true;
      server(w).signal(sig);
    }
  });
  const r = await run.done;
  if (!sent) throw new Error(`page ${page} was never reported, so ${sig} was not sent:\n${r.stdout}`);
  return { ...r, ms: Date.now() - t };
}

export const LDAP_ROWS: Row[] = [
  {
    name: `LDAP server SIGKILLed mid paged search (${ENTRIES} entries, pages of ${PAGE_SIZE})`,
    setup: async (w) => {
      const slapd = await ldapBaseline(w);
      await useDirectory(w, slapd, { urls: [await relay(w, slapd)] });
    },
    act: (w) => signalAtPage(w, 'SIGKILL', 2),
    expect: {
      exit: 69,
      text: [
        /connection to ldap:\/\/127\.0\.0\.1:\d+ dropped during the search of ou=bulk,dc=example,dc=test/,
      ],
      mim: 'unchanged',
      pending: false,
    },
    heal: async (w) => {
      // The same directory on a new server (new port): what an admin's restart would bring back.
      const slapd = await startDirectory(w, ENTRIES);
      await useDirectory(w, slapd);
    },
  },
  {
    name: 'LDAP server frozen (SIGSTOP) mid search: page timeout',
    setup: async (w) => {
      const slapd = await ldapBaseline(w);
      // Short only for the faulty run (the clean runs use the default). Every page, the three
      // before the freeze too, must come within it while four other rows run beside this one, so
      // 6 s, stretched on a busy machine (timing.ts); the row waits it out once, after the freeze.
      await useDirectory(w, slapd, { urls: [await relay(w, slapd)], operationTimeoutMs: scaled(6000) });
    },
    act: (w) => signalAtPage(w, 'SIGSTOP', 3),
    expect: {
      exit: 69,
      text: [/did not answer a page of the search for ou=bulk,dc=example,dc=test in time/],
      mim: 'unchanged',
      pending: false,
    },
    heal: async (w) => {
      server(w).signal('SIGCONT');
      await useDirectory(w, server(w));
    },
  },
  {
    name: 'LDAP bind refused (wrong password)',
    setup: async (w) => {
      const slapd = await ldapBaseline(w, 200);
      await useDirectory(w, slapd, { bindPassword: WRONG_PASSWORD });
    },
    act: (w) => timed(() => w.cli('sync', '--log-level', 'trace')),
    expect: {
      exit: 78,
      text: [
        /Bind as cn=sync,ou=svc,dc=example,dc=test at ldap:\/\/127\.0\.0\.1:\d+ failed: invalid credentials/,
      ],
      mim: 'unchanged',
      pending: false,
    },
    verify: async (_w, r) =>
      (r.stdout + r.stderr).includes(WRONG_PASSWORD) ? ['the bind password appears in the output'] : [],
    heal: async (w) => {
      await useDirectory(w, server(w));
    },
  },
  {
    // Two sources feed the job; one failing must stop the run before planning — no partial union
    // that would delete the failing source's people — and the other's drop file must stay put.
    name: 'LDAP unreachable in a job with a CSV source too',
    setup: async (w) => {
      const slapd = await startDirectory(w, 200);
      slapds.set(w, slapd);
      const csv = w.job.sources[0]!;
      await useDirectory(w, slapd);
      w.job.sources = [csv, ...w.job.sources];
      await w.saveConfig();
      const staff = makePeople(40);
      await w.dropFile(csvOf(staff));
      await baselineSync(w, 'CSV + LDAP baseline');
      const next = changed(staff);
      await w.dropFile(csvOf(next), 'staff-new.csv');
      w.desired = [...next, ...bulkPeople(200)];
      (w.job.sources[1] as { urls: string[] }).urls = [`ldap://127.0.0.1:${await closedPort()}`];
      await w.saveConfig();
    },
    act: (w) => timed(() => w.cli('sync')),
    expect: {
      exit: 69,
      text: [/Nothing accepts connections at ldap:\/\/127\.0\.0\.1:\d+ \(connection refused\)/],
      mim: 'unchanged',
      pending: false,
    },
    verify: async (w) =>
      (await readdir(w.drop)).includes('staff-new.csv')
        ? []
        : ['the CSV drop file was moved although the run failed'],
    heal: async (w) => {
      (w.job.sources[1] as { urls: string[] }).urls = [server(w).url];
      await w.saveConfig();
    },
  },
];

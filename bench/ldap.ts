/**
 * LDAP source benchmark against a private slapd holding 100,000 users (test/helpers/slapd.ts).
 *
 *   npx tsc -p tsconfig.json --noCheck --outDir node_modules/.cache/mobileid-bench-ldap \
 *     && node node_modules/.cache/mobileid-bench-ldap/bench/ldap.js [users=100000]
 *
 * Prints, best of 5 interleaved rounds (each of ours and ldapts in a fresh child process):
 * - our full pull + normalise + plan (source.fetch() then buildPlan) divided by
 *   `ldapsearch -E pr=1000/noprompt` fetching the same entries and attributes to /dev/null
 *   (goal ≤ 1.3×, issue 14), and divided by a bare ldapts `searchPaginated` over the same search;
 * - our peak RSS (goal ≤ 300 MB at 100k).
 * Binds as cn=sync, so the server's size limit (500) applies and paging is required.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import convict from 'convict';
import { Client } from 'ldapts';
import { pino } from 'pino';
import { buildPlan } from '../src/pipeline/index.js';
import { type LdapConfig, ldapSchema } from '../src/sources/ldap/config.js';
import { mappedAttributes } from '../src/sources/ldap/map.js';
import { createLdapSource } from '../src/sources/ldap/source.js';
import {
  bulkPeopleLdif,
  fixture,
  SUFFIX,
  SYNC_DN,
  SYNC_PASSWORD,
  startSlapd,
} from '../test/helpers/slapd.js';

const BASE = `ou=bulk,${SUFFIX}`;
const FILTER = '(objectClass=inetOrgPerson)';
const PAGE = 1000;
const ROUNDS = 5;

interface Measure {
  readonly ms: number;
  /** CPU time (user + system) of the child, less sensitive to other load than wall time. */
  readonly cpuMs?: number;
  readonly rssMb: number;
  readonly entries: number;
  readonly detail?: string;
}

function settings(url: string): LdapConfig {
  const c = convict(ldapSchema as never);
  c.load({
    preset: 'openldap',
    urls: [url],
    bindDn: SYNC_DN,
    bindPassword: SYNC_PASSWORD,
    baseDns: [BASE],
    pageSize: PAGE,
  });
  c.validate({ allowed: 'strict' });
  return { ...(c.getProperties() as object), name: 'bench' } as LdapConfig;
}

/** The attributes our mapping requests, so every reference reads exactly the same data. */
function attributes(url: string): string[] {
  const c = settings(url);
  const m = {
    firstName: 'givenName',
    lastName: 'sn',
    email: 'mail',
    emailFallback: undefined,
    id: c.attributes.id || 'employeeNumber',
    idTemplate: undefined,
    syncId: 'entryUUID',
    syncIdFormat: 'text' as const,
    displayName: 'displayName',
    commonName: 'cn',
  };
  return mappedAttributes(m);
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return Math.round((u.user + u.system) / 1000);
}

function rssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

async function ours(url: string): Promise<Measure> {
  const source = createLdapSource(settings(url), {
    job: 'bench',
    stateDir: '/nonexistent',
    logger: pino({ level: 'warn' }),
    now: () => new Date(),
  });
  const t0 = performance.now();
  const snapshot = await source.fetch(AbortSignal.timeout(600_000));
  const t1 = performance.now();
  const fetchRss = rssMb();
  const built = buildPlan({ snapshots: [snapshot], previous: null, now: new Date() });
  const t2 = performance.now();
  await source.close();
  return {
    ms: t2 - t0,
    cpuMs: cpuMs(),
    rssMb: rssMb(),
    entries: snapshot.records.length,
    detail: `fetch ${Math.round(t1 - t0)} ms + plan ${Math.round(t2 - t1)} ms, ${built.plan.adds.length} adds, ${built.rejections.length} rejections; peak RSS after fetch ${fetchRss} MB`,
  };
}

async function bareLdapts(url: string): Promise<Measure> {
  const client = new Client({ url });
  const t0 = performance.now();
  await client.bind(SYNC_DN, SYNC_PASSWORD);
  let entries = 0;
  for await (const page of client.searchPaginated(BASE, {
    filter: FILTER,
    attributes: attributes(url),
    paged: { pageSize: PAGE },
  })) {
    entries += page.searchEntries.length;
  }
  const ms = performance.now() - t0;
  await client.unbind();
  return { ms, cpuMs: cpuMs(), rssMb: rssMb(), entries };
}

async function ldapsearch(url: string): Promise<Measure> {
  const out = openSync('/dev/null', 'w');
  const args = [
    '-x',
    '-LLL',
    '-H',
    url,
    '-D',
    SYNC_DN,
    '-w',
    SYNC_PASSWORD,
    '-b',
    BASE,
    '-E',
    `pr=${PAGE}/noprompt`,
    FILTER,
  ];
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const p = spawn('ldapsearch', [...args, ...attributes(url)], { stdio: ['ignore', out, 'inherit'] });
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ldapsearch exited with ${code}`))));
  });
  return { ms: performance.now() - t0, rssMb: 0, entries: -1 };
}

/** Runs one measurement in a fresh process, so RSS and JIT state are its own. */
async function inChild(kind: 'ours' | 'ldapts', url: string): Promise<Measure> {
  const self = fileURLToPath(import.meta.url);
  const child: ChildProcess = fork(self, ['--child', kind, url], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as Measure));
    child.once('exit', (code) => code !== 0 && reject(new Error(`${kind} child exited with ${code}`)));
  });
}

interface Best extends Measure {
  readonly peakRssMb: number;
}

function bestOf(all: readonly Measure[]): Best {
  const fastest = all.reduce((a, b) => (b.ms < a.ms ? b : a));
  return { ...fastest, peakRssMb: Math.max(...all.map((m) => m.rssMb)) };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 100_000);
  const t0 = performance.now();
  console.log(
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${os.cpus().length} CPUs`,
  );
  const slapd = await startSlapd({ offline: [fixture('base.ldif'), bulkPeopleLdif(n)], online: [] });
  console.log(
    `slapd with ${n.toLocaleString('en-US')} users ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  try {
    const url = slapd.url;
    console.log(
      `attributes: ${attributes(url).join(' ')}; page size ${PAGE}; bind ${SYNC_DN} (server size limit 500)`,
    );
    // one warm-up of the server's caches, not counted
    await ldapsearch(url);
    // Interleaved rounds, so that load from other processes hits all three alike.
    const runs: Record<'ref' | 'bare' | 'us', Measure[]> = { ref: [], bare: [], us: [] };
    for (let round = 0; round < ROUNDS; round++) {
      runs.ref.push(await ldapsearch(url));
      runs.bare.push(await inChild('ldapts', url));
      runs.us.push(await inChild('ours', url));
    }
    const [ref, bare, us] = [bestOf(runs.ref), bestOf(runs.bare), bestOf(runs.us)];
    if (us.entries !== n || bare.entries !== n)
      throw new Error(`expected ${n} entries, got ours ${us.entries}, ldapts ${bare.entries}`);
    const f = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
    console.log(`ldapsearch -E pr=${PAGE}/noprompt > /dev/null : ${f(ref.ms)}`);
    console.log(
      `bare ldapts searchPaginated                : ${f(bare.ms)}  (CPU ${bare.cpuMs} ms, peak RSS ${bare.peakRssMb} MB)`,
    );
    console.log(
      `ours: fetch + normalise + plan             : ${f(us.ms)}  (CPU ${us.cpuMs} ms; ${us.detail})`,
    );
    console.log(`ratio ours / ldapsearch : ${(us.ms / ref.ms).toFixed(2)}×  (goal ≤ 1.3×, issue 14)`);
    console.log(`ratio ours / ldapts     : ${(us.ms / bare.ms).toFixed(2)}×`);
    console.log(`peak RSS ours           : ${us.peakRssMb} MB  (goal ≤ 300 MB at 100k)`);
  } finally {
    await slapd.stop();
  }
}

if (process.argv[2] === '--child') {
  const kind = process.argv[3];
  const url = process.argv[4] ?? '';
  const m = kind === 'ours' ? await ours(url) : await bareLdapts(url);
  process.send?.(m, () => process.exit(0));
} else {
  await main();
}

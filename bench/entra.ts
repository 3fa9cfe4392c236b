/**
 * Entra source benchmark against the Graph stand-in (run in a child process, over HTTPS).
 *
 *   npx tsc -p tsconfig.json --outDir node_modules/.cache/mobileid-bench \
 *     && node node_modules/.cache/mobileid-bench/bench/entra.js [users=100000] [runs=5]
 *
 * Prints: Graph requests of a full read (goal ⌈N/999⌉ + token), the wall time of our full read +
 * buildPlan divided by the time the stand-in needs to serve the same pages to a bare undici client
 * (goal ≤ 1.3×, issue 14), the same bare read keeping every user it parsed (the floor of our full
 * read with delta on, which keeps every user for the delta state), and the requests and time of a
 * no-change delta run. The bare and the real runs
 * alternate and the best of each counts, so a busy machine skews both alike; the CPU time of this
 * process (the stand-in runs in a child) is printed beside, as it moves less with the load.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import type { SourceSnapshot } from '../src/core/source.js';
import { buildPlan, toPushed } from '../src/pipeline/index.js';
import { resolveEntraConfig } from '../src/sources/entra/config.js';
import { selectProperties } from '../src/sources/entra/map.js';
import { createTestSource, testConfig, testContext } from '../test/helpers/graph-standin/harness.js';
import {
  DEFAULT_CLIENT,
  DEFAULT_SECRET,
  generateUsers,
  startGraphStandIn,
} from '../test/helpers/graph-standin/index.js';

interface Endpoints {
  readonly url: string;
  readonly authorityHost: string;
  readonly caFile: string;
  readonly tenantId: string;
}

type Counts = Record<string, number>;
type ToChild = { cmd: 'counts' } | { cmd: 'reset' } | { cmd: 'close' };
type FromChild = { ready: Endpoints } | { counts: Counts } | { ok: true };

async function serve(n: number): Promise<void> {
  const standIn = await startGraphStandIn({
    users: generateUsers({ count: n, guestEvery: 100, disabledEvery: 75 }),
  });
  const send = (m: FromChild): void => {
    process.send?.(m);
  };
  process.on('message', async (m: ToChild) => {
    if (m.cmd === 'counts') {
      const counts: Counts = {};
      for (const r of standIn.requests()) counts[r.route] = (counts[r.route] ?? 0) + 1;
      send({ counts });
    } else if (m.cmd === 'reset') {
      standIn.resetRequests();
      send({ ok: true });
    } else {
      await standIn.close();
      send({ ok: true });
      process.exit(0);
    }
  });
  const { url, authorityHost, caFile, tenantId } = standIn;
  send({ ready: { url, authorityHost, caFile, tenantId } });
}

function ask(child: ChildProcess, m: ToChild): Promise<FromChild> {
  return new Promise((resolve) => {
    child.once('message', (r: FromChild) => resolve(r));
    child.send(m);
  });
}

async function counts(child: ChildProcess): Promise<Counts> {
  const r = await ask(child, { cmd: 'counts' });
  return 'counts' in r ? r.counts : {};
}

async function timed(run: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await run();
  return performance.now() - t;
}

/** CPU time (user + system) of this process since `from`, ms. */
function cpuSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
}

/** The reference: a bare undici client that fetches and parses the pages, nothing else. */
async function bareClient(
  ep: Endpoints,
  select: string,
): Promise<{ read: (keep?: boolean) => Promise<number>; close: () => Promise<void> }> {
  const agent = new Agent({ connect: { ca: readFileSync(ep.caFile, 'utf8') } });
  const form = new URLSearchParams({
    client_id: DEFAULT_CLIENT,
    client_secret: DEFAULT_SECRET,
    scope: `${ep.url}/.default`,
    grant_type: 'client_credentials',
  });
  const tokenRes = await request(`${ep.authorityHost}/${ep.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    body: form.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    dispatcher: agent,
  });
  const token = ((await tokenRes.body.json()) as { access_token: string }).access_token;
  const read = async (keep = false): Promise<number> => {
    let users = 0;
    const kept: unknown[] = [];
    let next: string | undefined = `${ep.url}/v1.0/users?$select=${select}&$top=999`;
    while (next) {
      const res = await request(next, { headers: { authorization: `Bearer ${token}` }, dispatcher: agent });
      const page = (await res.body.json()) as { value: unknown[]; '@odata.nextLink'?: string };
      users += page.value.length;
      if (keep) for (const u of page.value) kept.push(u);
      next = page['@odata.nextLink'];
    }
    return keep ? kept.length : users;
  };
  return { read, close: () => agent.close() };
}

const ms = (v: number): string => `${v.toFixed(0)} ms`;

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 100_000);
  const runs = Number(process.argv[3] ?? 5);
  const child = fork(fileURLToPath(import.meta.url), ['--serve', String(n)], { stdio: 'inherit' });
  const ready = await new Promise<Endpoints>((resolve) => {
    child.once('message', (m: FromChild) => {
      if ('ready' in m) resolve(m.ready);
    });
  });
  const logger = pino({ level: 'silent' });
  const config = testConfig(ready, DEFAULT_CLIENT, { clientSecret: DEFAULT_SECRET });
  const pages = Math.ceil(n / 999);
  console.log(
    `Entra source bench: ${n.toLocaleString('en-US')} users in the Graph stand-in, ${pages} pages of 999, best of ${runs}`,
  );

  const bare = await bareClient(ready, selectProperties(resolveEntraConfig(config).mapping).join(','));
  let bareBest = Number.POSITIVE_INFINITY;
  let keepBest = Number.POSITIVE_INFINITY;
  let fetchBest = Number.POSITIVE_INFINITY;
  let planBest = Number.POSITIVE_INFINITY;
  let oursBest = Number.POSITIVE_INFINITY;
  let bareCpu = Number.POSITIVE_INFINITY;
  let oursCpu = Number.POSITIVE_INFINITY;
  let snapshot: SourceSnapshot | undefined;
  let stateDir = '';
  let bareUsers = 0;
  await ask(child, { cmd: 'reset' });
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    bareBest = Math.min(
      bareBest,
      await timed(async () => {
        bareUsers = await bare.read();
      }),
    );
    bareCpu = Math.min(bareCpu, cpuSince(c0));
    // Our run: a new source each time (TLS handshake, token, delta anchor), defaults (delta on).
    const ctx = testContext(logger);
    const source = createTestSource(config, ctx);
    const c1 = process.cpuUsage();
    const t0 = performance.now();
    const snap = await source.fetch(new AbortController().signal);
    const t1 = performance.now();
    buildPlan({ snapshots: [snap], previous: null, now: new Date() });
    const t2 = performance.now();
    oursCpu = Math.min(oursCpu, cpuSince(c1));
    await source.close();
    fetchBest = Math.min(fetchBest, t1 - t0);
    planBest = Math.min(planBest, t2 - t1);
    oursBest = Math.min(oursBest, t2 - t0);
    snapshot = snap;
    stateDir = ctx.stateDir;
  }
  // After every run of ours: the users it keeps would otherwise be old garbage in ours' heap.
  for (let i = 0; i < runs; i++) {
    keepBest = Math.min(
      keepBest,
      await timed(async () => {
        await bare.read(true);
      }),
    );
  }
  await bare.close();
  const full = await counts(child);
  const per = (k: string): number => ((full[k] ?? 0) - (k === 'users' ? 2 * pages * runs : 0)) / runs;
  console.log(
    `  bare undici client, pages only:    ${ms(bareBest)} (${bareUsers.toLocaleString('en-US')} users; CPU ${ms(bareCpu)})`,
  );
  console.log(
    `  the same, keeping the users:       ${ms(keepBest)} = ${(keepBest / bareBest).toFixed(2)}× bare (the floor with delta on)`,
  );
  console.log(`  entra full read + buildPlan:       ${ms(oursBest)} (CPU ${ms(oursCpu)})`);
  console.log(`    source.fetch ${ms(fetchBest)}, buildPlan ${ms(planBest)} (best of each)`);
  console.log(
    `  Graph requests per full read:      ${per('users')} pages + ${per('token')} token + ${per('delta')} delta anchor = ${per('users') + per('token') + per('delta')} (⌈N/999⌉ + token = ${pages + 1})`,
  );
  console.log(
    `  ratio (full read + plan) / bare:   ${(oursBest / bareBest).toFixed(2)}× (goal ≤ 1.3×, issue 14)`,
  );
  console.log(`  ratio source.fetch / bare:         ${(fetchBest / bareBest).toFixed(2)}×`);
  console.log(
    `  CPU ratio (full read + plan) / bare: ${(oursCpu / bareCpu).toFixed(2)}× (this process only)`,
  );

  // A scheduled run with nothing changed: settle the last full read, then follow the stored link.
  if (!snapshot) throw new Error('no snapshot');
  await snapshot.settle?.('applied', '');
  const previous = toPushed(buildPlan({ snapshots: [snapshot], previous: null, now: new Date() }).desired);
  const daemon = createTestSource(config, testContext(logger, stateDir));
  const cold = await timed(async () => void (await daemon.fetch(new AbortController().signal)));
  await ask(child, { cmd: 'reset' });
  let deltaFetch = Number.POSITIVE_INFINITY;
  let deltaTotal = Number.POSITIVE_INFINITY;
  let deltaSettle = Number.POSITIVE_INFINITY;
  let deltaSettleCpu = Number.POSITIVE_INFINITY;
  let changes = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const snap = await daemon.fetch(new AbortController().signal);
    const t1 = performance.now();
    const { plan } = buildPlan({ snapshots: [snap], previous, now: new Date() });
    deltaFetch = Math.min(deltaFetch, t1 - t0);
    deltaTotal = Math.min(deltaTotal, performance.now() - t0);
    changes = plan.adds.length + plan.updates.length + plan.deletes.length;
    // The run ends "unchanged": the state file is written again, for the new delta link.
    const c = process.cpuUsage();
    deltaSettle = Math.min(deltaSettle, await timed(async () => snap.settle?.('unchanged', '')));
    deltaSettleCpu = Math.min(deltaSettleCpu, cpuSince(c));
  }
  const d = await counts(child);
  console.log(
    `  no-change delta run (daemon):      ${ms(deltaTotal)} (source.fetch ${ms(deltaFetch)}; plan changes: ${changes})`,
  );
  console.log(
    `    then its settle:                 ${ms(deltaSettle)} (CPU ${ms(deltaSettleCpu)}; the delta state of ${n.toLocaleString('en-US')} users written for the new link)`,
  );
  console.log(
    `  Graph requests per no-change run:  ${(d.delta ?? 0) / runs} delta + ${(d.token ?? 0) / runs} token + ${(d.users ?? 0) / runs} users`,
  );
  console.log(`  first delta run after a restart:   ${ms(cold)} (token + delta, state file parsed)`);
  await daemon.close();
  await ask(child, { cmd: 'close' });
}

if (process.argv[2] === '--serve') {
  await serve(Number(process.argv[3]));
} else {
  await main();
}

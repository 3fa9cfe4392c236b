#!/usr/bin/env node
// The demo behind `npm run demo`: starts the MIM emulator, points mobileid-sync at a sample drop
// folder, and walks through a first import (blocked as an unknown baseline, its exact plan
// approved once, then pushed), a change with a removal (guarded, then approved) and an unchanged
// re-run — showing the plan, the push and what MIM holds and e-mails after each step — then runs
// the daemon, which picks up the next file dropped into the folder by itself. A step that does
// not end as the story says stops the demo with a non-zero exit.
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { startEmulator } = await import(path.join(root, 'dist/emulator/server.js'));
const cli = path.join(root, 'dist/bin/mobileid-sync.cjs');
const work = path.join(root, 'demo-run');
const drop = path.join(work, 'drop');
const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

rmSync(work, { recursive: true, force: true });
mkdirSync(drop, { recursive: true });
const token = 'demo-token-not-secret';
const emu = await startEmulator({
  port: 0,
  projects: [{ name: 'Demo Site', token, contact: 'it@example.com' }],
});
const admin = `${emu.url}/_admin/projects/${encodeURIComponent('Demo Site')}`;
const config = path.join(work, 'config.json5');
writeFileSync(
  config,
  `// Written by the demo: one job, a CSV drop folder, the local MIM emulator.
{
  stateDir: ${JSON.stringify(path.join(work, 'state'))},
  admin: { listen: '' },
  jobs: [{
    name: 'main',
    mim: { baseUrl: ${JSON.stringify(emu.url)}, project: 'Demo Site', token: ${JSON.stringify(token)} },
    sources: [{ name: 'hr', kind: 'csv-folder', folder: ${JSON.stringify(drop)} }],
  }],
}
`,
);

function step(title) {
  console.log(`\n${bold(`━━ ${title} ${'━'.repeat(Math.max(0, 90 - title.length))}`)}`);
}
// Async on purpose: the emulator runs in this process and must keep answering meanwhile.
function run(...args) {
  console.log(bold(`$ mobileid-sync ${args.join(' ')}`));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args, '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', (d) => process.stdout.write(d));
    child.on('close', (status) => {
      console.log(`(exit code ${status})`);
      resolve({ status, stdout });
    });
  });
}
/** Stops the demo when a command did not end as the story says (so a broken demo never passes). */
function expectExit(result, code, what) {
  if (result.status !== code) throw new Error(`${what}: expected exit code ${code}, got ${result.status}`);
  return result;
}
/** The admin approves exactly the plan a blocked run printed, with the command it printed. */
async function approveShown(blocked) {
  const planId = /mobileid-sync approve main --plan (\w+)/.exec(blocked.stdout)?.[1];
  if (!planId) throw new Error('the blocked run printed no plan id to approve');
  expectExit(await run('approve', 'main', '--plan', planId), 0, 'approve');
}
function dropFile(name) {
  const src = path.join(root, 'examples/demo', name);
  const tmp = path.join(drop, `${name}.tmp`);
  copyFileSync(src, tmp);
  const past = new Date(Date.now() - 10_000); // the exporter finished writing a while ago
  utimesSync(tmp, past, past);
  renameSync(tmp, path.join(drop, name));
  console.log(
    `HR export job drops ${name} into ${path.relative(root, drop)}/ (written as .tmp, then renamed)`,
  );
}
function freePort() {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
async function waitFor(check, ms = 10_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the demo timed out waiting for the daemon');
}
async function get(p) {
  const res = await fetch(`${admin}/${p}`);
  return res.json();
}
async function showMim(outboxFrom = 0) {
  const { users } = await get('users');
  console.log(bold(`MIM emulator — project "Demo Site": ${users.length} users`));
  for (const u of users) {
    console.log(
      `  ${u.status.padEnd(16)} ${`${u.firstName} ${u.lastName}`.padEnd(18)} ${u.email.padEnd(28)} ID ${u.id.padEnd(9)} Sync ID ${u.syncId}`,
    );
  }
  const { messages } = await get('outbox');
  const fresh = messages.slice(outboxFrom);
  console.log(bold(`E-mails MIM would have sent (${fresh.length} new):`));
  for (const m of fresh) console.log(`  ${m.kind.padEnd(20)} to ${m.to.padEnd(28)} "${m.subject}"`);
  return messages.length;
}

let daemon;
try {
  step('1. First export: plan (dry run), then sync — the first push is approved once');
  dropFile('staff-1.csv');
  expectExit(await run('plan'), 3, 'first plan');
  const first = expectExit(await run('sync'), 3, 'first sync');
  console.log(
    '\nA new state directory: mobileid-sync cannot know who is in the MIM project now, and MIM deletes' +
      '\neveryone who is not in an upload. The admin checks that the list above is everyone the project' +
      '\nshould hold, and approves exactly this plan:',
  );
  await approveShown(first);
  expectExit(await run('sync'), 0, 'first approved sync');
  let seen = await showMim();

  step('2. Three people activate their phones');
  for (const key of ['P1001', 'P1002', 'P1004'])
    await fetch(`${admin}/users/${key}/activate`, { method: 'POST' });
  await showMim(seen);

  step("3. Next export: Anna renamed, Maria left, Tom's e-mail filled in");
  dropFile('staff-2.csv');
  const blocked = expectExit(await run('sync'), 3, 'sync with a removal');
  console.log('\nThe admin reviews the plan above and approves exactly it:');
  await approveShown(blocked);
  expectExit(await run('sync'), 0, 'approved sync');
  seen = await showMim(seen);

  step('4. The same export again: nothing to send');
  expectExit(await run('sync'), 0, 'unchanged sync');
  const { uploads } = await get('uploads');
  console.log(`MIM received ${uploads.length} uploads in total.`);
  await run('status');

  step('5. The daemon: it watches the drop folder and pushes when a file lands');
  const port = await freePort();
  const daemonConfig = path.join(work, 'daemon.json5');
  writeFileSync(
    daemonConfig,
    readFileSync(config, 'utf8')
      .replace("admin: { listen: '' }", `admin: { listen: '127.0.0.1:${port}' }`)
      .replace("name: 'main',", "name: 'main', schedule: { cron: '0 3 * * *', debounceMs: 500 },"),
  );
  console.log(bold('$ mobileid-sync run   (in the background; its JSON log lines follow)'));
  daemon = spawn(process.execPath, [cli, 'run', '--config', daemonConfig], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let started = false;
  daemon.stdout.on('data', (d) => {
    for (const line of String(d).split('\n').filter(Boolean)) {
      try {
        const j = JSON.parse(line);
        if (j.msg === 'Daemon started') started = true;
        console.log(
          `  [daemon] ${j.level.padEnd(5)} ${j.msg}${j.email ? ` ${j.email}` : ''}${j.trigger ? ` (trigger: ${j.trigger})` : ''}`,
        );
      } catch {
        console.log(`  [daemon] ${line}`);
      }
    }
  });
  daemon.stderr.on('data', (d) => process.stdout.write(d));
  await waitFor(
    async () => started && (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.ok,
  );
  const idle = async () =>
    (await (await fetch(`http://127.0.0.1:${port}/status`)).json()).jobs.every(
      (j) => !j.running && !j.queued,
    );
  await waitFor(idle);
  dropFile('staff-3.csv');
  const before = seen;
  await waitFor(
    async () => (await get('users')).users.some((u) => u.email === 'paul.wagner@example.com'),
    20_000,
  );
  await waitFor(idle); // the run that pushed Paul has finished and recorded its baseline
  seen = await showMim(before);
  const [job] = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()).jobs;
  const { baseline, pendingApproval, runs } = job;
  console.log(
    bold('GET /status (excerpt):'),
    JSON.stringify({ job: job.job, baseline, pendingApproval, lastRun: runs[0] }, null, 1),
  );
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  console.log(bold('GET /metrics (excerpt):'));
  for (const line of metrics
    .split('\n')
    .filter((l) => l.startsWith('mobileid_sync_runs_total') || l.startsWith('mobileid_sync_users')))
    console.log(`  ${line}`);
  daemon.kill('SIGTERM');
  await new Promise((r) =>
    daemon.on('close', (code) => r(console.log(`daemon stopped on SIGTERM (exit code ${code})`))),
  );
} finally {
  // Never leave the daemon running, whatever failed above.
  if (daemon && daemon.exitCode === null) daemon.kill('SIGTERM');
  await emu.close();
}
console.log(
  `\nDemo files are in ${path.relative(process.cwd(), work) || work}/ (config, drop folder with archive/, state).`,
);

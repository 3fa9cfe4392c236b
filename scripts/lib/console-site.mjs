/**
 * A throw-away site for the web console's screenshots (scripts/screenshots.mjs) and its bench
 * (bench/console.mjs): the MIM emulator in this process, a config of one or more csv-folder jobs
 * with an admin token, the built CLI for first pushes, and the built daemon as its own process.
 * Needs `npm run build` first (it imports dist/).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cliPath = path.join(root, 'dist', 'cli', 'main.js');
export const SESSION_COOKIE = 'mobileid_sync_session';

const FIRST = [
  'Anna',
  'Lukas',
  'Sofia',
  'Jonas',
  'Mia',
  'Elias',
  'Hannah',
  'Noah',
  'Lea',
  'Paul',
  'Emma',
  'Ben',
  'Clara',
  'Felix',
  'Marie',
  'Leon',
  'Lina',
  'David',
  'Nora',
  'Tobias',
  'Amira',
  'Mehmet',
  'Julia',
  'Jan',
  'Zoe',
  'Samuel',
  'Ida',
  'Oskar',
  'Greta',
  'Milan',
];
const LAST = [
  'Schmidt',
  'Müller',
  'Weber',
  'Wagner',
  'Becker',
  'Hoffmann',
  'Schulz',
  'Koch',
  'Richter',
  'Klein',
  'Wolf',
  'Neumann',
  'Schwarz',
  'Zimmermann',
  'Braun',
  'Krüger',
  'Hartmann',
  'Lange',
  'Werner',
  'Krause',
  'Meier',
  'Lehmann',
  'Yılmaz',
  'Kowalski',
  'Nguyen',
  'Costa',
  'Jensen',
  'Novak',
  'Rossi',
  'Fischer',
  'Bauer',
];
/** Lower-case ASCII for an e-mail's local part (Müller → muller, Yılmaz → yilmaz). */
export const ascii = (s) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ı/g, 'i')
    .toLowerCase();

/** Person `i` of a deterministic, realistic-looking staff list (unique e-mail, badge ID, Sync ID). */
export function person(i) {
  const first = FIRST[i % FIRST.length];
  const last = LAST[Math.floor(i / FIRST.length) % LAST.length];
  const n = Math.floor(i / (FIRST.length * LAST.length));
  const mail = `${ascii(first)}.${ascii(last)}${n ? n + 1 : ''}@example.com`;
  return { first, last, mail, id: String(40_000_000 + i * 7), syncId: `E${String(10_000 + i)}` };
}

const csvField = (v) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** Headerless CSV in MIM's column order (First, Last, E-mail, ID, Sync ID), CRLF line ends. */
export function csv(people) {
  return people
    .map((p) => `${[p.first, p.last, p.mail, p.id, p.syncId].map(csvField).join(',')}\r\n`)
    .join('');
}

export const range = (from, to) => Array.from({ length: to - from }, (_, k) => person(from + k));

const projectToken = (job) => `${job.name}-project-token`;

/**
 * Creates the site: `jobs` is a list of { name, project, source?, cron? }, each with its own MIM
 * project in the emulator and its own drop folder. Resolves to the site with its helpers.
 */
export async function createSite({ jobs, adminToken }) {
  const { startEmulator } = await import(path.join(root, 'dist', 'emulator', 'server.js'));
  const emu = await startEmulator({
    port: 0,
    projects: jobs.map((j) => ({ name: j.project, token: projectToken(j) })),
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mobileid-console-'));
  const config = {
    stateDir: path.join(dir, 'state'),
    admin: { listen: '127.0.0.1:0', token: adminToken },
    jobs: jobs.map((j) => {
      const folder = path.join(dir, 'drop', j.name);
      mkdirSync(folder, { recursive: true });
      return {
        name: j.name,
        mim: {
          baseUrl: emu.url,
          project: j.project,
          token: projectToken(j),
          retries: { max: 0 },
        },
        schedule: { cron: j.cron ?? '*/15 * * * *', jitterSeconds: 0, onStart: false, debounceMs: 300 },
        sources: [{ name: j.source ?? 'hr-export', kind: 'csv-folder', folder, stableMs: 300 }],
      };
    }),
  };
  const configFile = path.join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));

  /** Writes a drop file as a well-behaved exporter does (temp + rename), dated in the past. */
  const drop = (job, name, text) => {
    const target = path.join(dir, 'drop', job, name);
    writeFileSync(`${target}.tmp`, text);
    const past = new Date(Date.now() - 60_000);
    utimesSync(`${target}.tmp`, past, past);
    renameSync(`${target}.tmp`, target);
  };

  /** The built CLI against this site's config; resolves to { code, out }. */
  const cli = (...args) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cliPath, ...args, '--config', configFile], {
        cwd: dir,
        env: { ...process.env, MOBILEID_SYNC_CONFIG: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.stderr.on('data', (d) => {
        out += d;
      });
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, out }));
    });

  /** First push of a job, as an admin does it once by hand (`sync --accept-unknown-baseline`). */
  const firstPush = async (job, people) => {
    drop(job, 'first-export.csv', csv(people));
    const r = await cli('sync', '--accept-unknown-baseline', '--job', job);
    if (r.code !== 0) throw new Error(`first push of ${job} exited ${r.code}:\n${r.out}`);
  };

  let daemon;
  /** Starts the daemon; resolves to its admin URL (no trailing slash). */
  const startDaemon = async () => {
    const child = spawn(process.execPath, [cliPath, 'run', '--config', configFile], {
      cwd: dir,
      env: { ...process.env, MOBILEID_SYNC_CONFIG: '', NOTIFY_SOCKET: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines = [];
    const waiters = [];
    createInterface({ input: child.stdout }).on('line', (text) => {
      let line;
      try {
        line = JSON.parse(text);
      } catch {
        line = { msg: text };
      }
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.pred(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const waitFor = (pred, what, ms = 60_000) =>
      new Promise((resolve, reject) => {
        const seen = lines.find(pred);
        if (seen) return resolve(seen);
        const timer = setTimeout(
          () => reject(new Error(`daemon: no ${what} within ${ms} ms\n${stderr}`)),
          ms,
        );
        waiters.push({
          pred,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
      });
    const runsFinished = (job) => lines.filter((l) => l.msg === 'Run finished' && l.job === job).length;
    /** Waits for the n-th "Run finished" line of `job` (1-based, counting the ones already seen). */
    const nthRun = (job, n) => {
      let count = 0;
      return waitFor((l) => l.msg === 'Run finished' && l.job === job && ++count >= n, `run #${n} of ${job}`);
    };
    daemon = { child, lines, waitFor, runsFinished, nthRun };
    const started = await waitFor((l) => l.msg === 'Daemon started', 'start');
    daemon.url = String(started.admin).replace(/\/$/, '');
    return daemon;
  };

  /** Drops a file for a running daemon and waits for the run it triggers. */
  const dropAndRun = async (job, name, text) => {
    const n = daemon.runsFinished(job);
    drop(job, name, text);
    return daemon.nthRun(job, n + 1);
  };

  const close = async () => {
    if (daemon && daemon.child.exitCode === null) {
      daemon.child.kill('SIGTERM');
      await new Promise((r) => daemon.child.once('exit', r));
    }
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  };

  return { dir, emu, configFile, drop, cli, firstPush, startDaemon, dropAndRun, close };
}

/** Logs a Playwright page in through the console's form. */
export async function login(page, base, token) {
  await page.goto(`${base}/console/login`);
  await page.locator('#login input[name=token]').fill(token);
  await Promise.all([
    page.waitForURL(`${base}/console/`),
    page.locator('#login input[name=token]').press('Enter'),
  ]);
}

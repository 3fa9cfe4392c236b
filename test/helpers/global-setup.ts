/**
 * Builds dist/ once before the suite, so end-to-end tests run the CLI exactly as a user would: tsc's
 * output, then the bundle made of it (scripts/bundle.mjs, dist/bin/mobileid-sync.cjs, the program
 * installed and run). Type errors are the linter's job; tsc emits regardless, the bundle is made
 * from what it emitted, and e2e tests show real breakage.
 * scripts/test-all.sh builds once for both of its passes and sets MOBILEID_SYNC_TEST_PREBUILT=1.
 *
 * Then measures how much slower than an idle machine Node starts and works here right now, and
 * publishes the factor (timing.ts) to the test workers, which inherit this process's environment.
 *
 * Every temp file of the run (os.tmpdir() in the workers and in every process they start: the CLI,
 * slapd, Samba, Chromium) goes into one directory of its own (TMPDIR), removed when the run ends:
 * a pass made ~200 temp dirs, and many tests leave theirs for the system to clean up.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { measureSlowdown, SLOWDOWN_ENV } from './timing.js';

/** The run's temp directory, set as TMPDIR for everything started after this. */
function ownTmpdir(): () => void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mobileid-sync-tests-'));
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}

export default async function setup(): Promise<() => void> {
  if (process.env.MOBILEID_SYNC_TEST_PREBUILT === '1')
    console.log('dist/ built by the caller (MOBILEID_SYNC_TEST_PREBUILT=1)');
  else {
    const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
      stdio: 'inherit',
    });
    if (r.status !== 0) console.warn('tsc reported errors while building dist/ for the e2e tests');
    const b = spawnSync(process.execPath, ['scripts/bundle.mjs'], { stdio: 'inherit' });
    if (b.status !== 0) throw new Error('scripts/bundle.mjs failed: the e2e tests have no CLI to run');
  }
  const teardown = ownTmpdir();

  const forced = process.env[SLOWDOWN_ENV];
  if (forced) {
    console.log(`Test deadlines × ${forced} (${SLOWDOWN_ENV} set by the caller)`);
    return teardown;
  }
  const m = await measureSlowdown();
  process.env[SLOWDOWN_ENV] = String(m.factor);
  const ms = (xs: readonly number[]) => xs.map(Math.round).join('/');
  console.log(`Test deadlines × ${m.factor}: node -e 0 ${ms(m.nodeMs)} ms, fixed work ${ms(m.workMs)} ms`);
  return teardown;
}

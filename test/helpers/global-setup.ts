/**
 * Builds dist/ once before the suite, so end-to-end tests run the CLI exactly as a user would: tsc's
 * output, then the bundle made of it (scripts/bundle.mjs, dist/bin/mobileid-sync.cjs, the program
 * installed and run). Type errors are the linter's job; tsc emits regardless, the bundle is made
 * from what it emitted, and e2e tests show real breakage.
 * scripts/test-all.sh builds once for both of its passes and sets MOBILEID_SYNC_TEST_PREBUILT=1.
 *
 * Then measures how much slower than an idle machine Node starts and works here right now, and
 * publishes the factor (timing.ts) to the test workers, which inherit this process's environment.
 */
import { spawnSync } from 'node:child_process';
import { measureSlowdown, SLOWDOWN_ENV } from './timing.js';

export default async function setup(): Promise<void> {
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

  const forced = process.env[SLOWDOWN_ENV];
  if (forced) {
    console.log(`Test deadlines × ${forced} (${SLOWDOWN_ENV} set by the caller)`);
    return;
  }
  const m = await measureSlowdown();
  process.env[SLOWDOWN_ENV] = String(m.factor);
  const ms = (xs: readonly number[]) => xs.map(Math.round).join('/');
  console.log(`Test deadlines × ${m.factor}: node -e 0 ${ms(m.nodeMs)} ms, fixed work ${ms(m.workMs)} ms`);
}

/**
 * Builds dist/ once before the suite, so end-to-end tests run the CLI exactly as a user would.
 * Type errors are the linter's job; the build emits regardless and e2e tests show real breakage.
 */
import { spawnSync } from 'node:child_process';

export default function setup(): void {
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
  if (r.status !== 0) console.warn('tsc reported errors while building dist/ for the e2e tests');
}

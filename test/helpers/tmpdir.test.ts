/** Global setup gives the run a temp directory of its own (TMPDIR), removed when the run ends. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';

it('puts the temp files of the workers and the processes they start into the run’s own directory', () => {
  const dir = os.tmpdir();
  expect(path.basename(dir)).toMatch(/^mobileid-sync-tests-/);
  const child = execFileSync(process.execPath, ['-p', 'require("node:os").tmpdir()'], { encoding: 'utf8' });
  expect(child.trim()).toBe(dir);
});

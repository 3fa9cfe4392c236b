import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { deadline } from './deadline.js';

/** Runs `body` in a Node process with --expose-gc that collects garbage every 10 ms for 1 s. */
function firesUnderGc(body: string): string {
  const script = `
    const gcEvery = setInterval(() => globalThis.gc(), 10);
    ${body}
    setTimeout(() => { clearInterval(gcEvery); console.log(fired ? 'fired' : 'never fired'); }, 1000);`;
  const run = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
    cwd: path.resolve('.'),
    encoding: 'utf8',
  });
  expect(run.stderr).toBe('');
  return run.stdout.trim();
}

describe('deadline', () => {
  it('aborts with a TimeoutError after its time', async () => {
    const d = deadline(20);
    await new Promise((resolve) => d.signal.addEventListener('abort', resolve));
    expect(d.signal.reason).toMatchObject({ name: 'TimeoutError' });
  });

  it('aborts with the outer reason when the outer signal does, and not later by itself', async () => {
    const outer = new AbortController();
    const d = deadline(50, outer.signal);
    outer.abort(new Error('stopping'));
    expect(d.signal.reason).toMatchObject({ message: 'stopping' });
    const already = deadline(50, outer.signal);
    expect(already.signal.aborted).toBe(true);
    d.clear();
    already.clear();
  });

  it('never fires once cleared', async () => {
    const d = deadline(10);
    d.clear();
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(d.signal.aborted).toBe(false);
  });

  // AbortSignal.any([signal, AbortSignal.timeout(100)]) never fires in this test on Node 20.20.
  it('fires while the garbage collector runs (the built deadline, in its own process)', () => {
    const built = pathToFileURL(path.resolve('dist/core/deadline.js')).href;
    const outcome = firesUnderGc(`
      const { deadline } = await import(${JSON.stringify(built)});
      let fired = false;
      deadline(100, new AbortController().signal).signal.addEventListener('abort', () => { fired = true; });`);
    expect(outcome).toBe('fired');
  });
});

/**
 * Whole-process timing for the cold-start benches: each command is spawned N times, interleaved
 * with a reference (`node -e 0`) so both see the same machine load, and reported as the median
 * wall time and the ratio of the medians. No hyperfine needed.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Wall time (ms) of one run of `argv` (argv[0] = executable), spawned asynchronously so a server in
 * this process (the MIM emulator) keeps answering; fails loudly on an unexpected exit code.
 */
export function timeOnce(argv, { env, cwd, okCodes = [0] } = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), {
      env: env ?? process.env,
      cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (okCodes.includes(code ?? -1)) resolve(ms);
      else reject(new Error(`${argv.join(' ')} exited with ${code ?? signal}: ${stderr.slice(0, 500)}`));
    });
  });
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The bare Node start-up every figure is divided by. */
export const REFERENCE = { name: 'node -e 0', argv: [process.execPath, '-e', '0'] };

/**
 * Runs every case and the reference `runs` times, round-robin (after one warm-up round that fills
 * the page cache), and returns [{ name, ms, ratio, goalMs }] with the reference first. A case's
 * `before()` (not timed) runs before each of its spawns, e.g. to drop the file it must upload.
 * A case may bring its own `env`, and `ratioTo` (the name of another case, e.g. a reference
 * under that env) to be divided by instead of the reference.
 */
export async function measure(cases, { runs, env, cwd }) {
  const all = [REFERENCE, ...cases];
  const times = new Map(all.map((c) => [c.name, []]));
  const once = async (c) => {
    await c.before?.();
    return timeOnce(c.argv, { env: c.env ?? env, cwd, okCodes: c.okCodes });
  };
  for (const c of all) await once(c);
  for (let i = 0; i < runs; i++) for (const c of all) times.get(c.name).push(await once(c));
  return all.map((c) => {
    const ms = median(times.get(c.name));
    const ref = median(times.get(c.ratioTo ?? REFERENCE.name));
    return { name: c.name, ms, ratio: ms / ref, goalMs: c.goalMs };
  });
}

export function load() {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/** The figures as a text table (or one JSON line with --json, which bench/run-all.mjs reads). */
export function report(title, rows, { json, runs }) {
  if (json) {
    process.stdout.write(`${JSON.stringify({ title, runs, load: load(), rows })}\n`);
    return;
  }
  console.log(`${title} — median of ${runs} runs each, interleaved; load average ${load()}`);
  console.log(`  ${'command'.padEnd(42)} ${'ms'.padStart(7)} ${'× node -e 0'.padStart(12)}   goal`);
  for (const r of rows) {
    const goal = r.goalMs ? `≤ ${r.goalMs} ms` : '';
    console.log(
      `  ${r.name.padEnd(42)} ${r.ms.toFixed(0).padStart(7)} ${r.ratio.toFixed(2).padStart(11)}×   ${goal}`,
    );
  }
}

/**
 * The built CLI of a checkout: the bundle `npm run build` makes (dist/bin/mobileid-sync.cjs), or
 * for a build from before the bundle (a --compare checkout) tsc's dist/cli/main.js.
 */
export function builtCli(checkout) {
  const bundle = path.resolve(checkout, 'dist', 'bin', 'mobileid-sync.cjs');
  return existsSync(bundle) ? bundle : path.resolve(checkout, 'dist', 'cli', 'main.js');
}

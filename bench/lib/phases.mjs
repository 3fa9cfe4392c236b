// What the in-process benches share: each phase runs in a fresh process (so its peak RSS is its
// own), reports JSON on stdout, and the parent takes the median over runs.
import { spawnSync } from 'node:child_process';

/** CPU time (user + system, all threads, GC included) since `start`: steadier than wall time on a shared machine. */
export function cpuMs(start) {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * In a child started by `runPhase` (`--phase` given): runs that phase, prints its result with the
 * process's peak RSS, and exits. In the parent it returns and does nothing.
 */
export async function servePhase(values, phases) {
  if (!values.phase) return;
  const result = await phases[values.phase](values.dir);
  result.maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
}

/** Runs `script --phase <phase> --dir <dir> …extra` in a fresh process; its JSON result. */
export function runPhase(script, phase, dir, extra = []) {
  const r = spawnSync(process.execPath, [script, '--phase', phase, '--dir', dir, ...extra], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`${phase} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/**
 * The last accepted upload of job "bench" in `stateDir`, written as a run records it (snapshot.json
 * through the built JobState). `records` must be sorted by Sync ID.
 */
export async function writeBenchSnapshot(dist, stateDir, target, records) {
  const { JobState } = await import(dist('state/store.js'));
  await new JobState(stateDir, 'bench').writeSnapshot({
    target,
    seq: 1,
    pushedAt: new Date().toISOString(),
    planId: 'bench',
    payloadSha256: 'bench',
    inputs: [],
    records,
  });
}

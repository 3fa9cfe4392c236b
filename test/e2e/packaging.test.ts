/**
 * What can be checked of the packaging without a Docker engine or a running systemd: the
 * Dockerfile runs the command the e2e tests run, installs production dependencies only, runs as
 * a non-root user, and its HEALTHCHECK works against a real daemon; the systemd unit has the
 * expected shape and, where systemd-analyze exists, verifies with an exposure score ≤ 2.0.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { freePort } from '../helpers/slapd.js';
import { scaled } from '../helpers/timing.js';
import { DAEMON_COMMAND, emulator, startDaemon, workspace } from './daemon-harness.js';

const dockerfile = readFileSync('Dockerfile', 'utf8');
const unitText = readFileSync('systemd/mobileid-sync.service', 'utf8');

/** Dockerfile instructions with line continuations joined, grouped by stage. */
function stages(text: string): { from: string; name: string; lines: string[] }[] {
  const joined = text.replace(/\\\n/g, ' ');
  const out: { from: string; name: string; lines: string[] }[] = [];
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) out.push({ from: from[1]!, name: from[2] ?? '', lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

function instruction(lines: readonly string[], name: string): string[] {
  return lines.filter((l) => l.toUpperCase().startsWith(`${name} `)).map((l) => l.slice(name.length).trim());
}

/** `[Section] Key=Value` pairs of a unit file (repeated keys kept in order). */
function unitEntries(text: string): { section: string; key: string; value: string }[] {
  let section = '';
  const out: { section: string; key: string; value: string }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) section = s[1]!;
    else {
      const i = line.indexOf('=');
      out.push({ section, key: line.slice(0, i), value: line.slice(i + 1) });
    }
  }
  return out;
}

function unitValues(key: string): string[] {
  return unitEntries(unitText)
    .filter((e) => e.section === 'Service' && e.key === key)
    .map((e) => e.value);
}

describe('Dockerfile', () => {
  const all = stages(dockerfile);
  const runtime = all.at(-1)!;

  it('is multi-stage on the Node LTS slim image and installs production dependencies only at run time', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const s of all) expect(s.from).toBe('node:24-slim');
    const runs = instruction(runtime.lines, 'RUN');
    expect(runs.some((r) => /\bnpm ci\b.*--omit=dev/.test(r))).toBe(true);
    expect(runs.some((r) => /\bnpm (ci|install)\b(?!.*--omit=dev)/.test(r))).toBe(false);
    // Only the bundled program comes from the build stage, never its node_modules.
    const copies = instruction(runtime.lines, 'COPY');
    expect(copies.filter((c) => c.startsWith('--from='))).toEqual([
      `--from=${all[0]!.name} /app/dist/bin ./dist/bin`,
    ]);
  });

  it('copies into the build stage every file `npm run build` reads', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { build: string } };
    const read = pkg.scripts.build.match(/[\w./-]+\.(?:json|mjs)\b/g) ?? [];
    expect(read).toEqual(['tsconfig.build.json', 'scripts/bundle.mjs']);
    const copied = instruction(all[0]!.lines, 'COPY').flatMap((c) => c.split(/\s+/).slice(0, -1));
    for (const file of read) expect(copied, file).toContain(file);
    expect(copied).toContain('tsconfig.json'); // tsconfig.build.json extends it
  });

  it('runs the daemon command the e2e tests run, as a non-root user, with the volumes', () => {
    const exec = (name: string): string[] =>
      JSON.parse(instruction(runtime.lines, name).at(-1) ?? '[]') as string[];
    expect([...exec('ENTRYPOINT'), ...exec('CMD')]).toEqual([...DAEMON_COMMAND]);
    expect(instruction(runtime.lines, 'WORKDIR').at(-1)).toBe('/app');
    const user = instruction(runtime.lines, 'USER').at(-1);
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(JSON.parse(instruction(runtime.lines, 'VOLUME').at(-1) ?? '[]')).toEqual([
      '/config',
      '/state',
      '/drop',
    ]);
    const env = instruction(runtime.lines, 'ENV').join(' ');
    expect(env).toContain('MOBILEID_SYNC_CONFIG=/config/config.json5');
    expect(env).toContain('MOBILEID_SYNC_STATE_DIR=/state');
    expect(dockerfile).toContain('tokenFile: "/run/secrets/mim_token"');
  });

  it("gives the daemon the systemd unit's memory settings (bench/daemon.mjs measures those)", () => {
    const memory = (pairs: readonly string[]): Record<string, string> => {
      const out: Record<string, string> = {};
      for (const p of pairs) {
        const m = /^"?(NODE_OPTIONS|MALLOC_[A-Z_]+)=(.*?)"?$/.exec(p);
        if (m) out[m[1]!] = m[2]!;
      }
      return out;
    };
    // `ENV A=1 B="x y"` → ['A=1', 'B="x y"']
    const dockerPairs = instruction(runtime.lines, 'ENV').flatMap((l) => l.match(/\w+=("[^"]*"|\S+)/g) ?? []);
    const docker = memory(dockerPairs.map((p) => p.replace('="', '=').replace(/"$/, '')));
    const unit = memory(unitValues('Environment'));
    expect(unit.NODE_OPTIONS).toContain('--max-semi-space-size=');
    expect(docker).toEqual(unit);
    // Node refuses to start on a flag NODE_OPTIONS does not allow (e.g. --optimize-for-size).
    const started = spawnSync(process.execPath, ['-e', 'process.stdout.write("ok")'], {
      env: { ...process.env, ...unit },
      encoding: 'utf8',
    });
    expect({ status: started.status, stdout: started.stdout, stderr: started.stderr }).toEqual({
      status: 0,
      stdout: 'ok',
      stderr: '',
    });
  });

  it('keeps build context small (.dockerignore)', () => {
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n');
    for (const p of ['node_modules', 'dist', '.git', 'state']) expect(ignored).toContain(p);
  });

  describe('HEALTHCHECK against a real daemon', () => {
    let emu: RunningEmulator;
    beforeAll(async () => {
      emu = await emulator();
    });
    afterAll(async () => {
      await emu.close();
    });

    it('passes while the daemon runs and fails once it stopped', async () => {
      const health = instruction(runtime.lines, 'HEALTHCHECK')[0] ?? '';
      const cmd = JSON.parse(health.slice(health.indexOf('CMD') + 3).trim()) as string[];
      expect(cmd.slice(0, 2)).toEqual(['node', '-e']);
      const port = await freePort();
      const listen = `127.0.0.1:${port}`;
      const check = (): number | null =>
        spawnSync(process.execPath, cmd.slice(1), {
          env: { ...process.env, MOBILEID_SYNC_ADMIN_LISTEN: listen },
          timeout: scaled(5_000),
        }).status;

      const d = startDaemon(workspace(emu.url), { MOBILEID_SYNC_ADMIN_LISTEN: listen });
      expect(await d.adminUrl()).toBe(`http://${listen}`);
      expect(check()).toBe(0);
      expect(await d.stop()).toEqual({ code: 0, signal: null });
      expect(check()).toBe(1);
    });
  });
});

describe('systemd unit', () => {
  it('is a hardened notify service with credentials, state and config directories', () => {
    expect(unitValues('Type')).toEqual(['notify']);
    expect(unitValues('NotifyAccess')).toEqual(['all']); // sd_notify goes through systemd-notify, a child
    expect(unitValues('ExecStart')).toEqual(['/usr/bin/mobileid-sync run']);
    expect(unitValues('ExecStartPre')).toEqual(['/usr/bin/mobileid-sync config validate']);
    // `systemctl reload` re-reads the config (SIGHUP), it does not restart the daemon.
    expect(unitValues('ExecReload')).toEqual(['/bin/kill -HUP $MAINPID']);
    expect(unitValues('DynamicUser')).toEqual(['yes']);
    expect(unitValues('StateDirectory')).toEqual(['mobileid-sync']);
    expect(unitValues('ConfigurationDirectory')).toEqual(['mobileid-sync']);
    expect(unitValues('LoadCredential').length).toBeGreaterThan(0);
    expect(unitValues('Restart')).toEqual(['on-failure']);
    expect(unitValues('CapabilityBoundingSet')).toEqual(['']);
    expect(unitValues('ProtectSystem')).toEqual(['strict']);
    expect(unitValues('RestrictAddressFamilies')).toEqual(['AF_INET AF_INET6 AF_UNIX']);
    expect(unitValues('SystemCallFilter')).toContain('@system-service');
    expect(unitValues('MemoryDenyWriteExecute')).toEqual(['no']); // Node's JIT
    expect(unitValues('Environment')).toContain('MOBILEID_SYNC_STATE_DIR=%S/mobileid-sync');
    // The stop timeout leaves room for the grace period and the unwind after it.
    const grace = Number(
      /MOBILEID_SYNC_DAEMON_SHUTDOWN_GRACE_MS=(\d+)/.exec(unitValues('Environment').join(' '))?.[1],
    );
    expect(Number.parseInt(unitValues('TimeoutStopSec')[0] ?? '0', 10) * 1000).toBeGreaterThan(
      grace + 10_000,
    );
  });

  it('passes systemd-analyze verify and scores an exposure of at most 2.0', () => {
    // scripts/install-test-deps.sh installs Debian's systemd package for this tool.
    const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));
    expect(analyze, 'systemd-analyze is missing: run scripts/install-test-deps.sh').toBeDefined();
    if (!analyze) return;
    // verify insists that ExecStart's binary exists; point it at the installed node instead.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mobileid-unit-'));
    const unit = path.join(dir, 'mobileid-sync.service');
    writeFileSync(unit, unitText.replaceAll('/usr/bin/mobileid-sync', process.execPath));
    const verify = spawnSync(analyze, ['verify', unit], { encoding: 'utf8' });
    expect(verify.stderr.trim()).toBe('');
    expect(verify.status).toBe(0);
    const security = execFileSync(analyze, ['security', '--offline=yes', '--no-pager', unit], {
      encoding: 'utf8',
    });
    const score = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(security)?.[1]);
    expect(score).toBeLessThanOrEqual(2.0);
  });
});

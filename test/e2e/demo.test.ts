/**
 * `npm run demo` (scripts/demo.mjs, on the built dist/) tells its story to the end: the first plan
 * is an unknown baseline, the demo approves exactly that plan and pushes it, the later drops behave
 * as documented — and it exits 0 without leaving its daemon behind.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scaled } from '../helpers/timing.js';

function runDemo(): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/demo.mjs'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out }));
  });
}

/** Processes whose command line names the demo's daemon config. */
function demoDaemons(): string[] {
  const config = path.resolve('demo-run', 'daemon.json5');
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(config)) found.push(pid);
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

describe('npm run demo', () => {
  it(
    'approves the first plan once, pushes, and exits 0 with no process left',
    async () => {
      const { code, out } = await runDemo();
      expect(code, out).toBe(0);
      // 1. The first plan names the unknown baseline; the demo approves exactly it; the push follows.
      const first = out.slice(0, out.indexOf('━━ 2.'));
      expect(first).toContain('UNKNOWN BASELINE: mobileid-sync does not know who is in project "Demo Site"');
      const planId = /\$ mobileid-sync approve main --plan (\w+)/.exec(first)?.[1];
      expect(planId).toBeDefined();
      expect(first).toContain(`Sync for job "main" — plan ${planId}`);
      expect(first).toContain('Result: uploaded — MIM accepted it');
      expect(first).toContain('MIM emulator — project "Demo Site": 6 users');
      // 3. A removal over the delete limit is blocked, approved, then pushed.
      const third = out.slice(out.indexOf('━━ 3.'), out.indexOf('━━ 4.'));
      expect(third).toMatch(/over guard\.maxDeletePercent/);
      expect(third).toMatch(/\$ mobileid-sync approve main --plan \w+/);
      expect(third).toContain('Result: uploaded — MIM accepted it');
      // 5. The daemon pushes the next drop by itself and stops cleanly.
      const fifth = out.slice(out.indexOf('━━ 5.'));
      expect(fifth).toContain('MIM emulator — project "Demo Site": 7 users');
      expect(fifth).toContain('daemon stopped on SIGTERM (exit code 0)');
      expect(demoDaemons()).toEqual([]);
    },
    scaled(120_000),
  );
});

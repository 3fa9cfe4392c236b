/**
 * Every command's own `--help` and `help <command>`, read from the command table so a command added
 * later is covered without touching this file; the help must not load anything heavy.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCodeList, parseCommand } from '../../src/cli/command.js';
import { COMMANDS, commandGroup, findCommand } from '../../src/cli/commands.js';
import { type CliResult, runCli } from '../helpers/cli.js';

const TRACE_HOOK = path.resolve('test/helpers/import-trace.mjs');

/** Runs the CLI with the import trace; returns its result and every module URL it resolved. */
async function traced(args: readonly string[]): Promise<CliResult & { modules: string[] }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'help-trace-'));
  const trace = path.join(dir, 'trace.txt');
  try {
    const result = await runCli(args, { nodeArgs: ['--import', TRACE_HOOK], env: { IMPORT_TRACE: trace } });
    const modules = (await readFile(trace, 'utf8').catch(() => '')).split('\n').filter(Boolean);
    return { ...result, modules };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The command words and arguments of an example line (`VAR=x mobileid-sync plan -c f | jq …`). */
function exampleArgs(example: string): string[] {
  const command = example.split(/\s+(?:\||>|#)/)[0]!;
  const words = command.trim().split(/\s+/);
  const at = words.indexOf('mobileid-sync');
  return words.slice(at + 1);
}

describe('every command has its own help', () => {
  for (const spec of COMMANDS) {
    const words = spec.name.split(' ');

    it(`${spec.name}: --help and help ${spec.name} show usage, options, examples and exit codes, loading nothing heavy`, async () => {
      const asked = await traced([...words, '--help']);
      expect(asked.code, asked.stderr).toBe(0);
      const text = asked.stdout;
      expect(text).toContain(`mobileid-sync ${spec.name} — ${spec.summary}`);
      expect(text).toContain(`Usage: ${spec.usage}`);
      for (const o of spec.optionHelp) expect(text).toContain(o.flag);
      expect(text).toContain('Examples:');
      for (const e of spec.examples) expect(text).toContain(e);
      expect(text).toContain('Exit codes:');
      for (const [code] of exitCodeList(spec.exitCodes))
        expect(text).toMatch(new RegExp(`^ {2}${code} `, 'm'));

      // Only the CLI's own table: no package, no source kind, run, daemon, sink or state module.
      const own = asked.modules.filter((u) => u.startsWith('file:'));
      expect(own.filter((u) => u.includes('/node_modules/'))).toEqual([]);
      expect(
        own.filter(
          (u) =>
            !/\/dist\/(cli\/(main|command|commands|exit-codes|hint|quote)|core\/(errors|secrets))\.js$/.test(
              u,
            ),
        ),
      ).toEqual([]);

      const viaHelp = await runCli(['help', ...words]);
      expect(viaHelp.code).toBe(0);
      expect(viaHelp.stdout).toBe(text);
    });

    it(`${spec.name}: its table entry is complete and its examples parse`, () => {
      expect(spec.description, 'a description').toBeTruthy();
      expect(spec.examples.length).toBeGreaterThan(0);
      const codes = exitCodeList(spec.exitCodes).map(([c]) => c);
      expect(codes[0]).toBe('0');
      expect(
        codes.every((c) => /^\d+$/.test(c)),
        spec.exitCodes,
      ).toBe(true);
      expect(new Set(codes).size, `a code listed twice: ${spec.exitCodes}`).toBe(codes.length);
      for (const example of spec.examples) {
        const found = findCommand(exampleArgs(example));
        expect(found && 'spec' in found ? found.spec.name : found, example).toBe(spec.name);
        if (found && 'spec' in found)
          expect(() => parseCommand(found.spec, found.rest), example).not.toThrow();
      }
    });
  }

  for (const group of ['config', 'baseline']) {
    it(`${group} --help and help ${group} list the sub-commands`, async () => {
      const subs = commandGroup(group)!.commands;
      for (const args of [
        [group, '--help'],
        ['help', group],
      ]) {
        const r = await runCli(args);
        expect(r.code).toBe(0);
        for (const c of subs) expect(r.stdout).toContain(c.summary);
        expect(r.stdout).toContain(`mobileid-sync ${group} <command> --help`);
      }
      const bare = await runCli([group]);
      expect(bare.code).toBe(64);
      expect(bare.stderr).toContain(`mobileid-sync ${group} --help`);
    });
  }

  it("a usage error points at that command's help", async () => {
    const r = await runCli(['sync', '--allow-deletes', 'many']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('--allow-deletes needs a whole number');
    expect(r.stderr).toContain('Run `mobileid-sync sync --help` for usage.');
    const unknown = await runCli(['plan', '--bogus']);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain('`mobileid-sync plan --help`');
    const nothing = await runCli(['plna']);
    expect(nothing.code).toBe(64);
    expect(nothing.stderr).toContain('unknown command "plna"');
    expect(nothing.stderr).toContain('`mobileid-sync --help`');
  });

  it('--version prints the package version; --help the general help', async () => {
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(pkg.version);
    }
    const general = await runCli(['--help']);
    expect(general.code).toBe(0);
    for (const spec of COMMANDS) expect(general.stdout).toContain(spec.name);
  });
});

#!/usr/bin/env node
/**
 * The `mobileid-sync` command. Parses arguments, dispatches to a command, turns a SyncError into
 * its message, fix and exit code. Commands live in cli/commands/, each imported only when it
 * runs: `--help` loads nothing else, `status` no source library, `plan` no daemon (issue 14).
 */
import { parseArgs } from 'node:util';
import { isSyncError } from '../core/errors.js';
import { installStdioScrubber, scrubSecrets } from '../core/secrets.js';
import type { CommonOptions } from './context.js';
import { EXIT, exitCodeFor } from './exit-codes.js';

const HELP = `mobileid-sync — keep a BALTECH Mobile ID Manager project's users equal to a directory

Usage: mobileid-sync <command> [options]

Commands:
  run                  The daemon: runs jobs on schedule, drop file, start-up, SIGHUP; admin HTTP listener.
  plan                 Dry run: show who would be added, updated, deleted, and every rejected row.
                       Sends nothing. Exit 0 = nothing pending, 2 = changes pending, 3 = blocked.
  sync                 Run once now: plan, guard, upload to MIM, record. Exit 0 = done or nothing to do.
  approve <job> --plan <id>  Approve exactly the blocked plan with this id (as printed by the blocked
                       run). Bound to the plan and its baseline; expires after guard.approvalTtlHours;
                       voided by any run whose plan differs.
  check                Test every source and MIM connection and credential; changes nothing.
  status               Each job's baseline (target, age), unknown-outcome uploads, plans awaiting
                       approval, and recent runs.
  baseline list        The accepted snapshots each job keeps (the newest 5) and whether each is intact.
  baseline restore <job> --seq <n>  Make kept snapshot n the baseline again (voids approvals).
  config validate      Load and check the config; names the key and the fix on error.
  config print         The effective config (file + env + secret files), secrets masked.
  config docs          The reference of every config key, generated from the schema (Markdown).
  emulator             Run a local MIM stand-in (for rehearsals and tests).

Options:
  -c, --config <file>  Config file (JSON5/JSON). Default: $MOBILEID_SYNC_CONFIG, then
                       /etc/mobileid-sync/config.json5, then ./config/mobileid-sync.json5.
  -j, --job <name>     Only this job (default: all jobs).
      --json           Machine-readable output on stdout.
      --all            List every change and rejection (text output shows 50 of each by default).
      --allow-deletes <n>  sync: allow up to n deletes for this one run (overrides the delete limits,
                       never the hard stops, an unknown baseline or the ID-change limits).
      --accept-unknown-baseline  sync: push although mobileid-sync does not know who is in the
                       project now (first run, lost or foreign state). MIM deletes everyone not in
                       the upload: review \`plan\` first. One manual run only.
      --plan <id>      approve: the plan id to approve (required).
      --seq <n>        baseline restore: the kept snapshot to restore.
      --log-level <l>  fatal|error|warn|info|debug|trace (CLI default: fatal; JSON logs go to stderr).
  -h, --help           This help.    -V, --version   The version.

Emulator options:
      --host <addr>    Listen address (default 127.0.0.1).   --port <n>  Port (default 8080; 0 = any).
      --project <name:token>  A project and its token (repeatable; default "demo" with
                       $MOBILEID_SYNC_EMULATOR_TOKEN).      --auto-activate  Invited users become Active at once.
      --data-file <f>  Keep the emulator's users and outbox in this file across restarts.

Exit codes: 0 ok, 2 changes pending (plan), 3 blocked by the guard, 64 usage, 65 bad input data or
MIM rejected the file, 69 source or MIM unavailable, 74 state I/O, 77 MIM refused the token,
78 config error, 130 interrupted.

Docs: README.md (operating, troubleshooting), docs/config-reference.md (every key).`;

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  job: { type: 'string', short: 'j' },
  json: { type: 'boolean' },
  all: { type: 'boolean' },
  'allow-deletes': { type: 'string' },
  'accept-unknown-baseline': { type: 'boolean' },
  plan: { type: 'string' },
  'log-level': { type: 'string' },
  seq: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
  host: { type: 'string' },
  port: { type: 'string' },
  project: { type: 'string', multiple: true },
  'auto-activate': { type: 'boolean' },
  'data-file': { type: 'string' },
  limit: { type: 'string' },
} as const;

class UsageError extends Error {}

function nat(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} needs a whole number, got "${value}"`);
  return Number(value);
}

async function version(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

async function baselineCommand(
  sub: string | undefined,
  job: string | undefined,
  seq: string | undefined,
  common: CommonOptions,
): Promise<number> {
  if (sub === 'list') return (await import('./commands/baseline.js')).baselineList(common);
  if (sub === 'restore') {
    const n = nat(seq, '--seq');
    return (await import('./commands/baseline.js')).baselineRestore(job, n, common);
  }
  throw new UsageError('baseline needs one of: list, restore');
}

async function configCommand(sub: string | undefined, common: CommonOptions): Promise<number> {
  if (sub === 'validate') return (await import('./commands/config.js')).configValidate(common);
  if (sub === 'print') return (await import('./commands/config.js')).configPrint(common);
  if (sub === 'docs') return (await import('./commands/config.js')).configDocsCommand();
  throw new UsageError('config needs one of: validate, print, docs');
}

async function dispatch(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  const [command, sub] = positionals;
  if (v.version) {
    process.stdout.write(`${await version()}\n`);
    return EXIT.ok;
  }
  if (v.help || !command || command === 'help') {
    process.stdout.write(`${HELP}\n`);
    return command || v.help ? EXIT.ok : EXIT.usage;
  }
  const common = { config: v.config, job: v.job, json: v.json, logLevel: v['log-level'] };
  switch (command) {
    case 'run':
      return (await import('./commands/daemon.js')).daemonCommand(common);
    case 'plan':
      return (await import('./commands/run-job.js')).runJobsCommand('plan', { ...common, all: v.all });
    case 'sync':
      return (await import('./commands/run-job.js')).runJobsCommand('sync', {
        ...common,
        all: v.all,
        allowDeletes: nat(v['allow-deletes'], '--allow-deletes'),
        acceptUnknownBaseline: v['accept-unknown-baseline'] ?? false,
      });
    case 'approve':
      return (await import('./commands/approve.js')).approveCommand(sub ?? v.job, v.plan, common);
    case 'check':
      return (await import('./commands/check.js')).checkCommand(common);
    case 'baseline':
      return baselineCommand(sub, positionals[2] ?? v.job, v.seq, common);
    case 'status': {
      const limit = nat(v.limit, '--limit');
      return (await import('./commands/status.js')).statusCommand({ ...common, limit });
    }
    case 'config':
      return configCommand(sub, common);
    case 'emulator':
      return (await import('./commands/emulator.js')).emulatorCommand({
        host: v.host ?? '127.0.0.1',
        port: nat(v.port, '--port') ?? 8080,
        projects: v.project ?? [],
        autoActivate: v['auto-activate'] ?? false,
        dataFile: v['data-file'],
      });
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/** Error text for the terminal, with every configured secret removed (the stdio scrubber also does). */
function printError(text: string): void {
  process.stderr.write(scrubSecrets(text));
}

export async function main(argv: string[]): Promise<number> {
  // Everything the CLI and the daemon print passes the secret scrubber (core/secrets.ts).
  installStdioScrubber();
  try {
    return await dispatch(argv);
  } catch (e) {
    if (
      e instanceof UsageError ||
      (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      printError(`mobileid-sync: ${e.message}\nRun \`mobileid-sync --help\` for usage.\n`);
      return EXIT.usage;
    }
    if (isSyncError(e)) {
      printError(`mobileid-sync: ${e.message}\n  where: ${e.place ?? '-'}\n  fix:   ${e.fix}\n`);
      return exitCodeFor(e.code);
    }
    printError(
      `mobileid-sync: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    return EXIT.internal;
  }
}

process.exitCode = await main(process.argv.slice(2));

/**
 * Every command: its options, its `--help` text and a `run` that imports its module only when it
 * runs. Adding a command is one entry here and one module in `commands/`.
 */

import {
  bool,
  COMMON_OPTION_HELP,
  COMMON_OPTIONS,
  type CommandSpec,
  nat,
  type ParsedCommand,
  str,
  UsageError,
} from './command.js';
import type { CommonOptions } from './context.js';

export const EXIT_TEXT =
  '0 ok, 64 usage, 65 bad input data or MIM rejected the file, 69 source or MIM unavailable, 74 state I/O, 77 MIM refused the token, 78 config error, 130 interrupted.';

function common(args: ParsedCommand): CommonOptions {
  return {
    config: str(args, 'config'),
    job: str(args, 'job'),
    json: bool(args, 'json'),
    logLevel: str(args, 'log-level'),
  };
}

const ALL = {
  flag: '--all',
  text: 'List every change and rejection (text output shows 50 of each by default).',
};

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'run',
    summary: 'The daemon: runs jobs on schedule, drop file, start-up, SIGHUP; admin HTTP listener.',
    usage: 'mobileid-sync run [-c <file>] [-j <job>] [--log-level <level>]',
    options: COMMON_OPTIONS,
    optionHelp: COMMON_OPTION_HELP,
    examples: ['mobileid-sync run -c /etc/mobileid-sync/config.json5'],
    exitCodes: EXIT_TEXT,
    run: async (a) => (await import('./commands/daemon.js')).daemonCommand(common(a)),
  },
  {
    name: 'plan',
    summary: 'Dry run: who would be added, updated, deleted, and every rejected row. Sends nothing.',
    usage: 'mobileid-sync plan [-c <file>] [-j <job>] [--json] [--all] [--explain <e-mail or Sync ID>]',
    options: { ...COMMON_OPTIONS, all: { type: 'boolean' }, explain: { type: 'string' } },
    optionHelp: [
      ...COMMON_OPTION_HELP,
      ALL,
      {
        flag: '--explain <key>',
        text: 'One person (e-mail, any case, or Sync ID): where each field came from (file:line, DN or Graph id, column or attribute, mapping steps) and why they are added, updated, kept, carried forward, deleted, rejected, dropped as a duplicate or left out by a source. Still a dry run.',
      },
    ],
    examples: [
      'mobileid-sync plan -c config.json5',
      'mobileid-sync plan -j staff --all',
      'mobileid-sync plan -c config.json5 --explain anna.schmidt@example.com',
    ],
    exitCodes: `0 nothing pending, 2 changes pending, 3 blocked by the guard (also with --explain); ${EXIT_TEXT}`,
    run: async (a) => {
      const key = str(a, 'explain');
      if (key !== undefined) {
        if (!key.trim()) throw new UsageError('--explain needs an e-mail address or a Sync ID');
        return (await import('./commands/explain.js')).explainCommand(key.trim(), common(a));
      }
      return (await import('./commands/run-job.js')).runJobsCommand('plan', {
        ...common(a),
        all: bool(a, 'all'),
      });
    },
  },
  {
    name: 'sync',
    summary: 'Run once now: plan, guard, upload to MIM, record.',
    usage:
      'mobileid-sync sync [-c <file>] [-j <job>] [--json] [--all] [--allow-deletes <n>] [--accept-unknown-baseline]',
    options: {
      ...COMMON_OPTIONS,
      all: { type: 'boolean' },
      'allow-deletes': { type: 'string' },
      'accept-unknown-baseline': { type: 'boolean' },
    },
    optionHelp: [
      ...COMMON_OPTION_HELP,
      ALL,
      {
        flag: '--allow-deletes <n>',
        text: 'Allow up to n deletes for this one run (overrides the delete limits, never the hard stops, an unknown baseline or the ID-change limits).',
      },
      {
        flag: '--accept-unknown-baseline',
        text: 'Push although mobileid-sync does not know who is in the project now (first run, lost or foreign state). MIM deletes everyone not in the upload: review `plan` first. One manual run only.',
      },
    ],
    examples: ['mobileid-sync sync -c config.json5 -j staff'],
    exitCodes: `0 done or nothing to do, 3 blocked by the guard; ${EXIT_TEXT}`,
    run: async (a) =>
      (await import('./commands/run-job.js')).runJobsCommand('sync', {
        ...common(a),
        all: bool(a, 'all'),
        allowDeletes: nat(a, 'allow-deletes'),
        acceptUnknownBaseline: bool(a, 'accept-unknown-baseline'),
      }),
  },
  {
    name: 'approve',
    summary: 'Approve exactly the blocked plan with this id (as printed by the blocked run).',
    usage: 'mobileid-sync approve <job> --plan <id> [-c <file>]',
    description:
      'Bound to the plan and its baseline; expires after guard.approvalTtlHours; voided by any run whose plan differs.',
    options: { ...COMMON_OPTIONS, plan: { type: 'string' } },
    optionHelp: [...COMMON_OPTION_HELP, { flag: '--plan <id>', text: 'The plan id to approve (required).' }],
    examples: ['mobileid-sync approve staff --plan 3f2a9c1e -c config.json5'],
    exitCodes: EXIT_TEXT,
    run: async (a) =>
      (await import('./commands/approve.js')).approveCommand(
        a.positionals[0] ?? str(a, 'job'),
        str(a, 'plan'),
        common(a),
      ),
  },
  {
    name: 'check',
    summary: 'Test every source and MIM connection and credential; changes nothing.',
    usage: 'mobileid-sync check [-c <file>] [-j <job>]',
    options: COMMON_OPTIONS,
    optionHelp: COMMON_OPTION_HELP,
    examples: ['mobileid-sync check -c config.json5'],
    exitCodes: EXIT_TEXT,
    run: async (a) => (await import('./commands/check.js')).checkCommand(common(a)),
  },
  {
    name: 'status',
    summary: "Each job's baseline, unknown-outcome uploads, plans awaiting approval, and recent runs.",
    usage: 'mobileid-sync status [-c <file>] [-j <job>] [--json] [--limit <n>]',
    options: { ...COMMON_OPTIONS, limit: { type: 'string' } },
    optionHelp: [...COMMON_OPTION_HELP, { flag: '--limit <n>', text: 'Recent runs to show per job.' }],
    examples: ['mobileid-sync status -c config.json5'],
    exitCodes: EXIT_TEXT,
    run: async (a) =>
      (await import('./commands/status.js')).statusCommand({
        ...common(a),
        limit: nat(a, 'limit'),
      }),
  },
  {
    name: 'baseline list',
    summary: 'The accepted snapshots each job keeps (the newest 5) and whether each is intact.',
    usage: 'mobileid-sync baseline list [-c <file>] [-j <job>]',
    options: COMMON_OPTIONS,
    optionHelp: COMMON_OPTION_HELP,
    examples: ['mobileid-sync baseline list -c config.json5'],
    exitCodes: EXIT_TEXT,
    run: async (a) => (await import('./commands/baseline.js')).baselineList(common(a)),
  },
  {
    name: 'baseline restore',
    summary: 'Make kept snapshot n the baseline again (voids approvals).',
    usage: 'mobileid-sync baseline restore <job> --seq <n> [-c <file>]',
    options: { ...COMMON_OPTIONS, seq: { type: 'string' } },
    optionHelp: [
      ...COMMON_OPTION_HELP,
      { flag: '--seq <n>', text: 'The kept snapshot to restore (see `baseline list`).' },
    ],
    examples: ['mobileid-sync baseline restore staff --seq 41 -c config.json5'],
    exitCodes: EXIT_TEXT,
    run: async (a) =>
      (await import('./commands/baseline.js')).baselineRestore(
        a.positionals[0] ?? str(a, 'job'),
        nat(a, 'seq'),
        common(a),
      ),
  },
  {
    name: 'config validate',
    summary: 'Load and check the config; names the key and the fix on error.',
    usage: 'mobileid-sync config validate [-c <file>]',
    options: COMMON_OPTIONS,
    optionHelp: COMMON_OPTION_HELP,
    examples: ['mobileid-sync config validate -c /etc/mobileid-sync/config.json5'],
    exitCodes: EXIT_TEXT,
    run: async (a) => (await import('./commands/config.js')).configValidate(common(a)),
  },
  {
    name: 'config print',
    summary: 'The effective config (file + env + secret files), secrets masked.',
    usage: 'mobileid-sync config print [-c <file>]',
    options: COMMON_OPTIONS,
    optionHelp: COMMON_OPTION_HELP,
    examples: ['mobileid-sync config print -c config.json5'],
    exitCodes: EXIT_TEXT,
    run: async (a) => (await import('./commands/config.js')).configPrint(common(a)),
  },
  {
    name: 'config docs',
    summary: 'The reference of every config key, generated from the schema (Markdown).',
    usage: 'mobileid-sync config docs',
    options: {},
    optionHelp: [],
    examples: ['mobileid-sync config docs > config-reference.md'],
    exitCodes: EXIT_TEXT,
    run: async () => (await import('./commands/config.js')).configDocsCommand(),
  },
  {
    name: 'emulator',
    summary: 'Run a local MIM stand-in (for rehearsals and tests).',
    usage:
      'mobileid-sync emulator [--host <addr>] [--port <n>] [--project <name:token>]… [--auto-activate] [--data-file <f>]',
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      project: { type: 'string', multiple: true },
      'auto-activate': { type: 'boolean' },
      'data-file': { type: 'string' },
    },
    optionHelp: [
      { flag: '--host <addr>', text: 'Listen address (default 127.0.0.1).' },
      { flag: '--port <n>', text: 'Port (default 8080; 0 = any).' },
      {
        flag: '--project <name:token>',
        text: 'A project and its token (repeatable; default "demo" with $MOBILEID_SYNC_EMULATOR_TOKEN).',
      },
      { flag: '--auto-activate', text: 'Invited users become Active at once.' },
      {
        flag: '--data-file <f>',
        text: "Keep the emulator's users and outbox in this file across restarts.",
      },
    ],
    examples: ['MOBILEID_SYNC_EMULATOR_TOKEN=secret mobileid-sync emulator --port 8080'],
    exitCodes: EXIT_TEXT,
    run: async (a) => {
      const project = a.values.project;
      return (await import('./commands/emulator.js')).emulatorCommand({
        host: str(a, 'host') ?? '127.0.0.1',
        port: nat(a, 'port') ?? 8080,
        projects: Array.isArray(project) ? project.map(String) : [],
        autoActivate: bool(a, 'auto-activate'),
        dataFile: str(a, 'data-file'),
      });
    },
  },
];

/** Options that take a value, across all commands: how to skip `-c file` when finding the command. */
export function valueFlags(): Set<string> {
  const flags = new Set<string>();
  for (const spec of COMMANDS) {
    for (const [name, o] of Object.entries(spec.options)) {
      if (o.type !== 'string') continue;
      flags.add(`--${name}`);
      if (o.short) flags.add(`-${o.short}`);
    }
  }
  return flags;
}

/** The command named by argv's leading words, and argv without them. */
export function findCommand(
  argv: readonly string[],
): { spec: CommandSpec; rest: string[] } | { unknown: string } | undefined {
  const takesValue = valueFlags();
  const words: number[] = [];
  for (let i = 0; i < argv.length && words.length < 2; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a.startsWith('-')) {
      if (takesValue.has(a)) i++;
      continue;
    }
    words.push(i);
  }
  if (words.length === 0) return undefined;
  const first = argv[words[0]!]!;
  const second = words[1] === undefined ? undefined : argv[words[1]];
  const two = COMMANDS.find((c) => c.name === `${first} ${second}`);
  const spec = two ?? COMMANDS.find((c) => c.name === first);
  if (!spec) {
    const subs = COMMANDS.filter((c) => c.name.startsWith(`${first} `)).map((c) => c.name);
    if (subs.length)
      throw new UsageError(`${first} needs one of: ${subs.map((s) => s.split(' ')[1]).join(', ')}`);
    return { unknown: first };
  }
  const drop = new Set(two ? [words[0], words[1]] : [words[0]]);
  return { spec, rest: argv.filter((_, i) => !drop.has(i)) };
}

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
} from './command.js';
import type { CommonOptions } from './context.js';

/** The general list, for the main help and for entries whose codes are all the usual ones. */
export const EXIT_TEXT =
  '0 ok, 64 usage, 65 bad input data or MIM rejected the file, 69 source or MIM unavailable, 74 state I/O, 77 MIM refused the token, 78 config error, 130 interrupted.';

/** What each exit code means, worded once; a command lists the ones it can return. */
export const EXIT_MEANINGS = {
  usage: '64 usage error (unknown option, missing argument)',
  badFile: '65 a drop file cannot be read',
  badData: '65 a drop file cannot be read or MIM rejected the upload',
  unavailable: '69 a source or MIM cannot be reached',
  state: '74 the state directory cannot be read or written',
  token: '77 MIM refused the project token',
  config: '78 config error (the message names the key)',
  interrupted: '130 interrupted (Ctrl-C)',
} as const;

/** `0 …, 2 …, 64 …` from the codes a command can return, in the order given. */
export function exitCodes(...meanings: readonly string[]): string {
  return `${meanings.join(', ')}.`;
}

const X = EXIT_MEANINGS;

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
    description:
      'Runs until stopped (SIGTERM/SIGINT), as systemd or Docker starts it. Each job runs on its cron schedule, when a complete file lands in its drop folder, at start-up and on SIGHUP; never two runs of one job at a time. Logs are JSON lines on stdout. The admin listener (loopback by default) answers /healthz, /readyz, /metrics and /status.',
    options: COMMON_OPTIONS,
    optionHelp: COMMON_OPTION_HELP,
    examples: [
      'mobileid-sync run -c /etc/mobileid-sync/config.json5',
      'mobileid-sync run -c /etc/mobileid-sync/config.json5 -j site-berlin   # one service per site',
    ],
    exitCodes: exitCodes(
      '0 stopped by SIGTERM/SIGINT',
      X.usage,
      X.state,
      X.config,
      '130 stopped by a second Ctrl-C',
    ),
    run: async (a) => (await import('./commands/daemon.js')).daemonCommand(common(a)),
  },
  {
    name: 'plan',
    summary: 'Dry run: who would be added, updated, deleted, and every rejected row. Sends nothing.',
    usage: 'mobileid-sync plan [-c <file>] [-j <job>] [--json] [--all]',
    description:
      'Reads the sources and compares them with the last upload MIM accepted. Nothing is sent, no drop file is archived and no state changes. The exit code tells scripts whether a sync would change anything.',
    options: { ...COMMON_OPTIONS, all: { type: 'boolean' } },
    optionHelp: [...COMMON_OPTION_HELP, ALL],
    examples: [
      'mobileid-sync plan -c /etc/mobileid-sync/config.json5',
      'mobileid-sync plan -c config.json5 -j staff --all',
      'mobileid-sync plan -c config.json5 --json | jq .plan.counts',
    ],
    exitCodes: exitCodes(
      '0 nothing pending',
      '2 changes pending',
      '3 a sync would be blocked by the guard',
      X.usage,
      X.badFile,
      X.unavailable,
      X.state,
      X.config,
      X.interrupted,
    ),
    run: async (a) =>
      (await import('./commands/run-job.js')).runJobsCommand('plan', {
        ...common(a),
        all: bool(a, 'all'),
      }),
  },
  {
    name: 'sync',
    summary: 'Run once now: plan, guard, upload to MIM, record.',
    usage:
      'mobileid-sync sync [-c <file>] [-j <job>] [--json] [--all] [--allow-deletes <n>] [--accept-unknown-baseline]',
    description:
      'One run of each job, as the daemon would do it: read the sources, plan, check the guard, upload the full list to MIM (MIM deletes and e-mails everyone missing from it), and record what MIM accepted. A blocked run uploads nothing and prints the command that approves it.',
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
    examples: [
      'mobileid-sync sync -c config.json5 -j staff',
      'mobileid-sync sync -c config.json5 -j staff --allow-deletes 40',
      'mobileid-sync sync -c config.json5 -j staff --accept-unknown-baseline   # first push, after `plan`',
    ],
    exitCodes: exitCodes(
      '0 uploaded, or nothing to do',
      '3 blocked by the guard (nothing was sent)',
      X.usage,
      X.badData,
      X.unavailable,
      X.state,
      X.token,
      X.config,
      X.interrupted,
    ),
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
      'Approves one plan computed on one baseline, as the blocked run printed it. The approval expires after guard.approvalTtlHours and is voided by the first run whose plan differs; the next run (daemon or `sync`) pushes it.',
    options: { ...COMMON_OPTIONS, plan: { type: 'string' } },
    optionHelp: [...COMMON_OPTION_HELP, { flag: '--plan <id>', text: 'The plan id to approve (required).' }],
    examples: ['mobileid-sync approve staff --plan 3f2a9c1e -c config.json5'],
    exitCodes: exitCodes(
      '0 approved',
      '64 no such blocked plan, another plan id, or the plan is too old to approve (the message says which)',
      X.state,
      X.config,
    ),
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
    description:
      "Connects to each source (LDAP bind and search base, Entra sign-in and permissions, the drop folder and its newest file) and to MIM's base URL with the token, and prints what it found. Never calls MIM's sync endpoint and never archives a file.",
    options: COMMON_OPTIONS,
    optionHelp: COMMON_OPTION_HELP,
    examples: ['mobileid-sync check -c config.json5', 'mobileid-sync check -c config.json5 -j staff'],
    exitCodes: exitCodes(
      '0 all checks passed',
      X.usage,
      '69 a check failed (see its lines)',
      X.config,
      X.interrupted,
    ),
    run: async (a) => (await import('./commands/check.js')).checkCommand(common(a)),
  },
  {
    name: 'status',
    summary: "Each job's baseline, unknown-outcome uploads, plans awaiting approval, and recent runs.",
    usage: 'mobileid-sync status [-c <file>] [-j <job>] [--json] [--limit <n>]',
    description:
      'Reads the state directory only (no source, no MIM), so it answers while the daemon runs. Shows the commands that approve a waiting plan or restore a baseline.',
    options: { ...COMMON_OPTIONS, limit: { type: 'string' } },
    optionHelp: [
      ...COMMON_OPTION_HELP,
      { flag: '--limit <n>', text: 'Recent runs to show per job (default 10).' },
    ],
    examples: [
      'mobileid-sync status -c config.json5',
      'mobileid-sync status -c config.json5 -j staff --limit 30',
    ],
    exitCodes: exitCodes('0 shown', X.usage, X.state, X.config),
    run: async (a) =>
      (await import('./commands/status.js')).statusCommand({
        ...common(a),
        limit: nat(a, 'limit'),
      }),
  },
  {
    name: 'baseline list',
    summary: 'The accepted snapshots each job keeps (the newest 5) and whether each is intact.',
    usage: 'mobileid-sync baseline list [-c <file>] [-j <job>] [--json]',
    description:
      'The baseline is the last upload MIM accepted; the guard measures every plan against it. Each job keeps its newest accepted snapshots, for `baseline restore` after the state directory was lost or restored from a backup.',
    options: COMMON_OPTIONS,
    optionHelp: COMMON_OPTION_HELP,
    examples: [
      'mobileid-sync baseline list -c config.json5',
      'mobileid-sync baseline list -c config.json5 -j staff',
    ],
    exitCodes: exitCodes('0 listed', X.usage, X.state, X.config),
    run: async (a) => (await import('./commands/baseline.js')).baselineList(common(a)),
  },
  {
    name: 'baseline restore',
    summary: 'Make kept snapshot n the baseline again (voids approvals).',
    usage: 'mobileid-sync baseline restore <job> --seq <n> [-c <file>]',
    description:
      'Use it only when you know snapshot n is what MIM holds now (e.g. the state directory came back from an older backup). The current snapshot is kept beside it; any blocked plan or approval is voided. Run `plan` afterwards.',
    options: { ...COMMON_OPTIONS, seq: { type: 'string' } },
    optionHelp: [
      ...COMMON_OPTION_HELP,
      { flag: '--seq <n>', text: 'The kept snapshot to restore (see `baseline list`).' },
    ],
    examples: ['mobileid-sync baseline restore staff --seq 41 -c config.json5'],
    exitCodes: exitCodes(
      '0 restored',
      '64 no job or no --seq given',
      '74 no such snapshot, a damaged one, or the state directory cannot be written',
      X.config,
    ),
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
    description:
      "Reads the file, the environment overrides and the secret files, and checks every key as `run` would (admin listener exposure, cron expressions, drop folders). Contacts no server: use `check` for that. Fit for systemd's ExecStartPre=.",
    options: COMMON_OPTIONS,
    optionHelp: COMMON_OPTION_HELP,
    examples: ['mobileid-sync config validate -c /etc/mobileid-sync/config.json5'],
    exitCodes: exitCodes('0 valid', X.usage, X.config),
    run: async (a) => (await import('./commands/config.js')).configValidate(common(a)),
  },
  {
    name: 'config print',
    summary: 'The effective config (file + env + secret files), secrets masked.',
    usage: 'mobileid-sync config print [-c <file>]',
    description: 'Every key with its effective value after env overrides and defaults, as JSON.',
    options: COMMON_OPTIONS,
    optionHelp: COMMON_OPTION_HELP,
    examples: [
      'mobileid-sync config print -c config.json5',
      'mobileid-sync config print -c config.json5 | jq .jobs[0].guard',
    ],
    exitCodes: exitCodes('0 printed', X.usage, X.config),
    run: async (a) => (await import('./commands/config.js')).configPrint(common(a)),
  },
  {
    name: 'config docs',
    summary: 'The reference of every config key, generated from the schema (Markdown).',
    usage: 'mobileid-sync config docs',
    description: 'Each key with its meaning, format, default and environment variable. Reads no config.',
    options: {},
    optionHelp: [],
    examples: ['mobileid-sync config docs > config-reference.md'],
    exitCodes: exitCodes('0 printed', X.usage),
    run: async () => (await import('./commands/config.js')).configDocsCommand(),
  },
  {
    name: 'emulator',
    summary: 'Run a local MIM stand-in (for rehearsals and tests).',
    usage:
      'mobileid-sync emulator [--host <addr>] [--port <n>] [--project <name:token>]… [--auto-activate] [--data-file <f>]',
    description:
      "Answers MIM's sync endpoint like MIM does (whole-file validation, replacing sync, user statuses) and keeps the e-mails MIM would send in an outbox, so a config can be rehearsed on real data before it points at the real project. Inspect it at /_admin/projects/<project>/users, /outbox and /uploads.",
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
    examples: [
      'MOBILEID_SYNC_EMULATOR_TOKEN=secret mobileid-sync emulator --port 8080',
      'mobileid-sync emulator --project staff:s3cret --project guests:t0ken --data-file emu.json',
    ],
    exitCodes: exitCodes('0 stopped by Ctrl-C or SIGTERM', X.usage, '78 a --project without a token'),
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

/** A word that only names sub-commands (`config`, `baseline`), and those sub-commands. */
export interface CommandGroup {
  readonly group: string;
  readonly commands: readonly CommandSpec[];
}

export type Found = { spec: CommandSpec; rest: string[] } | CommandGroup | { unknown: string };

/** The sub-commands under `word`, if it names a group. */
export function commandGroup(word: string): CommandGroup | undefined {
  const commands = COMMANDS.filter((c) => c.name.startsWith(`${word} `));
  return commands.length > 0 ? { group: word, commands } : undefined;
}

/** The command named by argv's leading words, and argv without them. */
export function findCommand(argv: readonly string[]): Found | undefined {
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
  if (!spec) return commandGroup(first) ?? { unknown: first };
  const drop = new Set(two ? [words[0], words[1]] : [words[0]]);
  return { spec, rest: argv.filter((_, i) => !drop.has(i)) };
}

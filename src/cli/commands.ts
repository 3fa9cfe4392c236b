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
    summary:
      'The daemon: runs jobs on schedule, drop file, start-up, POST /jobs/<job>/run; SIGHUP reloads the config.',
    usage: 'mobileid-sync run [-c <file>] [-j <job>] [--log-level <level>]',
    description:
      "Runs until stopped (SIGTERM/SIGINT), as systemd or Docker starts it. Each job runs on its cron schedule, when a complete file lands in its drop folder, at start-up and on POST /jobs/<job>/run; never two runs of one job at a time. SIGHUP or POST /reload re-reads the config. Logs are JSON lines on stdout. The admin listener (loopback by default) serves the web console at / (approve a blocked plan, run a job, review each run's plan) and answers /healthz, /readyz, /metrics and /status. With `notify` set, blocked, failing and recovered jobs are notified by e-mail, Teams, Slack or a signed webhook.",
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
    usage: 'mobileid-sync plan [-c <file>] [-j <job>] [--json] [--all] [--explain <e-mail or Sync ID>]',
    description:
      'Reads the sources and compares them with the last upload MIM accepted. Nothing is sent, no drop file is archived and no state changes. The exit code tells scripts whether a sync would change anything. With --explain, shows one person: where each field came from and why they are in, out, rejected, carried forward or left out.',
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
      'mobileid-sync plan -c /etc/mobileid-sync/config.json5',
      'mobileid-sync plan -c config.json5 -j staff --all',
      'mobileid-sync plan -c config.json5 --json | jq .plan.counts',
      'mobileid-sync plan -c config.json5 --explain anna.schmidt@example.com',
    ],
    exitCodes: exitCodes(
      '0 nothing pending',
      '2 changes pending',
      '3 a sync would be blocked by the guard (also with --explain)',
      X.usage,
      X.badFile,
      X.unavailable,
      X.state,
      X.config,
      X.interrupted,
    ),
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
    name: 'notify test',
    summary: 'Send a test message on every configured notification channel now.',
    usage: 'mobileid-sync notify test [-c <file>]',
    description:
      'Sends one test message by e-mail, Teams, Slack and the webhook, as configured under `notify`, once each (no retry, no de-duplication), and prints what each receiver answered, or the error and its fix. Changes nothing in the state directory.',
    options: { config: COMMON_OPTIONS.config, 'log-level': COMMON_OPTIONS['log-level'] },
    optionHelp: COMMON_OPTION_HELP.filter((o) => /--config|--log-level/.test(o.flag)),
    examples: [
      'mobileid-sync notify test -c /etc/mobileid-sync/config.json5',
      'MOBILEID_SYNC_NOTIFY_EMAIL_TO=\'["me@example.org"]\' mobileid-sync notify test -c config.json5   # to yourself first',
    ],
    exitCodes: exitCodes(
      '0 delivered on every channel',
      '69 a channel failed (the line says why and the fix)',
      X.usage,
      '78 no channel configured, or a config error (the message names the key)',
    ),
    run: async (a) => (await import('./commands/notify.js')).notifyTestCommand(common(a)),
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
    name: 'import-task',
    summary: "Turn MIM's Auto-sync task (autosync_<project>.xml) into a config and a token file.",
    usage: 'mobileid-sync import-task <autosync_<project>.xml> [--out <dir>] [--force] [--base-url <url>]',
    description:
      "Reads the Windows Task Scheduler XML that MIM offers in the project's Auto-sync settings (UTF-16 or UTF-8), finds its upload (PowerShell Invoke-WebRequest/Invoke-RestMethod, -EncodedCommand, a -File script placed next to the XML, or curl.exe), and writes a config whose csv-folder source watches a drop folder for the CSV the task uploaded, plus the token in a file with mode 0600. Prints what it found (token masked) and the next commands. Writes nothing when something is missing.",
    options: {
      out: { type: 'string', short: 'o' },
      force: { type: 'boolean' },
      'base-url': { type: 'string' },
    },
    optionHelp: [
      {
        flag: '-o, --out <dir>',
        text: 'Folder for the config, token file, drop folder and state (default: the current folder).',
      },
      { flag: '--force', text: 'Replace an existing config or token file there.' },
      {
        flag: '--base-url <url>',
        text: "Use this MIM URL instead of the task's, e.g. the local emulator (http://127.0.0.1:8080) for a rehearsal.",
      },
    ],
    examples: [
      'mobileid-sync import-task autosync_HeadOffice.xml --out /etc/mobileid-sync',
      'mobileid-sync import-task autosync_HeadOffice.xml --out ./rehearsal --base-url http://127.0.0.1:8080',
    ],
    exitCodes:
      "0 written, 64 usage, 65 the file is not MIM's Auto-sync task or something is missing (the message says what), 74 a file cannot be written, 78 a file exists (use --force).",
    run: async (a) =>
      (await import('./commands/import-task.js')).importTaskCommand({
        file: a.positionals[0],
        out: str(a, 'out') ?? '.',
        force: bool(a, 'force'),
        baseUrl: str(a, 'base-url'),
      }),
  },
  {
    name: 'init',
    summary: 'Set up a job: asks for source, MIM project and token, tests them live, writes the config.',
    usage:
      'mobileid-sync init [--non-interactive --source csv-folder|ldap|entra <source flags> --project <name> --token-file <f>|--token-env <VAR>] [--out <dir>] [--force]',
    description:
      'Without --non-interactive it asks on the terminal (flags given become the defaults). The answers are loaded like `config validate` and tested like `check` before anything is written; then it writes <out>/mobileid-sync.json5 and the secret files (mode 0600) and prints the next commands. Secrets are never flag values: a command line is visible to other users (ps) and kept in shell history, so every secret flag names a file or an environment variable. A secret read from an env var is written to a file next to the config; a secret file is named by the config as it is.',
    options: {
      'non-interactive': { type: 'boolean' },
      source: { type: 'string' },
      'drop-folder': { type: 'string' },
      'ldap-url': { type: 'string', multiple: true },
      'bind-dn': { type: 'string' },
      'bind-password-file': { type: 'string' },
      'bind-password-env': { type: 'string' },
      'base-dn': { type: 'string', multiple: true },
      preset: { type: 'string' },
      'tenant-id': { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret-file': { type: 'string' },
      'client-secret-env': { type: 'string' },
      'mim-url': { type: 'string' },
      project: { type: 'string' },
      'token-file': { type: 'string' },
      'token-env': { type: 'string' },
      // Declared only to refuse them with the reason (a secret on the command line).
      token: { type: 'string' },
      'bind-password': { type: 'string' },
      'client-secret': { type: 'string' },
      out: { type: 'string' },
      'state-dir': { type: 'string' },
      job: { type: 'string', short: 'j' },
      force: { type: 'boolean' },
      'skip-check': { type: 'boolean' },
      'log-level': { type: 'string' },
    },
    optionHelp: [
      {
        flag: '--non-interactive',
        text: 'Take every answer from the flags below; ask nothing (scripts, Ansible).',
      },
      { flag: '--source <kind>', text: 'csv-folder, ldap or entra.' },
      { flag: '--drop-folder <dir>', text: 'csv-folder: the folder the exports land in.' },
      {
        flag: '--ldap-url <url>',
        text: 'ldap: ldaps://host[:port] or ldap://…; repeat (or comma-separate) for fail-over.',
      },
      { flag: '--preset <ad|openldap>', text: 'ldap: Active Directory / Samba AD, or OpenLDAP.' },
      { flag: '--bind-dn <dn>', text: 'ldap: the DN to bind as (omit for an anonymous bind).' },
      {
        flag: '--bind-password-file <f>',
        text: 'ldap: a file holding the bind password (or --bind-password-env <VAR>).',
      },
      { flag: '--base-dn <dn>', text: 'ldap: a search base; repeatable.' },
      { flag: '--tenant-id <id>', text: 'entra: the directory (tenant) ID.' },
      { flag: '--client-id <id>', text: "entra: the app registration's application (client) ID." },
      {
        flag: '--client-secret-file <f>',
        text: "entra: a file holding the app's client secret (or --client-secret-env <VAR>).",
      },
      { flag: '--mim-url <url>', text: 'Mobile ID Manager base URL (default https://mobile-id.baltech.de).' },
      { flag: '--project <name>', text: 'The MIM project name.' },
      {
        flag: '--token-file <f>',
        text: "A file holding the project's Auto-sync token (or --token-env <VAR>). Never --token <value>: see above.",
      },
      {
        flag: '--out <dir>',
        text: 'Where the config and secret files go (default ./config, where the CLI looks without -c).',
      },
      { flag: '--state-dir <dir>', text: 'State folder of the job (default <out>/state).' },
      { flag: '-j, --job <name>', text: 'Name of the job (default main).' },
      { flag: '--force', text: 'Replace a config or secret file that exists already.' },
      {
        flag: '--skip-check',
        text: 'Write without testing the source and MIM live (the config is still validated).',
      },
      COMMON_OPTION_HELP[3]!,
    ],
    examples: [
      'mobileid-sync init',
      'mobileid-sync init --non-interactive --source csv-folder --drop-folder /srv/drop --project "Head Office" --token-file /run/secrets/mim_token --out /etc/mobileid-sync',
      'mobileid-sync init --non-interactive --source ldap --preset ad --ldap-url ldaps://dc1.corp.example --bind-dn svc-sync@corp.example --bind-password-env LDAP_PW --base-dn OU=Staff,DC=corp,DC=example --project "Head Office" --token-env MIM_TOKEN',
    ],
    exitCodes:
      '0 written, 64 a required flag is missing or a secret was given as a value, 69 a source or MIM failed the live check (nothing written), 74 a file could not be written (nothing left behind), 78 the answers make no valid config, or the files exist (use --force), 130 quit (nothing written).',
    run: async (a) =>
      (await import('./commands/init.js')).initCommand({
        flags: a.values,
        nonInteractive: bool(a, 'non-interactive'),
        force: bool(a, 'force'),
        skipCheck: bool(a, 'skip-check'),
        logLevel: str(a, 'log-level'),
      }),
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

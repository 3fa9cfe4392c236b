/**
 * The shape of one CLI command: its own options, its own `--help` (usage, options, examples, exit
 * codes) and a `run` that imports the implementation only when the command runs, so the table
 * itself stays light (`--help` must not load a source library, issue 14).
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
export type ArgValue = string | boolean | string[] | boolean[] | undefined;

export interface ParsedCommand {
  readonly values: Readonly<Record<string, ArgValue>>;
  readonly positionals: readonly string[];
}

export interface OptionHelp {
  /** As the user types it: `-c, --config <file>`. */
  readonly flag: string;
  readonly text: string;
}

export interface CommandSpec {
  /** `plan`, or `config validate` for a sub-command. */
  readonly name: string;
  /** One line for the general help. */
  readonly summary: string;
  /** `mobileid-sync plan [-c <file>] [-j <job>] [--json] [--all]` */
  readonly usage: string;
  /** What the command does, a few lines. */
  readonly description?: string;
  /** This command's own options (the common ones below are added by `commonOptions`). */
  readonly options: OptionsConfig;
  readonly optionHelp: readonly OptionHelp[];
  readonly examples: readonly string[];
  /** `0 nothing pending, 2 changes pending, …` */
  readonly exitCodes: string;
  readonly run: (args: ParsedCommand) => Promise<number>;
}

/** Options every job-reading command takes. */
export const COMMON_OPTIONS = {
  config: { type: 'string', short: 'c' },
  job: { type: 'string', short: 'j' },
  json: { type: 'boolean' },
  'log-level': { type: 'string' },
} as const satisfies OptionsConfig;

export const COMMON_OPTION_HELP: readonly OptionHelp[] = [
  {
    flag: '-c, --config <file>',
    text: 'Config file (JSON5/JSON). Default: $MOBILEID_SYNC_CONFIG, then /etc/mobileid-sync/config.json5, then ./config/mobileid-sync.json5.',
  },
  { flag: '-j, --job <name>', text: 'Only this job (default: all jobs).' },
  { flag: '--json', text: 'Machine-readable output on stdout.' },
  {
    flag: '--log-level <level>',
    text: 'fatal|error|warn|info|debug|trace (CLI default: fatal; JSON logs go to stderr).',
  },
];

/** A wrong command line; `command` (`plan`, `config`) names whose `--help` to point at. */
export class UsageError extends Error {
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}

export function parseCommand(spec: CommandSpec, argv: readonly string[]): ParsedCommand {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { ...spec.options, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  return { values, positionals };
}

export function str(args: ParsedCommand, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function bool(args: ParsedCommand, name: string): boolean {
  return args.values[name] === true;
}

/** A flag that must be a whole number. */
export function nat(args: ParsedCommand, name: string): number | undefined {
  const value = str(args, name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} needs a whole number, got "${value}"`);
  return Number(value);
}

function wrap(text: string, indent: number, width = 100): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width - indent) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** `mobileid-sync <command> --help`. */
export function formatCommandHelp(spec: CommandSpec): string {
  const out = [`mobileid-sync ${spec.name} — ${spec.summary}`, '', `Usage: ${spec.usage}`];
  if (spec.description) out.push('', ...wrap(spec.description, 0));
  out.push('', 'Options:');
  for (const o of [...spec.optionHelp, { flag: '-h, --help', text: 'This help.' }]) {
    const [first = '', ...rest] = wrap(o.text, 28);
    out.push(`  ${o.flag.padEnd(24)}${o.flag.length >= 24 ? `\n${' '.repeat(26)}` : ''}${first}`);
    for (const r of rest) out.push(`${' '.repeat(26)}${r}`);
  }
  if (spec.examples.length) out.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  out.push('', 'Exit codes:');
  for (const [code, text] of exitCodeList(spec.exitCodes)) {
    const [first = '', ...rest] = wrap(text, 8);
    out.push(`  ${code.padEnd(6)}${first}`, ...rest.map((r) => `${' '.repeat(8)}${r}`));
  }
  return out.join('\n');
}

/** `0 ok, 64 usage.` → [['0', 'ok'], ['64', 'usage']]: one line per code in the help. */
export function exitCodeList(text: string): [code: string, meaning: string][] {
  return text
    .replace(/\.$/, '')
    .split(/[,;] (?=\d+ )/)
    .map((part): [string, string] => {
      const m = /^(\d+) (.*)$/s.exec(part.trim());
      return m ? [m[1]!, m[2]!] : ['', part.trim()];
    });
}

/** `mobileid-sync config --help`: a word that only groups sub-commands lists them. */
export function formatGroupHelp(group: string, commands: readonly CommandSpec[]): string {
  const subs = commands.map((c) => c.name.slice(group.length + 1));
  const width = Math.max(...subs.map((n) => n.length)) + 2;
  return [
    `mobileid-sync ${group} — ${subs.join(', ')}`,
    '',
    `Usage: mobileid-sync ${group} <${subs.join('|')}> [options]`,
    '',
    'Commands:',
    ...commands.map((c, i) => `  ${subs[i]!.padEnd(width)}${c.summary}`),
    '',
    `Run \`mobileid-sync ${group} <command> --help\` for its options, examples and exit codes.`,
  ].join('\n');
}

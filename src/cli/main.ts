#!/usr/bin/env node
/**
 * The `mobileid-sync` command. Parses arguments, dispatches to a command, turns a SyncError into
 * its message, fix and exit code. Commands live in cli/commands/, each imported only when it
 * runs: `--help` loads nothing else, `status` no source library, `plan` no daemon (issue 14).
 */
import { isSyncError } from '../core/errors.js';
import { installStdioScrubber, scrubSecrets } from '../core/secrets.js';
import { formatCommandHelp, formatGroupHelp, parseCommand, UsageError } from './command.js';
import { COMMANDS, type Found, findCommand } from './commands.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { invocation, repeatInvocation } from './hint.js';

function generalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)} ${c.summary}`);
  return `mobileid-sync — keep a BALTECH Mobile ID Manager project's users equal to a directory

Usage: mobileid-sync <command> [options]
       mobileid-sync <command> --help     (that command's options, examples and exit codes)

Commands:
${lines.join('\n')}

Common options:
  -c, --config <file>  Config file (JSON5/JSON). Default: $MOBILEID_SYNC_CONFIG, then
                       /etc/mobileid-sync/config.json5, then ./config/mobileid-sync.json5.
  -j, --job <name>     Only this job (default: all jobs).
      --json           Machine-readable output on stdout.
      --log-level <l>  fatal|error|warn|info|debug|trace (CLI default: fatal; JSON logs go to stderr).
  -h, --help           This help.    -V, --version   The version.

Exit codes: 0 ok, 2 changes pending (plan), 3 blocked by the guard, 64 usage, 65 bad input data or
MIM rejected the file, 69 source or MIM unavailable, 74 state I/O, 77 MIM refused the token,
78 config error, 130 interrupted.

Docs: README.md (operating, troubleshooting), docs/config-reference.md (every key).`;
}

function helpFor(found: Found): string {
  return 'spec' in found
    ? formatCommandHelp(found.spec)
    : 'group' in found
      ? formatGroupHelp(found.group, found.commands)
      : generalHelp();
}

async function dispatch(argv: string[]): Promise<number> {
  const found = findCommand(argv);
  const helpAsked = argv.includes('--help') || argv.includes('-h');
  if (found === undefined) {
    if (argv.includes('--version') || argv.includes('-V')) {
      process.stdout.write(`${await (await import('./version.js')).packageVersion()}\n`);
      return EXIT.ok;
    }
    process.stdout.write(`${generalHelp()}\n`);
    return helpAsked ? EXIT.ok : EXIT.usage;
  }
  if ('unknown' in found) {
    if (found.unknown !== 'help') throw new UsageError(`unknown command "${found.unknown}"`);
    // `help <command>`: the words after `help` name the topic.
    const topic = findCommand(argv.filter((a) => a !== 'help'));
    if (topic && 'unknown' in topic) throw new UsageError(`unknown command "${topic.unknown}"`);
    process.stdout.write(`${topic ? helpFor(topic) : generalHelp()}\n`);
    return EXIT.ok;
  }
  if ('group' in found) {
    if (helpAsked) {
      process.stdout.write(`${helpFor(found)}\n`);
      return EXIT.ok;
    }
    const subs = found.commands.map((c) => c.name.slice(found.group.length + 1));
    throw new UsageError(`${found.group} needs one of: ${subs.join(', ')}`, found.group);
  }
  if (helpAsked) {
    process.stdout.write(`${helpFor(found)}\n`);
    return EXIT.ok;
  }
  try {
    return await found.spec.run(parseCommand(found.spec, found.rest));
  } catch (e) {
    if (isParseArgsError(e) || (e instanceof UsageError && e.command === undefined))
      throw new UsageError(e.message, found.spec.name);
    throw e;
  }
}

function isParseArgsError(e: unknown): e is TypeError {
  return e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS');
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
    if (e instanceof UsageError || isParseArgsError(e)) {
      const command = e instanceof UsageError && e.command ? `${e.command} ` : '';
      printError(`mobileid-sync: ${e.message}\nRun \`mobileid-sync ${command}--help\` for usage.\n`);
      return EXIT.usage;
    }
    if (isSyncError(e)) {
      const fix = repeatInvocation(e.fix, invocation(argv));
      printError(`mobileid-sync: ${e.message}\n  where: ${e.place ?? '-'}\n  fix:   ${fix}\n`);
      return exitCodeFor(e.code);
    }
    printError(
      `mobileid-sync: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    return EXIT.internal;
  }
}

// Not a top-level await: the installed program is this module bundled as CommonJS (scripts/bundle.mjs).
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});

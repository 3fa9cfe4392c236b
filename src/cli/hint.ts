/**
 * Hints name commands to run next; each repeats the `-c` / `-j` the run was given, so it can be
 * copied as is (issue 11). Light: main.ts uses it on every error, `--help` included.
 */
import { parseArgs } from 'node:util';
import { findCommand } from './commands.js';
import { shellQuote } from './quote.js';

/** The `-c` / `-j` of a command line, as far as they can be read (a usage error reads none). */
export function invocation(argv: readonly string[]): { config?: string; job?: string } {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: { config: { type: 'string', short: 'c' }, job: { type: 'string', short: 'j' } },
      strict: false,
      allowPositionals: true,
    });
    return {
      ...(typeof values.config === 'string' ? { config: values.config } : {}),
      ...(typeof values.job === 'string' ? { job: values.job } : {}),
    };
  } catch {
    return {};
  }
}

/**
 * Adds the run's `-c` / `-j` to each `` `mobileid-sync <command> …` `` in a message that lacks
 * them and whose command takes them. Hints with placeholders (`<job>`) are left for the reader.
 */
export function repeatInvocation(text: string, given: { config?: string; job?: string }): string {
  return text.replace(/`mobileid-sync ([^`<]*)`/g, (whole, args: string) => {
    const words = args.trim().split(/\s+/);
    const found = findCommand(words);
    if (!found || !('spec' in found)) return whole;
    const takes = found.spec.options;
    let extra = '';
    if (given.config && 'config' in takes && !/(^|\s)(-c|--config)(\s|=|$)/.test(args))
      extra += ` -c ${shellQuote(given.config)}`;
    if (given.job && 'job' in takes && !/(^|\s)(-j|--job)(\s|=|$)/.test(args)) extra += ` -j ${given.job}`;
    return `\`mobileid-sync ${args.trim()}${extra}\``;
  });
}

/**
 * The command table as a user meets it: the command is found wherever the options stand, each
 * command's help names its usage, options and exit codes, and a wrong flag is refused.
 */
import { describe, expect, it } from 'vitest';
import { formatCommandHelp, formatGroupHelp, nat, parseCommand, str, UsageError } from './command.js';
import { COMMANDS, commandGroup, findCommand } from './commands.js';

function spec(name: string) {
  const found = COMMANDS.find((c) => c.name === name);
  if (!found) throw new Error(`no command ${name}`);
  return found;
}

describe('findCommand', () => {
  it('finds the command before or after the options, and keeps the rest for that command', () => {
    const a = findCommand(['-c', 'my plan.json5', 'plan', '--all']);
    expect(a && 'spec' in a && a.spec.name).toBe('plan');
    expect(a && 'rest' in a && a.rest).toEqual(['-c', 'my plan.json5', '--all']);
    const b = findCommand(['sync', '-j', 'staff']);
    expect(b && 'spec' in b && b.spec.name).toBe('sync');
  });
  it('finds two-word commands and keeps their positional arguments', () => {
    const r = findCommand(['baseline', 'restore', 'staff', '--seq', '4']);
    expect(r && 'spec' in r && r.spec.name).toBe('baseline restore');
    expect(r && 'rest' in r && r.rest).toEqual(['staff', '--seq', '4']);
    const a = findCommand(['approve', 'main', '--plan', 'abc']);
    expect(a && 'rest' in a && a.rest).toEqual(['main', '--plan', 'abc']);
  });
  it('names a group without its sub-command, and an unknown word', () => {
    expect(findCommand(['config'])).toMatchObject({ group: 'config' });
    expect(commandGroup('baseline')?.commands.map((c) => c.name)).toEqual([
      'baseline list',
      'baseline restore',
    ]);
    expect(findCommand(['frobnicate'])).toEqual({ unknown: 'frobnicate' });
    expect(findCommand(['--json'])).toBeUndefined();
  });
});

describe('each command has its own help', () => {
  it.each(COMMANDS.map((c) => c.name))('%s --help shows usage, examples and exit codes', (name) => {
    const text = formatCommandHelp(spec(name));
    expect(text).toContain(`mobileid-sync ${name} — `);
    expect(text).toContain('Usage: mobileid-sync');
    expect(text).toMatch(/Exit codes:/);
    expect(text).toContain('-h, --help');
    for (const o of spec(name).optionHelp) expect(text).toContain(o.flag);
  });
  it('a group lists its sub-commands', () => {
    const group = commandGroup('config');
    expect(group).toBeDefined();
    const text = formatGroupHelp('config', group?.commands ?? []);
    for (const sub of ['validate', 'print', 'docs']) expect(text).toMatch(new RegExp(`^  ${sub} `, 'm'));
  });
});

describe('options', () => {
  it('reads the options a command declares', () => {
    const args = parseCommand(spec('sync'), ['-c', 'x.json5', '--allow-deletes', '12']);
    expect(str(args, 'config')).toBe('x.json5');
    expect(nat(args, 'allow-deletes')).toBe(12);
  });
  it('refuses an option the command does not have, and a number that is not whole', () => {
    expect(() => parseCommand(spec('status'), ['--allow-deletes', '3'])).toThrow(/Unknown option/);
    const args = parseCommand(spec('sync'), ['--allow-deletes', 'ten']);
    expect(() => nat(args, 'allow-deletes')).toThrow(UsageError);
  });
});

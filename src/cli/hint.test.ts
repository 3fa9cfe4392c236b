import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { invocation, repeatInvocation } from './hint.js';
import { shellQuote } from './quote.js';

describe('shellQuote', () => {
  it('gives back every path unchanged through sh', () => {
    for (const word of [
      'plain/path.json5',
      'my configs/a.json5',
      "site's.json5",
      '$HOME `x` "q" \\ *',
      'ä ö',
    ]) {
      const echoed = execFileSync('/bin/sh', ['-c', `printf %s ${shellQuote(word)}`], { encoding: 'utf8' });
      expect(echoed).toBe(word);
    }
    expect(shellQuote('/etc/mobileid-sync/config.json5')).toBe('/etc/mobileid-sync/config.json5');
  });
});

describe('repeatInvocation', () => {
  const given = invocation([
    'baseline',
    'restore',
    'main',
    '--seq',
    '9',
    '-c',
    'my dir/c.json5',
    '-j',
    'main',
  ]);

  it("adds the run's -c and -j to a command hint that lacks them", () => {
    expect(repeatInvocation('Run `mobileid-sync baseline list` to see them.', given)).toBe(
      "Run `mobileid-sync baseline list -c 'my dir/c.json5' -j main` to see them.",
    );
  });

  it('leaves hints with placeholders, prose and commands that take no config alone', () => {
    for (const text of [
      'Run `mobileid-sync approve <job> --plan <id>` as printed.',
      '`mobileid-sync config docs` lists every key.',
      'Put only the token itself; mobileid-sync sends the "Bearer " prefix.',
      'Run `mobileid-sync plan -c x.json5 --job main` again.',
    ])
      expect(repeatInvocation(text, given)).toBe(text);
  });
});

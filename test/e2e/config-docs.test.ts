/** docs/config-reference.md is generated from the schema; this keeps the committed copy current. */
import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

it('docs/config-reference.md matches `mobileid-sync config docs` (regenerate with npm run docs:config)', async () => {
  const r = await runCli(['config', 'docs']);
  expect(r.code).toBe(0);
  expect(await readFile('docs/config-reference.md', 'utf8')).toBe(r.stdout);
});

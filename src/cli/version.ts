/**
 * The installed package's version, read from its package.json. Two folders up from this module
 * both where tsc puts it (dist/cli/) and where the bundle's chunks sit (dist/bin/), and from
 * src/cli/ in the tests.
 */
import { readFile } from 'node:fs/promises';

export async function packageVersion(): Promise<string> {
  const text = await readFile(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

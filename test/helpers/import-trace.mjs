// `node --import ./test/helpers/import-trace.mjs …`: appends every module the process loaded to
// $IMPORT_TRACE as file: URLs, so a test can see what a command loaded (help.test.ts: `--help`
// stays light; light-commands.test.ts).
//
// Two ways in: ES modules through a resolve hook, and require() (the bundled CLI's chunks and the
// CommonJS packages), which Node 20's module hooks do not see, through require's cache at exit.
// A chunk of the bundle (dist/bin/*.cjs) is listed as the tsc modules its source map names
// (dist/cli/main.js, …), so a test names our own modules the same way for the bundle and for
// tsc's per-file build; a chunk without a map (rolldown's runtime helpers) holds none of ours.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

register(
  `data:text/javascript,${encodeURIComponent(`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  // The bundle's entry: listed at exit, with its chunks, as the modules it holds.
  if (/\\/bin\\/[^/]+\\.cjs$/.test(r.url)) return r;
  if (process.env.IMPORT_TRACE) appendFileSync(process.env.IMPORT_TRACE, r.url + '\\n');
  return r;
}`)}`,
  import.meta.url,
);

const requireCache = createRequire(import.meta.url).cache;

/** A loaded file as the modules it stands for. */
function modulesOf(file) {
  if (path.basename(path.dirname(file)) !== 'bin' || !file.endsWith('.cjs'))
    return [pathToFileURL(file).href];
  const map = `${file}.map`;
  if (!existsSync(map)) return [];
  const { sources } = JSON.parse(readFileSync(map, 'utf8'));
  return sources.map((s) => pathToFileURL(path.resolve(path.dirname(file), s)).href);
}

process.on('exit', () => {
  const out = process.env.IMPORT_TRACE;
  if (!out) return;
  const urls = Object.keys(requireCache).flatMap(modulesOf);
  if (urls.length > 0) appendFileSync(out, `${urls.join('\n')}\n`);
});

// `node --import ./test/helpers/import-trace.mjs …`: appends every module URL the process resolves
// to $IMPORT_TRACE, so a test can see what a command loaded (help.test.ts: `--help` stays light).
import { register } from 'node:module';

register(
  `data:text/javascript,${encodeURIComponent(`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (process.env.IMPORT_TRACE) appendFileSync(process.env.IMPORT_TRACE, r.url + '\\n');
  return r;
}`)}`,
  import.meta.url,
);

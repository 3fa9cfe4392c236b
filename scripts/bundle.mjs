#!/usr/bin/env node
/**
 * The second half of `npm run build`: bundles tsc's output from dist/cli/main.js into the program
 * that is installed and run, dist/bin/mobileid-sync.cjs, plus one chunk per lazily imported part
 * (each command, each source kind, the daemon) beside it in dist/bin/.
 *
 * Why (issue 14, bench/cold-start.mjs): Node 20 loads each of the ~60 ES modules `status` needs
 * through its asynchronous ESM loader, which cost ~45 ms of a ~210 ms `status`; the same code as
 * CommonJS chunks loads in a few synchronous require() calls. Every CLI run and every e2e test
 * that starts the CLI gains it.
 *
 * Packages and Node's built-ins stay outside the bundle as require()/import() of node_modules:
 * their own loading stays as their authors ship it (pino's worker files, undici's files), and
 * ES-only packages (chokidar, ldapts) load through require(esm), which Node >= 20.19 has on by
 * default. dist/ keeps tsc's per-file modules for the benches, the demo and the emulator.
 */
import { chmodSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'dist', 'bin');
const entry = 'mobileid-sync';

/** A bare specifier (`convict`, `node:fs`, `undici/lib/…`) names a package or a built-in. */
const isPackage = (id) => !id.startsWith('.') && !path.isAbsolute(id);

rmSync(outDir, { recursive: true, force: true });
const out = await build({
  input: { [entry]: path.join(root, 'dist', 'cli', 'main.js') },
  platform: 'node',
  external: isPackage,
  logLevel: 'warn',
  output: {
    dir: outDir,
    format: 'cjs',
    entryFileNames: '[name].cjs',
    chunkFileNames: '[name]-[hash].cjs',
    sourcemap: true,
    // tsc's ES modules are strict code; CommonJS is not unless it says so.
    strict: true,
  },
});
const main = path.join(outDir, `${entry}.cjs`);
chmodSync(main, 0o755);
const chunks = out.output.filter((o) => o.type === 'chunk');
const kb = Math.round(chunks.reduce((s, c) => s + c.code.length, 0) / 1024);
console.log(`${path.relative(root, main)}: ${chunks.length} files, ${kb} KB`);

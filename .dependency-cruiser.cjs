// ARCHITECTURE.md's import invariants, checked by `npm run lint` (and so by CI):
// `depcruise src --config .dependency-cruiser.cjs`. Each rule names the invariant it keeps; a
// violation names the importing file and the import.

// Tests may import anything: the rules are about the code that ships in dist/.
const TEST = '\\.test\\.ts$';

// The pure modules: plain data in, plain data out (no I/O, no clock, no logger).
const PURE = ['^src/core/', '^src/pipeline/', '^src/state/baseline\\.ts$', '^src/sinks/mim/outcome\\.ts$'];

// What does I/O: Node's file, network, process and OS modules and the packages that wrap them.
const IO_BUILTINS = [
  'fs',
  'fs/promises',
  'net',
  'tls',
  'dgram',
  'dns',
  'dns/promises',
  'http',
  'https',
  'http2',
  'child_process',
  'cluster',
  'worker_threads',
  'os',
  'readline',
];
const IO_PACKAGES = [
  'undici',
  'ldapts',
  'pino',
  'chokidar',
  'node-cron',
  '@microsoft/microsoft-graph-client',
  'proper-lockfile',
];
const IO_MODULES = [`^(node:)?(${IO_BUILTINS.join('|')})$`, `(^|/)node_modules/(${IO_PACKAGES.join('|')})/`];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'pure-no-io',
      comment:
        'pipeline/, core/, state/baseline.ts and sinks/mim/outcome.ts are pure: they import nothing ' +
        'that does I/O (a type-only import is erased at compile time and allowed). Do the I/O in run/ ' +
        'or the source/sink, and hand the pure code plain data.',
      severity: 'error',
      from: { path: PURE, pathNot: TEST },
      to: { path: IO_MODULES, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'pure-no-effectful-layers',
      comment:
        'The pure modules never import the layers that do effects (state/ other than baseline.ts, ' +
        'sources/, sinks/ other than mim/outcome.ts, run/, daemon/, cli/, telemetry/, emulator/), not ' +
        'even for a type: move the shared type down into core/ or pipeline/.',
      severity: 'error',
      from: { path: PURE, pathNot: TEST },
      to: {
        path: '^src/(state|sources|sinks|run|daemon|cli|telemetry|emulator)/',
        pathNot: ['^src/state/baseline\\.ts$', '^src/sinks/mim/outcome\\.ts$'],
      },
    },
    {
      name: 'pure-config-types-only',
      comment:
        'The pure modules take configuration as data: from config/ they import types only (config/ ' +
        'loads files).',
      severity: 'error',
      from: { path: PURE, pathNot: TEST },
      to: { path: '^src/config/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'core-imports-only-core',
      comment: 'core/ holds the contracts everything else builds on; it imports nothing else from src/.',
      severity: 'error',
      from: { path: '^src/core/', pathNot: TEST },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'only-the-sink-talks-to-mim',
      comment:
        'Only src/sinks/mim/ talks to MIM: everything else goes through the Sink (core/sink.ts), never ' +
        'the MIM client.',
      severity: 'error',
      from: { pathNot: ['^src/sinks/mim/', TEST] },
      to: { path: '^src/sinks/mim/client\\.ts$' },
    },
    {
      name: 'cli-no-http-client',
      comment: 'The CLI sends no HTTP request of its own: `check` and `sync` go through the Sink.',
      severity: 'error',
      from: { path: '^src/cli/', pathNot: TEST },
      to: { path: '(^|/)node_modules/undici/' },
    },
    {
      name: 'sources-not-up',
      comment:
        'A source kind knows only its contract (core/source.ts), never who runs it (run/, daemon/, cli/).',
      severity: 'error',
      from: { path: '^src/sources/', pathNot: TEST },
      to: { path: '^src/(daemon|cli|run)/' },
    },
    {
      name: 'config-not-to-sources',
      comment:
        'Config loading is handed the registry of source kinds (SourceRegistry); it never imports sources/.',
      severity: 'error',
      from: { path: '^src/config/', pathNot: TEST },
      to: { path: '^src/sources/' },
    },
    {
      name: 'telemetry-not-up',
      comment:
        'Logging and metrics take plain data; they never import what they observe (pipeline/, run/, ' +
        'daemon/, cli/).',
      severity: 'error',
      from: { path: '^src/telemetry/', pathNot: TEST },
      to: { path: '^src/(pipeline|run|daemon|cli)/' },
    },
    {
      name: 'daemon-not-to-source-kinds',
      comment:
        "The daemon knows no source kind: what to watch comes from the SourceDefinition's `watches` " +
        'hook, reached through the registry.',
      severity: 'error',
      from: { path: '^src/daemon/', pathNot: TEST },
      to: { path: '^src/sources/[^/]+/' },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles: the layers read one way.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'src-not-to-test',
      comment: 'Shipped code never imports from test/ (only *.test.ts files may).',
      severity: 'error',
      from: { path: '^src/', pathNot: TEST },
      to: { path: '^test/' },
    },
    {
      name: 'shipped-not-to-dev-deps',
      comment:
        'Everything in src/ but its tests ships in dist/, where devDependencies (vitest, fast-check) are ' +
        'not installed: test helpers belong in test/helpers/.',
      severity: 'error',
      from: { path: '^src/', pathNot: TEST },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-orphans',
      comment: 'A module nothing imports and that imports nothing is probably dead code.',
      severity: 'warn',
      from: {
        orphan: true,
        pathNot: [TEST, '\\.d\\.ts$', '(^|/)\\.[^/]+\\.(js|cjs|mjs|ts|json)$'],
      },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Keep `import type` edges (marked type-only) so a type pulled from a higher layer counts too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};

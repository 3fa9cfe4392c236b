// ARCHITECTURE.md's import invariants, checked by `npm run lint` (and so by CI):
// `depcruise src --config .dependency-cruiser.cjs`. Each rule names the invariant it keeps; a
// violation names the importing file and the import.

// Tests may import anything: the rules are about the code that ships in dist/.
const TEST = '\\.test\\.ts$';

// The pure modules: plain data in, plain data out (no I/O, no clock, no logger).
const PURE = [
  '^src/core/',
  '^src/pipeline/',
  '^src/mapping/',
  '^src/state/baseline\\.ts$',
  '^src/sinks/mim/outcome\\.ts$',
];

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

// notify/ is pure but for its channels, dispatcher and store (which send and write). It reads the
// run's report and history as types, and masks e-mails with telemetry/mask.ts (itself pure).
const NOTIFY_PURE = '^src/notify/';
const NOTIFY_EFFECTS = [
  '^src/notify/channels/',
  '^src/notify/dispatcher\\.ts$',
  '^src/notify/store\\.ts$',
  TEST,
];

// An error about the code that ships: files under `from` (tests excluded) must not import `to`.
function shipped(name, from, to, comment) {
  return { name, comment, severity: 'error', from: { path: from, pathNot: TEST }, to };
}

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    shipped(
      'pure-no-io',
      PURE,
      { path: IO_MODULES, dependencyTypesNot: ['type-only'] },
      'pipeline/, core/, state/baseline.ts and sinks/mim/outcome.ts are pure: they import nothing that ' +
        'does I/O (a type-only import is erased at compile time and allowed). Do the I/O in run/ or the ' +
        'source/sink, and hand the pure code plain data.',
    ),
    shipped(
      'pure-no-effectful-layers',
      PURE,
      {
        path: '^src/(state|sources|sinks|http|run|daemon|cli|telemetry|emulator)/',
        pathNot: ['^src/state/baseline\\.ts$', '^src/sinks/mim/outcome\\.ts$'],
      },
      'The pure modules never import the layers that do effects (state/ other than baseline.ts, ' +
        'sources/, sinks/ other than mim/outcome.ts, run/, daemon/, cli/, telemetry/, emulator/), not ' +
        'even for a type: move the shared type down into core/ or pipeline/.',
    ),
    shipped(
      'pure-config-types-only',
      PURE,
      { path: '^src/config/', dependencyTypesNot: ['type-only'] },
      'The pure modules take configuration as data: from config/ (which loads files) they import types only.',
    ),
    {
      name: 'notify-pure-no-io',
      comment:
        'notify/ (but channels/, dispatcher.ts, store.ts) decides and formats: it imports nothing that does ' +
        'I/O. Sending belongs in notify/channels/, files in notify/store.ts.',
      severity: 'error',
      from: { path: NOTIFY_PURE, pathNot: NOTIFY_EFFECTS },
      to: { path: IO_MODULES, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'notify-pure-types-only-from-effects',
      comment:
        'The pure part of notify/ takes the run report, history and config as data: from the effect ' +
        'layers it imports types only (telemetry/mask.ts, pure, is the exception).',
      severity: 'error',
      from: { path: NOTIFY_PURE, pathNot: NOTIFY_EFFECTS },
      to: {
        path: '^src/(config|state|sources|sinks|http|run|daemon|cli|telemetry|emulator)/',
        pathNot: '^src/telemetry/mask\\.ts$',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'notify-pure-not-to-notify-effects',
      comment: 'The pure part of notify/ never imports the channels, dispatcher or store (they import it).',
      severity: 'error',
      from: { path: NOTIFY_PURE, pathNot: NOTIFY_EFFECTS },
      to: { path: NOTIFY_EFFECTS.slice(0, 3) },
    },
    shipped(
      'core-imports-only-core',
      '^src/core/',
      { path: '^src/', pathNot: '^src/core/' },
      'core/ holds the contracts everything else builds on; it imports nothing else from src/.',
    ),
    {
      name: 'only-the-sink-talks-to-mim',
      comment:
        'Only src/sinks/mim/ talks to MIM: everything else goes through the Sink (core/sink.ts), never ' +
        'the MIM client.',
      severity: 'error',
      from: { pathNot: ['^src/sinks/mim/', TEST] },
      to: { path: '^src/sinks/mim/client\\.ts$' },
    },
    shipped(
      'cli-no-http-client',
      '^src/cli/',
      { path: '(^|/)node_modules/undici/' },
      'The CLI sends no HTTP request of its own: `check` and `sync` go through the Sink.',
    ),
    {
      name: 'undici-internals-in-one-place',
      comment:
        "undici's own files (undici/lib/…) are not a promised interface: only src/http/undici.ts imports " +
        'them, and its test checks they are what undici exports. Import Agent, request and errors from there.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/http/undici\\.ts$', TEST] },
      to: { path: '(^|/)node_modules/undici/lib/' },
    },
    shipped(
      'sources-not-up',
      '^src/sources/',
      { path: '^src/(daemon|cli|run)/' },
      'A source kind knows only its contract (core/source.ts), never who runs it (run/, daemon/, cli/).',
    ),
    shipped(
      'config-not-to-sources',
      '^src/config/',
      { path: '^src/sources/' },
      'Config loading is handed the registry of source kinds (SourceRegistry); it never imports sources/.',
    ),
    shipped(
      'telemetry-not-up',
      '^src/telemetry/',
      { path: '^src/(pipeline|run|daemon|cli)/' },
      'Logging and metrics take plain data; they never import what they observe (pipeline/, run/, ' +
        'daemon/, cli/).',
    ),
    shipped(
      'daemon-not-to-source-kinds',
      '^src/daemon/',
      { path: '^src/sources/[^/]+/' },
      "The daemon knows no source kind: what to watch comes from the SourceDefinition's `watches` hook, " +
        'reached through the registry.',
    ),
    shipped(
      'src-not-to-test',
      '^src/',
      { path: '^test/' },
      'Shipped code never imports from test/ (only *.test.ts files may).',
    ),
    shipped(
      'shipped-not-to-dev-deps',
      '^src/',
      { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
      'Everything in src/ but its tests ships in dist/, where devDependencies (vitest, fast-check) are ' +
        'not installed: test helpers belong in test/helpers/.',
    ),
    {
      name: 'no-circular',
      comment: 'No import cycles: the layers read one way.',
      severity: 'error',
      from: {},
      to: { circular: true },
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

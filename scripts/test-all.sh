#!/usr/bin/env bash
# The README's test command (`npm ci && npm run test:all`) and what CI runs: installs the real
# servers the integration tests start (slapd, Samba AD DC) when missing, runs `npm run lint` (tsc,
# biome and the import rules in .dependency-cruiser.cjs), runs the whole suite on this machine's
# Node (the low end of the supported range) with coverage of src/ (its floor is the thresholds in
# vitest.config.ts; the summary lands in coverage/) and again on Node 24 (the Docker image's LTS,
# fetched as the `node` package), and ends with one plain line `N passed, N failed`.
# Exits non-zero on any failure, a lint failure or coverage under its floor included (those are
# listed under FAILED above that line). Set MOBILEID_SYNC_TEST_NODE24=0 to skip the second pass.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh || exit 1
mkdir -p .test-results
rm -f .test-results/*.json
totals_args=()

# Node 24 is fetched (npx caches it) while the first pass runs, not after it.
node24_file=$(mktemp)
if [ "${MOBILEID_SYNC_TEST_NODE24:-1}" != "0" ]; then
  (npx -y -p node@24 node -p 'process.execPath' >"$node24_file" 2>/dev/null) &
  node24_fetch=$!
fi

# dist/ (the CLI the e2e tests run) is built once for both passes, on the other core while lint
# type-checks; the passes' global setup then skips its own build (test/helpers/global-setup.ts).
build_log=$(mktemp)
# tsc emits even with type errors; the bundle (the CLI the e2e tests run) is made from what it emitted.
(node_modules/.bin/tsc -p tsconfig.build.json; node scripts/bundle.mjs) >"$build_log" 2>&1 &
build=$!

# A lint failure does not stop the tests: the run still reports every test.
echo "== lint (tsc, biome, import rules)"
npm run -s lint || totals_args+=(--problem 'npm run lint failed (tsc, biome or the import rules; see "== lint" above)')
# Type errors are lint's to report (above); tsc emits dist/ regardless and the e2e tests show real breakage.
wait "$build" || { echo "== build of dist/ reported:"; cat "$build_log"; }
rm -f "$build_log"
export MOBILEID_SYNC_TEST_PREBUILT=1
# Node 20 reads and parses the whole CA bundle NODE_EXTRA_CA_CERTS names at every start, before any
# code runs (~40 ms per process on a 2-core machine whose variable names the system bundle; Node 24
# reads it on first TLS use). The suite starts a few thousand Node processes, and no test trusts a
# CA but the throw-away ones its configs name. npm and npx above keep it for the registry.
unset NODE_EXTRA_CA_CERTS

echo "== test suite on $(node --version), with coverage of src/"
node_modules/.bin/vitest run --coverage --reporter=default --reporter=json --outputFile.json=.test-results/node-default.json
totals_args+=(--coverage coverage/coverage-summary.json ".test-results/node-default.json:$?")

if [ "${MOBILEID_SYNC_TEST_NODE24:-1}" != "0" ]; then
  wait "$node24_fetch"
  node24=$(cat "$node24_file")
  if [ -x "$node24" ]; then
    echo "== test suite on $("$node24" --version)"
    # Node 22+ keeps compiled code on disk when NODE_COMPILE_CACHE names a directory: the pass
    # starts ~900 Node processes (test workers, the CLI, the daemon) from the same files, and each
    # then compiles less (a pass on 2 cores: 512 -> 478 s of CPU, 288 -> 270 s). Its own directory,
    # removed after, so no run reads another's cache.
    compile_cache=$(mktemp -d)
    NODE_COMPILE_CACHE="$compile_cache" "$node24" node_modules/vitest/vitest.mjs run --reporter=dot --reporter=json --outputFile.json=.test-results/node-24.json
    totals_args+=(".test-results/node-24.json:$?")
    rm -rf "$compile_cache"
  else
    totals_args+=(--problem 'Node 24 could not be fetched (npx -p node@24); that pass did not run')
  fi
fi

rm -f "$node24_file"
node scripts/test-totals.mjs "${totals_args[@]}"

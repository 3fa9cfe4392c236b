#!/usr/bin/env bash
# The README's test command (`npm ci && npm run test:all`) and what CI runs: installs the real
# servers the integration tests start (slapd, Samba AD DC) when missing, runs the whole suite on
# this machine's Node (the low end of the supported range) and again on Node 24 (the Docker
# image's LTS, fetched as the `node` package), and ends with one plain line `N passed, N failed`.
# Exits non-zero on any failure. Set MOBILEID_SYNC_TEST_NODE24=0 to skip the second pass.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh || exit 1
mkdir -p .test-results
rm -f .test-results/*.json
reports=()

echo "== test suite on $(node --version)"
node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json=.test-results/node-default.json
status=$?
reports+=(.test-results/node-default.json)

if [ "${MOBILEID_SYNC_TEST_NODE24:-1}" != "0" ]; then
  node24=$(npx -y -p node@24 node -p 'process.execPath' 2>/dev/null)
  if [ -x "$node24" ]; then
    echo "== test suite on $("$node24" --version)"
    "$node24" node_modules/vitest/vitest.mjs run --reporter=dot --reporter=json --outputFile.json=.test-results/node-24.json
    [ $? -ne 0 ] && status=1
    reports+=(.test-results/node-24.json)
  else
    echo "Node 24 could not be fetched (npx -p node@24); that pass did not run" >&2
    status=1
  fi
fi

node scripts/test-totals.mjs "${reports[@]}"
totals=$?
if [ $status -ne 0 ] || [ $totals -ne 0 ]; then exit 1; fi

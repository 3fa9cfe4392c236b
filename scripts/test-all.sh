#!/usr/bin/env bash
# The README's test command (`npm ci && npm run test:all`) and what CI runs: installs the real
# servers the integration tests start (slapd, Samba AD DC) when missing, runs the whole suite,
# and ends with one plain line `N passed, N failed`. Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh || exit 1
mkdir -p .test-results
rm -f .test-results/vitest.json
node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json=.test-results/vitest.json
status=$?
node scripts/test-totals.mjs .test-results/vitest.json
totals=$?
if [ $status -ne 0 ] || [ $totals -ne 0 ]; then exit 1; fi

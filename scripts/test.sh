#!/usr/bin/env bash
# `npm test`: set up what the suite needs, type-check, lint, then run every test (unit, conformance, e2e).
set -euo pipefail
cd "$(dirname "$0")/.."
SETUP_BROWSER=1 bash scripts/setup.sh
npx tsc --noEmit -p .
npx eslint src test bench scripts --max-warnings=0
npx vitest run "$@"

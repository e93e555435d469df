#!/usr/bin/env bash
# `npm run bench`: every benchmark in turn; each writes its figures to docs/benchmarks-<area>.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
for b in sip media acd scheduler; do
  if [ -f "bench/$b.ts" ]; then echo "== bench:$b"; npx tsx "bench/$b.ts"; fi
done
[ -f scripts/sim-dialer.ts ] && { echo "== sim:dialer"; npx tsx scripts/sim-dialer.ts; }

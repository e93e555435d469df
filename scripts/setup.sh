#!/usr/bin/env bash
# Idempotent set-up shared by `npm start` and `npm test`: system packages, npm deps, Redis, prompts.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*"; }

# System packages (Debian). Only what is missing is installed; as root, or with sudo when present.
need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v rtpengine >/dev/null || need+=(rtpengine-daemon rtpengine-utils)
command -v sipp >/dev/null || need+=(sip-tester)
command -v baresip >/dev/null || need+=(baresip-core)
command -v sox >/dev/null || need+=(sox)
command -v espeak-ng >/dev/null || need+=(espeak-ng)
if [ "${SETUP_BROWSER:-1}" = 1 ] && ! command -v chromium >/dev/null; then need+=(chromium); fi
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  say "installing system packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# npm dependencies: reinstall when the lockfile changed since the last install.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies"
  # `npm install` honours the lockfile; npm 11's `npm ci` rejects our lockfile for lacking other
  # platforms' optional binaries (msgpackr-extract), which this Linux box never needs.
  npm install --no-fund --no-audit --loglevel=error
fi

# Redis on loopback, started only when none answers; remembered so `npm start` stops only what it started.
mkdir -p var/run
REDIS_PORT="${REDIS_PORT:-6379}"
if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  say "starting redis-server on 127.0.0.1:$REDIS_PORT"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --daemonize yes \
    --pidfile "$PWD/var/run/redis.pid" --logfile "$PWD/var/run/redis.log"
  echo "$PWD/var/run/redis.pid" > var/run/redis.started
  for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

# Prompt set (espeak-ng + sox), generated once; operators may replace files with studio recordings.
if [ -f scripts/make-prompts.ts ] && [ ! -f var/prompts/.complete ]; then
  say "generating prompt set"
  npx tsx scripts/make-prompts.ts var/prompts
fi

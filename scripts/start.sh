#!/usr/bin/env bash
# `npm start`: the whole single-box stack. Starts only what is not already running, and on Ctrl-C
# stops exactly what it started (Redis included, when this script started it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

: "${HTTP_HOST:=127.0.0.1}" "${HTTP_PORT:=3000}"
: "${RTPENGINE_HOST:=127.0.0.1}" "${RTPENGINE_PORT:=22222}" "${RTPENGINE_DTMF_PORT:=22223}"
: "${RTPENGINE_SPOOL_DIR:=var/spool}" "${SIP_ENGINE_EMBEDDED:=true}"
: "${DRACHTIO_PORT:=9022}" "${SIP_PORT:=5060}"
export HTTP_HOST HTTP_PORT RTPENGINE_HOST RTPENGINE_PORT RTPENGINE_DTMF_PORT RTPENGINE_SPOOL_DIR SIP_ENGINE_EMBEDDED DRACHTIO_PORT SIP_PORT
mkdir -p var/run var/log "$RTPENGINE_SPOOL_DIR" var/recordings

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo "[start] stopping"
  for ((i=${#pids[@]}-1; i>=0; i--)); do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -f var/run/redis.started ]; then
    kill "$(cat "$(cat var/run/redis.started)")" 2>/dev/null || true
    rm -f var/run/redis.started
  fi
}
trap cleanup INT TERM EXIT

if npx tsx scripts/wait-ready.ts rtpengine "$RTPENGINE_HOST" "$RTPENGINE_PORT"; then
  echo "[start] rtpengine already answers on $RTPENGINE_HOST:$RTPENGINE_PORT"
else
  echo "[start] starting rtpengine (userspace) on $RTPENGINE_HOST:$RTPENGINE_PORT"
  rtpengine --config-file=none --table=-1 --interface=127.0.0.1 \
    --listen-ng="$RTPENGINE_HOST:$RTPENGINE_PORT" --foreground --log-stderr --log-level=5 \
    --port-min="${RTPENGINE_PORT_MIN:-40000}" --port-max="${RTPENGINE_PORT_MAX:-40999}" --recording-dir="$RTPENGINE_SPOOL_DIR" --recording-method=pcap \
    --dtmf-log-dest="127.0.0.1:$RTPENGINE_DTMF_PORT" --pidfile="$PWD/var/run/rtpengine.pid" \
    >var/log/rtpengine.log 2>&1 &
  pids+=($!)
fi

if [ "$SIP_ENGINE_EMBEDDED" = true ] || [ "$SIP_ENGINE_EMBEDDED" = 1 ]; then
  echo "[start] starting the embedded SIP engine (control 127.0.0.1:$DRACHTIO_PORT, SIP udp/tcp $SIP_PORT)"
  node_modules/.bin/tsx src/sip/engine/main.ts >var/log/sip-engine.log 2>&1 &
  pids+=($!)
fi

echo "[start] starting the service"
node_modules/.bin/tsx src/main.ts > >(tee var/log/service.log) 2>&1 &
pids+=($!)

base="http://$HTTP_HOST:$HTTP_PORT"
if npx tsx scripts/wait-ready.ts http "$base/readyz" 60; then
  cat <<MSG

  CTI stack is up
    API + OpenAPI docs : $base/docs
    Supervisor board   : $base/
    Health / readiness : $base/healthz  $base/readyz
    SIP (UDP+TCP)      : sip:127.0.0.1:$SIP_PORT   (drachtio control 127.0.0.1:$DRACHTIO_PORT)
    Logs               : var/log/
  Ctrl-C stops everything this script started.

MSG
else
  echo "[start] stack did not become ready; see var/log/" >&2
fi
wait -n "${pids[@]}" || true

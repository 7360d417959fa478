#!/usr/bin/env bash
# Stop the LocalStack started by scripts/local-up.sh (pid in .local/localstack.pid) and every
# process it started (Lambda execution environments included). SIGTERM first (LocalStack shuts
# its services and Lambda environments down), SIGKILL after LOCALSTACK_STOP_TIMEOUT seconds.
# With LOCALSTACK_EXTERNAL=1 it does nothing: that LocalStack is not ours to stop.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PIDFILE="$ROOT/.local/localstack.pid"
STOP_S="${LOCALSTACK_STOP_TIMEOUT:-20}"

log() { echo "local-down: $*" >&2; }

if [[ "${LOCALSTACK_EXTERNAL:-0}" == "1" ]]; then
  log "LOCALSTACK_EXTERNAL=1: leaving the external LocalStack alone"
  exit 0
fi
pid="$(cat "$PIDFILE" 2>/dev/null || true)"
if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; then
  log "not running"
  rm -f "$PIDFILE"
  exit 0
fi
if ! grep -q "localstack.runtime.main" "/proc/$pid/cmdline" 2>/dev/null; then
  log "pid $pid is not LocalStack (stale pid file); removing it"
  rm -f "$PIDFILE"
  exit 0
fi

# All descendants, including Lambda children that run in sessions of their own.
descendants() {
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}

alive() {
  local p
  for p in "$@"; do kill -0 "$p" 2>/dev/null && return 0; done
  return 1
}

tree=("$pid" $(descendants "$pid"))
kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
deadline=$((SECONDS + STOP_S))
while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
  tree+=($(descendants "$pid"))  # children started while shutting down
  sleep 0.2
done
if alive "${tree[@]}"; then
  log "still running after ${STOP_S}s, sending SIGKILL"
  kill -KILL -- "-$pid" 2>/dev/null || true
  kill -KILL "${tree[@]}" 2>/dev/null || true
fi
deadline=$((SECONDS + 10))
while alive "${tree[@]}" && ((SECONDS < deadline)); do sleep 0.2; done
if alive "${tree[@]}"; then
  log "processes still alive: $(for p in "${tree[@]}"; do kill -0 "$p" 2>/dev/null && echo -n "$p "; done)"
  exit 1
fi
rm -f "$PIDFILE"
log "stopped LocalStack (pid $pid) and ${#tree[@]} process(es) in total"

#!/usr/bin/env bash
# Start LocalStack for local development and CI: host mode (no Docker, no internet) with the
# project's extension (scripts/localstack_ext). See docs/local-environment.md.
#
#   scripts/local-up.sh            create/refresh .venv-localstack if needed, start, wait, verify
#   LOCALSTACK_EXTERNAL=1 ...      only wait for an already running LocalStack at $LOCALSTACK_ENDPOINT
#
# State lives in .local/: localstack.pid, localstack.log, localstack-volume/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-localstack"
LOCK="$ROOT/requirements/localstack.lock.txt"
EXT="$ROOT/scripts/localstack_ext"
STATE="$ROOT/.local"
PIDFILE="$STATE/localstack.pid"
LOGFILE="$STATE/localstack.log"
ENDPOINT="${LOCALSTACK_ENDPOINT:-http://127.0.0.1:4566}"
WAIT_S="${LOCALSTACK_START_TIMEOUT:-90}"
SERVICES="s3 kms iam sts sns sqs cloudwatch logs apigateway firehose lambda dynamodb"

log() { echo "local-up: $*" >&2; }

fail() {
  log "$*"
  if [[ -f "$LOGFILE" ]]; then
    log "last lines of $LOGFILE:"
    tail -n 40 "$LOGFILE" >&2
  fi
  if [[ -n "${STARTED_PID:-}" ]]; then  # do not leave a half-started LocalStack behind
    "$ROOT/scripts/local-down.sh" || true
  fi
  exit 1
}

# (Re)build .venv-localstack when it is missing or the lock changed; reinstall the extension
# when its sources changed (it is installed non-editable: plux breaks editable builds).
ensure_venv() {
  local lock_hash ext_hash python
  lock_hash="$(sha256sum "$LOCK" | cut -d' ' -f1)"
  ext_hash="$(cd "$EXT" && cat pyproject.toml aaas_localstack_ext/*.py | sha256sum | cut -d' ' -f1)"
  if [[ ! -x "$VENV/bin/python" || "$(cat "$VENV/.lock-stamp" 2>/dev/null)" != "$lock_hash" ]]; then
    python="$("$ROOT/scripts/find-python.sh")" || fail "no Python 3.13/3.12 found (PATH or pyenv); LocalStack 4.14 needs >= 3.12"
    log "creating $VENV with $python"
    rm -rf "$VENV"
    "$python" -m venv "$VENV"
    # (the grep drops pip's noise about this machine's unused local index locations)
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$LOCK" \
      2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
    echo "$lock_hash" > "$VENV/.lock-stamp"
    rm -f "$VENV/.ext-stamp"
  fi
  if [[ "$(cat "$VENV/.ext-stamp" 2>/dev/null)" != "$ext_hash" ]]; then
    log "installing scripts/localstack_ext into $VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
      --no-build-isolation --force-reinstall "$EXT"
    echo "$ext_hash" > "$VENV/.ext-stamp"
  fi
}

# Prints a reason and returns 1 unless every needed service is available/running.
health_ok() {
  python3 - "$ENDPOINT" $SERVICES <<'PY'
import json, sys, urllib.request
endpoint, services = sys.argv[1], sys.argv[2:]
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    with opener.open(f"{endpoint}/_localstack/health", timeout=3) as r:
        states = json.load(r).get("services", {})
except Exception as e:
    print(f"health endpoint not answering: {e}"); sys.exit(1)
bad = {s: states.get(s, "missing") for s in services if states.get(s) not in ("available", "running")}
if bad:
    print(f"services not ready: {bad}"); sys.exit(1)
PY
}

# Fails unless our executor and providers are the ones LocalStack really loaded.
verify_extension() {
  python3 - "$ENDPOINT" <<'PY'
import json, sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    with opener.open(f"{sys.argv[1]}/_aaas/info", timeout=60) as r:
        info = json.load(r)
except Exception as e:
    print(f"/_aaas/info failed ({e}): the aaas extension is not loaded"); sys.exit(1)
if not info.get("ok"):
    print(f"wrong plugins loaded: {info}"); sys.exit(1)
providers = ", ".join(f"{k.removesuffix('_provider_module')} {v}" for k, v in info.items() if k.endswith("_provider_module"))
print(f"extension active: executor {info['lambda_executor_class']}, {providers}")
PY
}

wait_healthy() {
  local deadline=$((SECONDS + WAIT_S)) reason=""
  while ((SECONDS < deadline)); do
    if reason="$(health_ok)"; then return 0; fi
    if [[ -n "${1:-}" ]] && ! kill -0 "$1" 2>/dev/null; then fail "LocalStack (pid $1) exited during start-up"; fi
    sleep 0.5
  done
  fail "LocalStack not healthy after ${WAIT_S}s at $ENDPOINT: $reason"
}

running_pid() {
  local pid
  pid="$(cat "$PIDFILE" 2>/dev/null)" || return 1
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && grep -q "localstack.runtime.main" "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}

if [[ "${LOCALSTACK_EXTERNAL:-0}" == "1" ]]; then
  log "LOCALSTACK_EXTERNAL=1: not starting anything, waiting for $ENDPOINT"
  wait_healthy
  log "external LocalStack at $ENDPOINT is healthy"
  exit 0
fi

mkdir -p "$STATE"
if pid="$(running_pid)"; then
  wait_healthy "$pid"
  verify_extension >&2 || fail "running LocalStack (pid $pid) failed verification"
  log "already running (pid $pid) and healthy at $ENDPOINT"
  exit 0
fi
rm -f "$PIDFILE"
if health_ok >/dev/null; then
  fail "something else already serves $ENDPOINT; stop it, or set LOCALSTACK_EXTERNAL=1 to use it"
fi

ensure_venv
: > "$LOGFILE"
started=$SECONDS
# setsid: LocalStack leads its own session, so local-down can signal its whole process group.
env GATEWAY_LISTEN=127.0.0.1:4566 \
  LOCALSTACK_HOST=127.0.0.1:4566 SQS_ENDPOINT_STRATEGY=off \
  DISABLE_EVENTS=1 DNS_ADDRESS=0 SKIP_SSL_CERT_DOWNLOAD=1 \
  LOCALSTACK_VOLUME_DIR="$STATE/localstack-volume" \
  LAMBDA_RUNTIME_EXECUTOR=aaas-process \
  PROVIDER_OVERRIDE_DYNAMODB=aaas_moto \
  PROVIDER_OVERRIDE_FIREHOSE=aaas \
  PROVIDER_OVERRIDE_CLOUDWATCH=aaas PROVIDER_OVERRIDE_LAMBDA=aaas \
  setsid "$VENV/bin/python" -m localstack.runtime.main >>"$LOGFILE" 2>&1 </dev/null &
pid=$!
STARTED_PID=$pid
echo "$pid" > "$PIDFILE"
log "started LocalStack (pid $pid), log $LOGFILE"

wait_healthy "$pid"
verify_extension >&2 || fail "extension verification failed; LocalStack stopped"
log "ready at $ENDPOINT after $((SECONDS - started))s"

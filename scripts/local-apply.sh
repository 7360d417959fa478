#!/usr/bin/env bash
# Apply (or plan/destroy) the root configuration in terraform/ against the local LocalStack with
# tflocal, using terraform/environments/local.tfvars. Needs `make local-up` (which installs tflocal
# into .venv-localstack) and `make package` first; `make local-apply` does both in order.
#
#   scripts/local-apply.sh apply|plan|destroy|console [extra terraform args]   (console reads expressions on stdin)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
action="${1:-apply}"
shift || true
TFLOCAL="$ROOT/.venv-localstack/bin/tflocal"
ENDPOINT="${LOCALSTACK_ENDPOINT:-http://127.0.0.1:4566}"
VAR_FILE="${LOCAL_TFVARS:-environments/local.tfvars}"
# The functions run on this machine, so they are built and declared for its architecture
# (local.tfvars says x86_64; an arm64 host overrides it here). `make local-apply` packages for it too.
case "${LAMBDA_ARCHITECTURE:-$(uname -m)}" in
  x86_64 | amd64) ARCHITECTURE=x86_64 ;;
  aarch64 | arm64) ARCHITECTURE=arm64 ;;
  *) echo "local-apply: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac

fail() { echo "local-apply: $*" >&2; exit 1; }

[[ -x "$TFLOCAL" ]] || fail "tflocal is not installed; run 'make local-up' first"
curl -fsS "$ENDPOINT/_localstack/health" >/dev/null 2>&1 || fail "LocalStack is not reachable at $ENDPOINT; run 'make local-up' first"
for zip in ingestion transformation alerting; do
  [[ -f "$ROOT/build/$zip.zip" ]] || fail "build/$zip.zip is missing; run 'make package' first"
done

TF_CLI_CONFIG_FILE="$("$ROOT/scripts/terraform-cli-config.sh")"
export TF_CLI_CONFIG_FILE
# tflocal points every AWS endpoint of the provider at LocalStack. The S3 host must be an IP so that
# tflocal uses path-style addressing: *.localhost.localstack.cloud does not resolve offline.
export AWS_ENDPOINT_URL="$ENDPOINT" S3_HOSTNAME=127.0.0.1
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export TF_IN_AUTOMATION=1 TF_INPUT=0

cd "$ROOT/terraform"
"$TFLOCAL" init -input=false -no-color >/dev/null || fail "tflocal init failed"
start=$(date +%s)
case "$action" in
  apply)   "$TFLOCAL" apply -auto-approve -no-color -var-file="$VAR_FILE" -var "lambda_architecture=$ARCHITECTURE" "$@" ;;
  plan)    "$TFLOCAL" plan -no-color -var-file="$VAR_FILE" -var "lambda_architecture=$ARCHITECTURE" "$@" ;;
  destroy) "$TFLOCAL" destroy -auto-approve -no-color -var-file="$VAR_FILE" -var "lambda_architecture=$ARCHITECTURE" "$@" ;;
  console) "$TFLOCAL" console -var-file="$VAR_FILE" -var "lambda_architecture=$ARCHITECTURE" "$@" ;;
  *)       fail "unknown action '$action' (apply, plan, destroy or console)" ;;
esac
echo "local-apply: $action took $(( $(date +%s) - start )) s" >&2

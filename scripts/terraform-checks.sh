#!/usr/bin/env bash
# Offline checks of the Terraform code in terraform/.
#
# Usage: scripts/terraform-checks.sh [fmt|validate|test|checkov|tflint|all]...   (default: all)
#
#   fmt       terraform fmt -check -recursive terraform
#   validate  terraform init -backend=false + validate for the root and every module
#   test      terraform test (plan-only, mocked AWS provider) in terraform/
#   checkov   checkov (pinned in requirements/checkov.lock.txt, venv .venv-checkov) over terraform/
#   tflint    tflint --init && tflint --recursive with .tflint.hcl, when tflint is installed
#   all       fmt validate test checkov tflint
#
# Terraform runs with the CLI configuration written by scripts/terraform-cli-config.sh
# (provider filesystem mirror when one exists, direct registry access otherwise).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tf_dir="${repo_root}/terraform"
venv="${repo_root}/.venv-checkov"
lock_file="${repo_root}/requirements/checkov.lock.txt"

TF_CLI_CONFIG_FILE="$("${repo_root}/scripts/terraform-cli-config.sh")"
export TF_CLI_CONFIG_FILE
export TF_IN_AUTOMATION=1
export TF_INPUT=0
export CHECKPOINT_DISABLE=1

scratch_dir=""
cleanup() { [[ -z "${scratch_dir}" ]] || rm -rf "${scratch_dir}"; }
trap cleanup EXIT

log() { printf '\n==> %s\n' "$*"; }
elapsed() { printf '    (%s: %ss)\n' "$1" "$(($(date +%s) - $2))"; }

require_terraform() {
  command -v terraform >/dev/null 2>&1 || { echo "terraform is not on PATH" >&2; exit 1; }
}

# terraform init of a configuration for offline checks: no backend, no prompts.
terraform_init() {
  terraform -chdir="$1" init -backend=false -input=false -no-color >/dev/null
}

run_fmt() {
  require_terraform
  local t0; t0=$(date +%s)
  log "terraform fmt -check -recursive terraform"
  terraform fmt -check -recursive -diff "${tf_dir}"
  elapsed fmt "${t0}"
}

run_validate() {
  require_terraform
  local t0; t0=$(date +%s)
  log "terraform validate: root configuration"
  terraform_init "${tf_dir}"
  terraform -chdir="${tf_dir}" validate -no-color

  # Modules are validated standalone in a scratch copy so no .terraform/ or lock files land in
  # the module folders.
  local module name
  scratch_dir="$(mktemp -d)"
  local scratch="${scratch_dir}"
  for module in "${tf_dir}"/modules/*/; do
    name="$(basename "${module}")"
    log "terraform validate: modules/${name}"
    cp -R "${module}" "${scratch}/${name}"
    rm -rf "${scratch}/${name}/.terraform" "${scratch}/${name}/.terraform.lock.hcl"
    terraform_init "${scratch}/${name}"
    terraform -chdir="${scratch}/${name}" validate -no-color
  done
  rm -rf "${scratch}"
  scratch_dir=""
  elapsed validate "${t0}"
}

run_test() {
  require_terraform
  local t0; t0=$(date +%s)
  log "terraform test (plan-only, mocked AWS provider)"
  terraform_init "${tf_dir}"
  terraform -chdir="${tf_dir}" test -no-color
  local var_file
  for var_file in examples/production.tfvars environments/local.tfvars; do
    log "terraform test with -var-file=${var_file}"
    terraform -chdir="${tf_dir}" test -no-color -filter=tests/tfvars.tftest.hcl -var-file="${var_file}"
  done
  elapsed test "${t0}"
}

ensure_checkov() {
  "${repo_root}/scripts/tool-venv.sh" checkov "${lock_file}" >/dev/null
}

run_checkov() {
  local t0; t0=$(date +%s)
  ensure_checkov
  log "checkov $("${venv}/bin/checkov" --version) over terraform/"
  # Offline: no Prisma Cloud guideline mapping, no policy download. The JSON report is summarised
  # here: totals, every failed check with its location, every skip with its reason.
  local report_dir rc=0
  report_dir="$(mktemp -d)"
  BC_SKIP_MAPPING=TRUE "${venv}/bin/checkov" --directory "${tf_dir}" --framework terraform \
    --skip-download --compact --output json --output-file-path "${report_dir}" \
    >/dev/null || rc=$?
  if [[ ! -s "${report_dir}/results_json.json" ]]; then
    echo "checkov produced no report (exit ${rc})" >&2
    rm -rf "${report_dir}"
    return 1
  fi
  "${venv}/bin/python" - "${report_dir}/results_json.json" <<'PY' || rc=$?
import json
import sys

with open(sys.argv[1], encoding="utf-8") as fh:
    data = json.load(fh)
failed = 0
for report in data if isinstance(data, list) else [data]:
    s = report["summary"]
    failed += s["failed"]
    print(f"    checkov summary: passed={s['passed']} failed={s['failed']} skipped={s['skipped']} resources={s['resource_count']}")
    results = report.get("results", {})
    for check in results.get("failed_checks", []):
        lines = "-".join(str(n) for n in check.get("file_line_range", []))
        print(f"    FAILED {check['check_id']} ({check['check_name']}) on {check['resource']} at {check['file_path']}:{lines}")
    for check in results.get("skipped_checks", []):
        reason = check.get("check_result", {}).get("suppress_comment", "")
        print(f"    skipped {check['check_id']} on {check['resource']}: {reason}")
sys.exit(1 if failed else 0)
PY
  rm -rf "${report_dir}"
  [[ ${rc} -eq 0 ]] || return "${rc}"
  elapsed checkov "${t0}"
}

run_tflint() {
  if ! command -v tflint >/dev/null 2>&1; then
    log "tflint"
    echo "tflint not installed; skipping (see .tflint.hcl)"
    return 0
  fi
  local t0; t0=$(date +%s)
  log "tflint --init && tflint --recursive (config .tflint.hcl)"
  (
    cd "${tf_dir}"
    tflint --init --config "${repo_root}/.tflint.hcl"
    tflint --recursive --config "${repo_root}/.tflint.hcl"
  )
  elapsed tflint "${t0}"
}

main() {
  local steps=("$@") step started
  [[ ${#steps[@]} -gt 0 ]] || steps=(all)
  started=$(date +%s)
  for step in "${steps[@]}"; do
    case "${step}" in
      fmt) run_fmt ;;
      validate) run_validate ;;
      test) run_test ;;
      checkov) run_checkov ;;
      tflint) run_tflint ;;
      all) run_fmt; run_validate; run_test; run_checkov; run_tflint ;;
      -h | --help | help) sed -n '2,15p' "${BASH_SOURCE[0]}"; return 0 ;;
      *) echo "unknown step: ${step} (expected fmt, validate, test, checkov, tflint or all)" >&2; return 2 ;;
    esac
  done
  log "terraform checks passed ($(($(date +%s) - started))s)"
}

main "$@"

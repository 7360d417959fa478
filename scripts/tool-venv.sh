#!/usr/bin/env bash
# Create (or reuse) the virtual environment .venv-<name> from a pinned lock file and print its bin
# folder. Tools whose dependencies clash with the dev venv live in their own (checkov, schemathesis).
# It is rebuilt only when the lock file changes (its sha256 is stamped into the venv).
#
# Usage: scripts/tool-venv.sh NAME LOCK_FILE    e.g. scripts/tool-venv.sh contract requirements/contract.lock.txt
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
name="${1:?usage: tool-venv.sh NAME LOCK_FILE}"
lock_file="${2:?usage: tool-venv.sh NAME LOCK_FILE}"
[[ "${lock_file}" = /* ]] || lock_file="${repo_root}/${lock_file}"
venv="${repo_root}/.venv-${name}"
stamp="${venv}/.lock.sha256"

want="$(sha256sum "${lock_file}" | cut -d' ' -f1)"
if [[ ! -f "${stamp}" || "$(cat "${stamp}")" != "${want}" ]]; then
  python="$("${repo_root}/scripts/find-python.sh")"
  echo "tool-venv: creating ${venv#"${repo_root}"/} from ${lock_file#"${repo_root}"/} with ${python}" >&2
  rm -rf "${venv}"
  "${python}" -m venv "${venv}"
  "${venv}/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "${lock_file}" >&2
  printf '%s\n' "${want}" > "${stamp}"
fi
printf '%s\n' "${venv}/bin"

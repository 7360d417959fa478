#!/usr/bin/env bash
# Print the path of a Python >= 3.12 interpreter (the Lambda runtime is python3.13; LocalStack 4.14
# needs 3.12+). Order: python3.13/python3.12 on PATH (a pyenv shim only counts if it runs), then
# pyenv's installed 3.13/3.12, then python3 if it is new enough. Exit 1 with a reason if none.
set -euo pipefail
check='import sys; assert sys.version_info >= (3, 12); print(sys.executable)'
for candidate in python3.13 python3.12; do
  if path="$("$candidate" -c "$check" 2>/dev/null)"; then echo "$path"; exit 0; fi
done
if command -v pyenv >/dev/null 2>&1; then
  for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.1[3-9]|^3\.12' | sort -rV); do
    prefix="$(pyenv prefix "$version" 2>/dev/null)" || continue
    if path="$("$prefix/bin/python3" -c "$check" 2>/dev/null)"; then echo "$path"; exit 0; fi
  done
fi
if path="$(python3 -c "$check" 2>/dev/null)"; then echo "$path"; exit 0; fi
echo "find-python: no Python >= 3.12 found (looked for python3.13, python3.12, pyenv versions, python3)" >&2
exit 1

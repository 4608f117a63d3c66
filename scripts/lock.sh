#!/usr/bin/env bash
# Writes requirements.lock: every package deploykit and its tests, lint and cluster extras install, at
# one version each, with hashes. scripts/setup-machine.sh (and so CI) installs from it; pyproject.toml
# keeps the ranges users install from. Run from anywhere, with network access to the package index:
#
#   scripts/lock.sh            # after editing pyproject.toml's dependencies: keeps every pin it can
#   scripts/lock.sh --upgrade  # move every package to its newest release within pyproject's ranges
#   scripts/lock.sh --check    # change nothing; exit 1 when requirements.lock does not match pyproject.toml
#
# The lock is resolved for the interpreter that runs it (CPython 3.11 on Linux, as CI has it).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python=${PYTHON:-python}
pip_tools_version=7.7.0
pip_tools_venv=${DEPLOYKIT_PIP_TOOLS:-/opt/deploykit-piptools}
lock=requirements.lock

mode=refresh
case "${1:-}" in
  "") ;;
  --upgrade) mode=upgrade ;;
  --check) mode=check ;;
  *) echo "usage: scripts/lock.sh [--upgrade | --check]" >&2; exit 2 ;;
esac

installed=$("$pip_tools_venv/bin/python" -c "import importlib.metadata as m; print(m.version('pip-tools'))" 2>/dev/null || true)
if [ "$installed" != "$pip_tools_version" ]; then
  "$python" -m venv --clear "$pip_tools_venv"
  "$pip_tools_venv/bin/pip" install -q --disable-pip-version-check "pip-tools==$pip_tools_version"
fi

cd "$repo_root"
output=$lock
if [ "$mode" = check ]; then
  # pip-compile keeps the pins of its output file: compile onto a copy and compare.
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp "$lock" "$work/$lock"
  output=$work/$lock
fi

options=(--quiet --extra=cluster,test,lint --generate-hashes --allow-unsafe --strip-extras
  --no-emit-index-url --no-emit-find-links)
if [ "$mode" = upgrade ]; then
  options+=(--upgrade)
fi
# The header names this script, and the `via` comments name pyproject.toml relative to the repository,
# so that the file reads the same wherever it is compiled.
CUSTOM_COMPILE_COMMAND="scripts/lock.sh" \
  "$pip_tools_venv/bin/pip-compile" "${options[@]}" --output-file="$output" pyproject.toml

if [ "$mode" = check ]; then
  if ! diff -u "$lock" "$output"; then
    echo "lock: requirements.lock does not match pyproject.toml; run scripts/lock.sh and commit it" >&2
    exit 1
  fi
  echo "lock: requirements.lock matches pyproject.toml"
fi

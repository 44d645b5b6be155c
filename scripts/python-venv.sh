#!/usr/bin/env bash
# Prints the path of a Python interpreter that has pydantic (v2) and redis, for the
# rpc package's Python interop tests: a venv in the ignored .tools/python/, created
# with `python3 -m venv` and filled with pip when missing. Quick when it is there.
# The tests skip without it (and fail instead under REPLAYRAIL_REQUIRE_PYTHON=1).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.tools/python"
python="$venv/bin/python"
# Python 3.10 for `X | Y` in the generated models, Pydantic 2 for their API.
ready='import sys, pydantic, redis; sys.exit(0 if sys.version_info >= (3, 10) and pydantic.VERSION >= "2" else 1)'

if [[ -x "$python" ]] && "$python" -c "$ready" 2>/dev/null; then
  echo "$python"
  exit 0
fi
system_python="${PYTHON:-python3}"
if ! command -v "$system_python" >/dev/null 2>&1; then
  echo "python-venv: no $system_python on PATH: install Python 3.10 or later (Debian: python3 python3-venv)" >&2
  exit 1
fi
if [[ ! -x "$python" ]]; then
  echo "python-venv: creating $venv" >&2
  "$system_python" -m venv "$venv" >&2
fi
echo "python-venv: installing pydantic and redis into $venv" >&2
# One retry: where only a local package index answers, pip's default of five
# retries against the unreachable one costs most of a minute.
"$python" -m pip install --quiet --disable-pip-version-check --retries 1 'pydantic>=2,<3' redis >&2
if ! "$python" -c "$ready"; then
  echo "python-venv: $python has no usable pydantic 2 and redis (Python 3.10 or later is needed)" >&2
  exit 1
fi
echo "$python"

#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests when it is missing (playwright's
# own browser downloads are not reachable here). Needs root or sudo; says so if not.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
echo "chromium: installing Debian's package for the browser tests" >&2
run() { if [[ $(id -u) -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"; else return 1; fi; }
export DEBIAN_FRONTEND=noninteractive
if ! run apt-get install -y -q chromium >&2; then
  run apt-get update -q >&2 && run apt-get install -y -q chromium >&2 || {
    echo "chromium: could not install it (no root or sudo); the browser tests will fail under REPLAYRAIL_REQUIRE_BROWSER=1" >&2
    exit 1
  }
fi

#!/usr/bin/env bash
# Prints a directory that holds `node` (>= 22) and `pnpm` (10), installing them from
# the npm registry into the ignored .tools/ folder when the machine's own are missing
# or too old. Used by the Makefile and .ci/run so a fresh machine needs only npm.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
bin="$tools/node_modules/.bin"

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [[ -x "$bin/node" && -x "$bin/pnpm" ]]; then
  echo "$bin"
  exit 0
fi
system_node="$(command -v node || true)"
if [[ -n "$system_node" && "$(node_major "$system_node")" -ge 22 ]] && command -v pnpm >/dev/null \
  && [[ "$(pnpm --version)" == 10.* ]]; then
  dirname "$system_node"
  exit 0
fi
# Trust the system's CA bundle too (Node ships its own list): needed behind a
# TLS-inspecting proxy, harmless elsewhere.
if [[ -z "${NODE_EXTRA_CA_CERTS:-}" && -r /etc/ssl/certs/ca-certificates.crt ]]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi
echo "toolchain: installing node@24 and pnpm@10 into .tools/ (machine has node $(node --version 2>/dev/null || echo none))" >&2
mkdir -p "$tools"
npm install --prefix "$tools" --no-audit --no-fund --loglevel=error node@24 pnpm@10 >&2
echo "$bin"

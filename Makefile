# The README's commands. Each gets Node >= 22 and pnpm itself (scripts/toolchain.sh
# installs them into .tools/ when the machine's are older), so a fresh clone needs
# only npm, make and bash.
SHELL := bash
TOOLCHAIN := $(shell bash scripts/toolchain.sh)
export PATH := $(TOOLCHAIN):$(PATH)
# Trust the system CA bundle as well as Node's own (needed behind a TLS-inspecting proxy).
ifneq ($(wildcard /etc/ssl/certs/ca-certificates.crt),)
export NODE_EXTRA_CA_CERTS ?= /etc/ssl/certs/ca-certificates.crt
endif

.PHONY: install test demo quickstart bench clean

install: node_modules/.modules.yaml

node_modules/.modules.yaml: pnpm-lock.yaml package.json packages/*/package.json apps/*/package.json examples/package.json bench/package.json
	pnpm install --frozen-lockfile
	@touch $@

## Everything CI checks: build, lint (biome, publint, attw), typecheck, and every test.
test: install
	rm -rf .reports
	pnpm build
	pnpm lint
	pnpm typecheck
	pnpm test

## The demo, a restaurant's live kitchen board, on http://localhost:8000 (PORT to change it).
## The memory store; with REDIS_URL set, Redis.
demo: install
	pnpm build
	node apps/demo/dist/server.js

## Publish and replay a few events on the in-memory store (the README's snippet).
quickstart: install
	pnpm build
	node examples/quickstart.mjs

## Publish and replay throughput against raw ioredis (needs a Redis: REDIS_URL or 127.0.0.1:6379).
bench: install
	pnpm bench

clean:
	rm -rf node_modules packages/*/node_modules packages/*/dist apps/*/node_modules apps/*/dist .reports .turbo .tools

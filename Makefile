# Synclet — the two commands of the README's Quick start, and their parts.
#   make serve   set up this machine, build, and run the server on ./Storage
#   make test    set up this machine, build, and run every test (plus benchmark smoke runs)

APT_PACKAGES := libsqlite3-dev libssl-dev libarchive-dev libsndfile1-dev libsodium-dev pkg-config sqlite3 wrk curl jq openssl chromium python3 python3-venv python3-pip
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
STORAGE ?= Storage
PORT ?= 8080
HOST ?= 127.0.0.1
# The API fuzzer (make fuzz), pinned, in its own virtualenv: Debian's Python refuses global pip installs.
SCHEMATHESIS_VERSION := 4.32.5
FUZZ_VENV := .build/fuzz-venv

.PHONY: setup build release serve demo test readme-test load-test load-test-only soak bench-requests bench-upload bench-search bench-pack bench-licensing bench-ingest bench-statements bench-smoke fuzz crash-smoke crash-test clean

## Install the Debian packages the build links against, only those missing.
setup:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	else echo "System packages: all present."; fi
	@command -v swift >/dev/null || { echo "Swift 6 is required: https://www.swift.org/install/linux/"; exit 1; }
	@if $(FUZZ_VENV)/bin/st --version 2>/dev/null | grep -q ' $(SCHEMATHESIS_VERSION)$$'; then echo "schemathesis $(SCHEMATHESIS_VERSION): present."; \
	else echo "Installing schemathesis $(SCHEMATHESIS_VERSION) into $(FUZZ_VENV)"; \
	  python3 -m venv $(FUZZ_VENV) && $(FUZZ_VENV)/bin/python -m pip install -q 'schemathesis==$(SCHEMATHESIS_VERSION)'; fi

build: setup
	swift build

release: setup
	swift build -c release --product synclet

## Run the server on the embedded default (./Storage). The first start prints the operator key.
serve: release
	.build/release/synclet serve --host $(HOST) --port $(PORT) --storage $(STORAGE)

## A fresh folder filled with a small marketplace (a closed, paid-out month and a live one); it
## prints how to serve it. DEMO=DIR picks the folder (it must not exist or be empty).
DEMO ?= /tmp/synclet-demo
demo: release
	.build/release/synclet demo --storage $(DEMO)

## Every line of the README's "Using it" section, run as written against a fresh `make serve`,
## then what `synclet demo` says to try (~1 min): see Tests/Readme/readme_test.py.
readme-test:
	python3 Tests/Readme/readme_test.py

## Every test: unit, store, audio and end-to-end over real HTTP; then a short run of each benchmark,
## five kill -9s of the crash test, the fuzzer, and the load test (on a release build: a load
## test measures what runs in production).
test: setup
	swift build --build-tests
	swift build -c release --product synclet
	$(MAKE) --no-print-directory bench-smoke
	$(MAKE) --no-print-directory crash-smoke
	$(MAKE) --no-print-directory fuzz
	$(MAKE) --no-print-directory load-test-only
	$(MAKE) --no-print-directory readme-test
	swift test --skip-build

## Every route class under 256 concurrent connections, alone and all at once, then misbehaving
## clients and a stop with clients connected (~2 min): see Tests/Load/load_test.py.
load-test: release load-test-only

load-test-only:
	python3 Tests/Load/load_test.py --binary .build/release/synclet

## Ten minutes of every route class at once over 1,000 connections; memory and open files must
## stay flat. Not part of `make test`; figures go to Benchmarks/RESULTS.md.
soak: release
	python3 Tests/Load/load_test.py --binary .build/release/synclet --soak 600 --connections 1000

## Short benchmark runs (small files, debug build) so the scripts stay working.
bench-smoke:
	SYNCLET_BIN=.build/debug/synclet BENCH_UPLOAD_MIB=16 Benchmarks/upload.sh
	SYNCLET_BIN=.build/debug/synclet BENCH_PACK_MIB=16 Benchmarks/pack.sh
	SYNCLET_BIN=.build/debug/synclet BENCH_SEARCH_ASSETS=20000 BENCH_ITERATIONS=20 Benchmarks/search.sh
	SYNCLET_BIN=.build/debug/synclet BENCH_SECONDS=2 Benchmarks/licensing.sh
	SYNCLET_BIN=.build/debug/synclet BENCH_BATCHES=8 Benchmarks/ingest.sh
	SYNCLET_BIN=.build/debug/synclet BENCH_EVENTS_SMALL=2000 BENCH_EVENTS_LARGE=8000 Benchmarks/statements.sh

## Fuzz the API against its own document (schemathesis; debug build, ~1 min): no 5xx, no answer
## that breaks /openapi.json. SYNCLET_FUZZ_SEED=n reproduces a run; see Tests/Fuzz/run_fuzz.sh.
fuzz:
	SYNCLET_FUZZ_VENV=$(FUZZ_VENV) Tests/Fuzz/run_fuzz.sh .build/debug/synclet

## The crash test, short (debug build, 5 kills, ~15 s): see Tests/Crash/crash_test.py.
crash-smoke:
	python3 Tests/Crash/crash_test.py --binary .build/debug/synclet --kills 5

## The crash test: kill -9 the release server 50 times under mixed load (uploads, licenses, usage,
## credits); after each kill every acknowledged write is checked on disk and over HTTP; prints the
## counts. A few minutes. CRASH_ARGS="--seed N" reproduces a run. Not part of `make test`.
crash-test: release
	python3 Tests/Crash/crash_test.py --binary .build/release/synclet --kills 50 $(CRASH_ARGS)

## The full upload benchmark (1 GiB, release build). Not part of `make test`.
bench-upload: release
	Benchmarks/upload.sh

## Search over a generated catalog of a million assets, against the sqlite3 CLI. Not part of `make test`.
bench-search: release
	Benchmarks/search.sh

## A 1 GiB stem pack: time and server memory. Not part of `make test`.
bench-pack: release
	Benchmarks/pack.sh

## Licenses issued per second (32 clients) and key verifications per second, against openssl speed. Not part of `make test`.
bench-licensing: release
	Benchmarks/licensing.sh

## Usage events per second over HTTP (8 clients, 1,000 per batch) against the sqlite3 CLI. Not part of `make test`.
bench-ingest: release
	Benchmarks/ingest.sh

## The request path at 32 connections and at 1: /health, public verify, list pages, license issue. Not part of `make test`.
bench-requests: release
	python3 Benchmarks/request_rates.py --binary .build/release/synclet

## Statement latency at 100,000 and 1,000,000 events in the open period. Not part of `make test`.
bench-statements: release
	Benchmarks/statements.sh

clean:
	rm -rf .build

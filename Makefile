# Synclet — the two commands of the README's Quick start, and their parts.
#   make serve   set up this machine, build, and run the server on ./Storage
#   make test    set up this machine, build, and run every test (plus benchmark smoke runs)

APT_PACKAGES := libsqlite3-dev libssl-dev libarchive-dev libsndfile1-dev libsodium-dev pkg-config sqlite3 wrk curl openssl
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
STORAGE ?= Storage
PORT ?= 8080
HOST ?= 127.0.0.1

.PHONY: setup build release serve test bench-upload bench-search bench-pack bench-licensing bench-ingest bench-statements bench-smoke clean

## Install the Debian packages the build links against, only those missing.
setup:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	else echo "System packages: all present."; fi
	@command -v swift >/dev/null || { echo "Swift 6 is required: https://www.swift.org/install/linux/"; exit 1; }

build: setup
	swift build

release: setup
	swift build -c release --product synclet

## Run the server on the embedded default (./Storage). The first start prints the operator key.
serve: release
	.build/release/synclet serve --host $(HOST) --port $(PORT) --storage $(STORAGE)

## Every test: unit, store, audio and end-to-end over real HTTP; then a short run of each benchmark.
test: setup
	swift build --build-tests
	$(MAKE) --no-print-directory bench-smoke
	swift test --skip-build

## Short benchmark runs (small files, debug build) so the scripts stay working.
bench-smoke:
	SYNCLET_BIN=.build/debug/synclet BENCH_UPLOAD_MIB=16 Benchmarks/upload.sh
	SYNCLET_BIN=.build/debug/synclet BENCH_PACK_MIB=16 Benchmarks/pack.sh
	SYNCLET_BIN=.build/debug/synclet BENCH_SEARCH_ASSETS=20000 BENCH_ITERATIONS=20 Benchmarks/search.sh
	SYNCLET_BIN=.build/debug/synclet BENCH_SECONDS=2 Benchmarks/licensing.sh
	SYNCLET_BIN=.build/debug/synclet BENCH_BATCHES=8 Benchmarks/ingest.sh
	SYNCLET_BIN=.build/debug/synclet BENCH_EVENTS_SMALL=2000 BENCH_EVENTS_LARGE=8000 Benchmarks/statements.sh

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

## Statement latency at 100,000 and 1,000,000 events in the open period. Not part of `make test`.
bench-statements: release
	Benchmarks/statements.sh

clean:
	rm -rf .build
